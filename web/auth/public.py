"""The end-user routes: MIOSA's project auth under /auth, BluAuth's (Better Auth's) under
/api/auth. Each parses its input and calls `sandbox.auth`; answers are `{success, data}`.

The two reset endpoints answer the same whatever the address: status, body and headers are
built from constants, and the handler does no lookup (the mail is sent after the answer).
They and signup are rate-limited per client address and per email address
(`sandbox.auth.limits`): 429 with Retry-After, counted per request, never per account, so a
limited answer is the same for every address too.
The link endpoints answer GET and HEAD without consuming anything and consume on POST.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import SandboxError, client_key
from mailyard.web.api.describe import operation, query
from mailyard.web.api.params import read_json
from mailyard.web.auth import pages
from mailyard.web.auth.common import (
    BAD,
    EMAIL,
    MAX_AUTH_BODY,
    OPTIONAL_TEXT,
    TAGS,
    TEXT,
    TOKEN_REFUSED,
    auth,
    body,
    is_form,
    iso,
    ok,
    read_body,
    refused,
    success,
    wants_html,
)
from mailyard.web.errors import problem_of

RESET_ANSWER = {
    "message": "If an account exists for this address, an email with a link to reset its "
    "password is on its way."
}
TOKEN_PARAM = query("token", "The token from the email's link", required=True)
LIMITED = refused(
    "Too many requests from this client address or for this email address (the same answer "
    "whether or not the address has an account); see Retry-After"
)


def _client(request: Request) -> str:
    """The rate limits' key of the client: its address (an IPv6 /64)."""
    return client_key(request.client.host if request.client else None)


async def _reset_request(request: Request, style: str) -> Response:
    """Both dialects' reset request: limits counted alike for every address, the same answer."""
    data = await read_json(request, limit=MAX_AUTH_BODY)
    found = auth(request)
    found.limits.reset(_client(request), data.get("email"))
    return _reset_answer(found.service.users.reset_request(data.get("email"), style=style))


def _reset_answer(queue: Callable[[], None]) -> Response:
    """The one answer of both reset endpoints. The email is queued by a background task,
    which Starlette runs after the response has been sent: nothing of the send - not even
    putting it on the queue - is inside the time a client can measure. The task is a
    coroutine so that Starlette runs it on the loop, as the queue needs, not in a thread."""

    async def put() -> None:
        queue()

    return ok(RESET_ANSWER, background=BackgroundTask(put))


def _failed_page(request: Request, title: str, exc: Exception) -> Response:
    problem = problem_of(request, exc)
    return pages.message(title, problem.message, problem.status)


# -- MIOSA: /auth ----------------------------------------------------------------------------


@operation(
    "Auth service: whether it is on, and its rules",
    description="What `mailyard checklist` reads first: email verification on or off, the "
    "public URL the emails' links use, token lifetimes.",
    responses={"200": success()},
    tags=TAGS,
)
async def settings(request: Request) -> Response:
    service = auth(request).service
    config = service.config
    return ok(
        {
            "enabled": True,
            "emailVerification": config.email_verification,
            "publicUrl": config.public_url,
            "resetTtlSeconds": config.reset_ttl,
            "verifyTtlSeconds": config.verify_ttl,
            "endpoints": {
                "signup": "/auth/signup",
                "confirm": "/auth/confirm",
                "passwordReset": "/auth/password-reset",
                "passwordResetConfirm": "/auth/password-reset/confirm",
                "login": "/auth/login",
            },
        }
    )


@operation(
    "Auth service: sign up (sends the email confirmation, or the welcome when it is off)",
    description="MIOSA's {AUTH_URL}/signup; also BluAuth's self-signup at "
    "/api/auth/sign-up/email, where `clientId` names the client (its theme; it must allow "
    "self-signup).",
    body=body(
        ("email", "password"),
        email=EMAIL,
        password=TEXT,
        name=OPTIONAL_TEXT,
        clientId=OPTIONAL_TEXT,
    ),
    responses={
        "201": success(description="Created"),
        "400": BAD,
        "403": refused("The client does not allow self-signup"),
        "409": refused("An account with this email exists"),
        "429": LIMITED,
    },
    tags=TAGS,
)
async def signup(request: Request) -> Response:
    data = await read_json(request, limit=MAX_AUTH_BODY)
    found = auth(request)
    found.limits.signup(_client(request), data.get("email"))
    result = await found.service.users.signup(
        data.get("email"),
        data.get("password"),
        name=data.get("name"),
        client_id=data.get("clientId"),
    )
    return ok(
        {
            "user": result.user.as_json(),
            "emailVerificationRequired": not result.user.verified,
        },
        201,
    )


