"""SES v2's identities and account.

POST   /v2/email/identities                   CreateEmailIdentity
GET    /v2/email/identities                   ListEmailIdentities (botocore < 1.43.111, CLI)
POST   /v2/email/list-identities              ListEmailIdentities (newer botocore, JS SDK)
GET    /v2/email/identities/{EmailIdentity}   GetEmailIdentity
DELETE /v2/email/identities/{EmailIdentity}   DeleteEmailIdentity
GET    /v2/email/account                      GetAccount
PUT    /v2/email/account/sending              PutAccountSendingAttributes
PUT    /v2/email/account/suppression          PutAccountSuppressionAttributes
PUT    /v2/email/account/mailyard-enforcement mailyard's own: set EnforcementStatus
                                              (SHUTDOWN makes sends AccountSuspendedException)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import Document
from mailyard.web.emulate import ses_wire as member
from mailyard.web.emulate.ses_account import (
    ACCOUNT,
    IDENTITY,
    account,
    dkim_attributes,
    identity_key,
    new_identity,
)
from mailyard.web.emulate.ses_errors import already_exists, bad_request, not_found
from mailyard.web.emulate.sesv2_io import begin, listing, ok

# What GetAccount reports for "no limit": SES's own -1 for the daily quota; for the rate a
# large number instead, because clients pace by 1/MaxSendRate and a negative one breaks them.
UNLIMITED_DAILY = -1.0
UNLIMITED_RATE = 10000.0
SUPPRESSION_REASONS = ("BOUNCE", "COMPLAINT")
ENFORCEMENT = ("HEALTHY", "PROBATION", "SHUTDOWN")
IDENTITY_FILTERS = ("IDENTITY_NAME_CONTAINS", "IDENTITY_TYPE", "VERIFICATION_STATUS")


def _identity(request: Request) -> str:
    return str(request.path_params["EmailIdentity"])


def _tags(body: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in member.pairs(body, "Tags", ("Key", "Value"))]


async def create_identity(request: Request) -> Response:
    svc, caller, body = await begin(request)
    name = member.required_text(body, "EmailIdentity").strip()
    if not name or " " in name or name.startswith("@") or name.endswith("@"):
        raise bad_request(f"Invalid email identity: {name[:200]}")
    emulators = svc.emulators
    identity = new_identity(name, emulators.rng, svc.clock.now())
    identity["Tags"] = _tags(body)
    if member.text(body, "ConfigurationSetName"):
        identity["ConfigurationSetName"] = body["ConfigurationSetName"]
    created = await emulators.repo.create(
        caller.mailbox, IDENTITY, identity_key(name), identity, svc.clock.now()
    )
    if not created:
        raise already_exists(f"Email identity {name} already exist.")
    return ok(
        {
            "IdentityType": identity["IdentityType"],
            "VerifiedForSendingStatus": True,
            "DkimAttributes": dkim_attributes(identity),
        }
    )


async def get_identity(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    name = _identity(request)
    identity = svc.emulators.repo.get(caller.mailbox, IDENTITY, identity_key(name))
    if identity is None:
        raise not_found(f"Email identity {name} does not exist.")
    return ok(
        {
            "IdentityType": identity["IdentityType"],
            "FeedbackForwardingStatus": True,
            "VerifiedForSendingStatus": True,
            "DkimAttributes": dkim_attributes(identity),
            "MailFromAttributes": {
                "MailFromDomain": identity.get("MailFromDomain", ""),
                "MailFromDomainStatus": "SUCCESS",
                "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
            }
            if identity.get("MailFromDomain")
            else None,
            "Policies": identity.get("Policies", {}),
            "Tags": identity.get("Tags", []),
            "ConfigurationSetName": identity.get("ConfigurationSetName"),
            "VerificationStatus": "SUCCESS",
            "VerificationInfo": {
                "LastCheckedTimestamp": identity["DkimGenerated"],
                "LastSuccessTimestamp": identity["DkimGenerated"],
            },
        }
    )


def _matches(identity: dict[str, Any], filters: dict[str, Any]) -> bool:
    contains = filters.get("IDENTITY_NAME_CONTAINS")
    if contains and str(contains).lower() not in identity["IdentityName"].lower():
        return False
    kind = filters.get("IDENTITY_TYPE")
    if kind and kind != identity["IdentityType"]:
        return False
    status = filters.get("VERIFICATION_STATUS")
    return not status or status == "SUCCESS"


async def list_identities(request: Request) -> Response:
    svc, caller, body = await begin(request)
    token, size = listing(request, body)
    limit = member.page_size(size, default=100, maximum=1000)
    filters = member.obj(body, "Filter")
    unknown = set(filters) - set(IDENTITY_FILTERS)
    if unknown:
        raise bad_request(f"Filter key {sorted(unknown)[0]} is not one of {IDENTITY_FILTERS}.")
    repo, after = svc.emulators.repo, token
    found: list[Document] = []
    while len(found) <= limit:  # filters may skip documents: read on until a page is full
        batch = repo.documents(caller.mailbox, IDENTITY, after=after, limit=limit + 1)
        found += [d for d in batch if _matches(d.body, filters)]
        if len(batch) <= limit:
            break
        after = batch[-1].name
    page = found[:limit]
    return ok(
        {
            "EmailIdentities": [
                {
                    "IdentityType": d.body["IdentityType"],
                    "IdentityName": d.body["IdentityName"],
                    "SendingEnabled": True,
                    "VerificationStatus": "SUCCESS",
                }
                for d in page
            ],
            "NextToken": page[-1].name if len(found) > limit else None,
        }
    )


async def delete_identity(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    name = _identity(request)
    if not await svc.emulators.repo.delete(caller.mailbox, IDENTITY, identity_key(name)):
        raise not_found(f"Email identity {name} does not exist.")
    return ok()


async def get_account(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    emulators = svc.emulators
    state = account(emulators.repo, caller.mailbox)
    limits = emulators.ses_limits
    return ok(
        {
            "DedicatedIpAutoWarmupEnabled": False,
            "EnforcementStatus": state.enforcement_status,
            "ProductionAccessEnabled": not emulators.ses_sandbox,
            "SendQuota": {
                "Max24HourSend": float(limits.daily) if limits.daily else UNLIMITED_DAILY,
                "MaxSendRate": float(limits.rate) if limits.rate else UNLIMITED_RATE,
                "SentLast24Hours": float(svc.throttle.sent_last_24h("ses:" + caller.mailbox)),
            },
            "SendingEnabled": state.sending_enabled,
            "SuppressionAttributes": {"SuppressedReasons": list(state.suppressed_reasons)},
            "VdmAttributes": {"VdmEnabled": "DISABLED"},
        }
    )


async def _put_account(request: Request, change: str) -> Response:
    svc, caller, body = await begin(request)
    repo = svc.emulators.repo
    state = account(repo, caller.mailbox)
    if change == "sending":
        enabled = member.flag(body, "SendingEnabled")
        state = replace(state, sending_enabled=True if enabled is None else enabled)
    elif change == "suppression":
        reasons = member.texts(body, "SuppressedReasons")
        if not set(reasons) <= set(SUPPRESSION_REASONS):
            raise bad_request(f"SuppressedReasons must be among {SUPPRESSION_REASONS}.")
        state = replace(state, suppressed_reasons=reasons)
    else:
        status = member.required_text(body, "EnforcementStatus")
        if status not in ENFORCEMENT:
            raise bad_request(f"EnforcementStatus must be one of {ENFORCEMENT}.")
        state = replace(state, enforcement_status=status)
    await repo.put(caller.mailbox, ACCOUNT, "", state.json(), svc.clock.now())
    return ok()


async def put_account_sending(request: Request) -> Response:
    return await _put_account(request, "sending")


async def put_account_suppression(request: Request) -> Response:
    return await _put_account(request, "suppression")


async def put_account_enforcement(request: Request) -> Response:
    return await _put_account(request, "enforcement")
