"""BluAuth's admin routes (Bearer admin token): invitations, users with their delivery history,
and the spec's email-test.

An invitation is emailed when it is created and never on revoke or accept. Inviting an address
that is suppressed or has hard-bounced is refused with the reason unless `override` is true;
each user and invitation answer shows the address's bounces and complaints.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.renderer import Theme
from mailyard.sandbox import SendResult, invitation_json
from mailyard.web.api.describe import operation, path, query
from mailyard.web.api.email_test import request_theme, run_email_test
from mailyard.web.api.params import int_param, read_json, str_param
from mailyard.web.auth.common import (
    ADMIN_TAGS,
    ANY,
    BAD,
    EMAIL,
    FLAG,
    MAX_AUTH_BODY,
    NOT_FOUND,
    OPTIONAL_TEXT,
    TEXT,
    UNAUTHORIZED,
    body,
    ok,
    refused,
    require_admin,
    success,
)
from mailyard.web.errors import RequestError
from mailyard.web.services import services

PAGING = [
    query("limit", "At most this many", {"type": "integer", "default": 100, "maximum": 1000}),
    query("offset", "Skip this many", {"type": "integer", "default": 0}),
]
ID = path("id", "The id")
STATUSES = ("pending", "accepted", "revoked")
ADMIN = {"401": UNAUTHORIZED}


def send_json(result: SendResult) -> dict[str, object]:
    """What the admin needs to know of a send: did it go, where, or why not."""
    return {
        "outcome": result.outcome,
        "provider": result.provider,
        "messageId": result.message_id,
        "subject": result.subject,
        "reason": result.reason,
        "errorCode": result.error_code,
    }


# -- invitations -----------------------------------------------------------------------------


@operation(
    "BluAuth admin: invite someone (sends the invitation email, on creation only)",
    description="The spec's body: email, recipientName, clientId, expiresAt (ISO 8601; 7 days "
    "when absent); inviterName. A new invitation replaces the address's pending ones (revoked, "
    "no email). An address on the suppression list, or one that hard-bounced, is refused (409 "
    'suppressed, with the reason) unless "override": true.',
    body=body(
        ("email",),
        email=EMAIL,
        recipientName=OPTIONAL_TEXT,
        clientId=OPTIONAL_TEXT,
        expiresAt={"type": ["string", "null"], "format": "date-time"},
        inviterName=OPTIONAL_TEXT,
        override=FLAG,
    ),
    responses={
        "201": success(description="Created, and the email sent (or why not)"),
        "400": BAD,
        **ADMIN,
        "409": refused("The address has an account, or is suppressed / hard-bounced"),
    },
    tags=ADMIN_TAGS,
)
async def create_invitation(request: Request) -> Response:
    service = require_admin(request).service
    data = await read_json(request, limit=MAX_AUTH_BODY)
    override = data.get("override", False)
    if not isinstance(override, bool):
        raise RequestError(400, "override must be true or false", "override")
    invited = await service.invitations.invite(
        data.get("email"),
        client_id=data.get("clientId"),
        recipient_name=data.get("recipientName"),
        inviter_name=data.get("inviterName"),
        expires_at=data.get("expiresAt"),
        override=override,
    )
    return ok(
        {
            "invitation": invitation_json(invited.invitation),
            "email": send_json(invited.email),
            "superseded": list(invited.superseded),
            "delivery": invited.standing.as_json(),
        },
        201,
    )


@operation(
    "BluAuth admin: invitations, newest first",
    parameters=[query("status", "pending, accepted or revoked", {"enum": list(STATUSES)}), *PAGING],
    responses={"200": success(), "400": BAD, **ADMIN},
    tags=ADMIN_TAGS,
)
async def list_invitations(request: Request) -> Response:
    service = require_admin(request).service
    status = str_param(request, "status")
    if status is not None and status not in STATUSES:
        raise RequestError(400, f"status must be one of {', '.join(STATUSES)}", "status")
    found = service.parts.accounts.invitations(
        status=status,
        limit=int_param(request, "limit", 100, low=1, high=1000),
        offset=int_param(request, "offset", 0),
    )
    return ok({"invitations": [invitation_json(i) for i in found], "count": len(found)})


@operation(
    "BluAuth admin: one invitation, with its address's delivery history",
    parameters=[ID],
    responses={"200": success(), **ADMIN, "404": NOT_FOUND},
    tags=ADMIN_TAGS,
)
async def get_invitation(request: Request) -> Response:
    service = require_admin(request).service
    invitation = service.invitations.get(request.path_params["id"])
    return ok(
        {
            "invitation": invitation_json(invitation),
            "delivery": service.standing(invitation.email).as_json(),
        }
    )


@operation(
    "BluAuth admin: revoke a pending invitation (no email is sent)",
    parameters=[ID],
    responses={
        "200": success(),
        **ADMIN,
        "404": NOT_FOUND,
        "409": refused("Already accepted or revoked"),
    },
    tags=ADMIN_TAGS,
)
async def revoke_invitation(request: Request) -> Response:
    service = require_admin(request).service
    revoked = await service.invitations.revoke(request.path_params["id"])
    return ok({"invitation": invitation_json(revoked)})


# -- users -----------------------------------------------------------------------------------


@operation(
    "BluAuth admin: users, newest first, each with its bounces and complaints",
    parameters=PAGING,
    responses={"200": success(), "400": BAD, **ADMIN},
    tags=ADMIN_TAGS,
)
async def list_users(request: Request) -> Response:
    service = require_admin(request).service
    found = service.parts.accounts.users(
        limit=int_param(request, "limit", 100, low=1, high=1000),
        offset=int_param(request, "offset", 0),
    )
    users = [{**u.as_json(), "delivery": service.standing(u.email).as_json()} for u in found]
    return ok({"users": users, "count": len(users)})


@operation(
    "BluAuth admin: one user, with its suppression, bounces and complaints",
    parameters=[ID],
    responses={"200": success(), **ADMIN, "404": NOT_FOUND},
    tags=ADMIN_TAGS,
)
async def get_user(request: Request) -> Response:
    service = require_admin(request).service
    user = service.parts.accounts.user(request.path_params["id"])
    if user is None:
        raise RequestError(404, f"no user has the id {request.path_params['id'][:80]!r}", "id")
    return ok({"user": {**user.as_json(), "delivery": service.standing(user.email).as_json()}})


# -- email-test ------------------------------------------------------------------------------


@operation(
    "BluAuth admin: the spec's email-test - preview a template, or send a [TEST] copy",
    description="Exactly the spec's body: themeId (a tenant theme; a sample theme name works "
    "too), recipientEmail, previewOnly, emailConcept (password-reset, welcome, invitation, or "
    "any other concept). previewOnly answers {success, data: {html, text, theme, "
    "emailConcept}}; without it a [TEST] send through the configured delivery, links carrying "
    "test-preview-token-000. Admin only; rate-limited (429 with Retry-After).",
    body=body(
        ("emailConcept",),
        emailConcept=TEXT,
        recipientEmail=EMAIL,
        previewOnly=FLAG,
        themeId=OPTIONAL_TEXT,
        theme={"type": ["object", "null"]},
        locale=OPTIONAL_TEXT,
        variables={"type": ["object", "null"]},
    ),
    responses={
        "200": success(ANY),
        "400": BAD,
        **ADMIN,
        "429": refused("Too many test sends or previews; see Retry-After"),
        "502": refused("The provider refused the send"),
    },
    tags=ADMIN_TAGS,
)
async def email_test(request: Request) -> Response:
    admin = require_admin(request)
    data = await read_json(request, limit=MAX_AUTH_BODY)
    if data.get("previewOnly") is True:
        admin.previews.take("admin", "previews")
    else:
        admin.test_sends.take("admin", "test sends")
    tenants = admin.service.tenants

    def theme_of(given: dict[str, Any]) -> Theme | None:
        theme_id = given.get("themeId")
        if isinstance(theme_id, str) and tenants.store.theme(theme_id) is not None:
            return tenants.theme_for(theme_id=theme_id)
        if theme_id is None and given.get("theme") is None:
            return tenants.theme_for(None)  # the service default, as a real send would use
        return request_theme(given)

    return await run_email_test(data, services(request).mailer, theme_of)