@operation(
    "Auth service: the email-confirmation link (never consumes the token)",
    description="A browser gets a page with a button that POSTs the confirmation; other "
    "clients get JSON saying whether the token can be used. Link scanners fetch links with "
    "GET and HEAD: neither uses the token up.",
    parameters=[TOKEN_PARAM],
    responses={"200": success(), **TOKEN_REFUSED},
    tags=TAGS,
)
async def confirm_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    users = auth(request).service.users
    return _peek(
        request,
        lambda: users.peek_verification(token),
        lambda: pages.confirm_email_form(request.url.path, token),
    )


@operation(
    "Auth service: confirm an email address with the link's token, or with the code",
    body=body((), token=TEXT, email=EMAIL, code=TEXT),
    responses={"200": success(), **TOKEN_REFUSED},
    tags=TAGS,
)
async def confirm(request: Request) -> Response:
    data = await read_body(request)
    users = auth(request).service.users
    try:
        if data.get("code") is not None and not data.get("token"):
            done = await users.confirm_code(data.get("email"), data.get("code"))
        else:
            done = await users.confirm(data.get("token"))
    except SandboxError as exc:
        if is_form(request):
            return _failed_page(request, "This link cannot be used", exc)
        raise
    if is_form(request):
        return pages.message("Email confirmed", "Your email address is confirmed. Thank you!")
    return ok({"user": done.user.as_json(), "welcomeSent": done.welcome is not None})


@operation(
    "Auth service: request a password-reset email (the same answer for every address)",
    description="MIOSA's {AUTH_URL}/password-reset. Always 200 with the same body and headers "
    "whether or not the address has an account; the email is sent after the answer, so the "
    "time taken does not tell either. Only a malformed address is refused (400), and too many "
    "requests from one client or for one address (429, counted alike for every address).",
    body=body(("email",), email=EMAIL),
    responses={"200": success(), "400": BAD, "429": LIMITED},
    tags=TAGS,
)
async def password_reset(request: Request) -> Response:
    return await _reset_request(request, "miosa")


@operation(
    "Auth service: the password-reset link (never consumes the token)",
    description="A browser gets a form for the new password; other clients get JSON. GET and "
    "HEAD never use the token up (link scanners prefetch links).",
    parameters=[TOKEN_PARAM],
    responses={"200": success(), **TOKEN_REFUSED},
    tags=TAGS,
)
async def reset_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    users = auth(request).service.users
    field = "newPassword" if request.url.path.startswith("/api/") else "password"
    return _peek(
        request,
        lambda: users.peek_reset(token),
        lambda: pages.reset_form(request.url.path, token, field),
    )


@operation(
    "Auth service: set a new password with the reset token (single use)",
    description="MIOSA's {AUTH_URL}/password-reset/confirm takes `password`; BluAuth's "
    "/api/auth/reset-password takes Better Auth's `newPassword` (either works on both). A used, "
    "expired or altered token is refused with its own code.",
    body=body(("token",), token=TEXT, password=TEXT, newPassword=TEXT),
    responses={"200": success(), **TOKEN_REFUSED},
    tags=TAGS,
)
async def reset_confirm(request: Request) -> Response:
    data = await read_body(request)
    password = data.get("newPassword", data.get("password"))
    try:
        user = await auth(request).service.users.reset_password(data.get("token"), password)
    except SandboxError as exc:
        if is_form(request):
            return _failed_page(request, "The password was not changed", exc)
        raise
    if is_form(request):
        return pages.message("Password changed", "Your password is changed. You can sign in.")
    return ok({"user": user.as_json()})


@operation(
    "Auth service: where to sign in",
    responses={"200": success()},
    tags=TAGS,
)
async def login_page(request: Request) -> Response:
    return ok({"signIn": "POST email and password (JSON) to this URL"})


@operation(
    "Auth service: sign in with email and password",
    body=body(("email", "password"), email=EMAIL, password=TEXT),
    responses={
        "200": success(),
        "401": refused("The email or the password is wrong"),
        "403": refused("The email address is not confirmed yet"),
    },
    tags=TAGS,
)
async def login(request: Request) -> Response:
    data = await read_json(request, limit=MAX_AUTH_BODY)
    user = await auth(request).service.users.login(data.get("email"), data.get("password"))
    return ok({"user": user.as_json()})


# -- BluAuth: /api/auth ----------------------------------------------------------------------


@operation(
    "BluAuth: request a password-reset email (always 200, the same for every address)",
    description="The spec's POST /api/auth/forgot-password: the handler always returns 200, "
    "even when the address matches no user, to prevent account enumeration; the same body "
    "and headers, and the email is sent after the answer so timing does not tell either. "
    "Rate-limited per client and per address alike (429 with Retry-After).",
    body=body(("email",), email=EMAIL, redirectTo=OPTIONAL_TEXT),
    responses={"200": success(), "400": BAD, "429": LIMITED},
    tags=TAGS,
)
async def forgot_password(request: Request) -> Response:
    return await _reset_request(request, "bluauth")


@operation(
    "BluAuth: the invitation link (never consumes the token)",
    description="A browser gets a form (name, password); other clients get the invitation as "
    "JSON. GET and HEAD never use the token up.",
    parameters=[TOKEN_PARAM],
    responses={"200": success(), **TOKEN_REFUSED},
    tags=TAGS,
)
async def accept_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    service = auth(request).service
    try:
        invitation = service.invitations.peek(token)
    except SandboxError as exc:
        if wants_html(request):
            return _failed_page(request, "This invitation cannot be used", exc)
        raise
    client = service.tenants.client_name(invitation.client_id)
    if wants_html(request):
        return pages.accept_form(request.url.path, token, invitation.email, client)
    return ok(
        {
            "token": "valid",
            "email": invitation.email,
            "clientName": client,
            "expiresAt": iso(invitation.expires),
            "accept": "POST token and password to this URL",
        },
    )


@operation(
    "BluAuth: accept an invitation (creates the account, sends the welcome email once)",
    description="The spec's /api/auth/accept-invite. The invitation email is not sent again; "
    "publishes user.created and invitation.accepted.",
    body=body(("token", "password"), token=TEXT, password=TEXT, name=OPTIONAL_TEXT),
    responses={
        "201": success(description="Created"),
        **TOKEN_REFUSED,
        "409": refused("The address already has an account"),
    },
    tags=TAGS,
)
async def accept_invite(request: Request) -> Response:
    data = await read_body(request)
    try:
        accepted = await auth(request).service.invitations.accept(
            data.get("token"), data.get("password"), name=data.get("name")
        )
    except SandboxError as exc:
        if is_form(request):
            return _failed_page(request, "The invitation was not accepted", exc)
        raise
    if is_form(request):
        return pages.message("Welcome!", "Your account is ready. You can sign in.", 201)
    return ok({"user": accepted.user.as_json(), "invitationId": accepted.invitation.id}, 201)


# -- helpers ---------------------------------------------------------------------------------


def _peek(request: Request, peek: Callable[[], Any], form: Callable[[], Response]) -> Response:
    """Judge the link's token without using it: a page for a browser, JSON for the rest."""
    html = wants_html(request)
    try:
        record = peek()
    except SandboxError as exc:
        if html:
            return _failed_page(request, "This link cannot be used", exc)
        raise
    if html:
        return form()
    response = ok(
        {
            "token": "valid",
            "expiresAt": iso(record.expires),
            "confirm": "POST the token to this URL",
        }
    )
    response.headers.update(pages.HEADERS)
    return response
