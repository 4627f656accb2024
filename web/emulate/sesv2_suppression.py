"""SES v2's account-level suppression list: a view of the simulator's list of the mailbox, so a
hard bounce the simulator records is listed here and an address put here is suppressed there.

    PUT    /v2/email/suppression/addresses                  PutSuppressedDestination
    GET    /v2/email/suppression/addresses                  ListSuppressedDestinations
    GET    /v2/email/suppression/addresses/{EmailAddress}   GetSuppressedDestination
    DELETE /v2/email/suppression/addresses/{EmailAddress}   DeleteSuppressedDestination

Clients percent-encode the address in the path (`a%2Bb%40x.com`); the route sees it decoded.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import Suppression
from mailyard.web.emulate import ses_wire as member
from mailyard.web.emulate.ses_errors import bad_request, not_found
from mailyard.web.emulate.sesv2_io import begin, ok

REASONS = ("BOUNCE", "COMPLAINT")
MAX_SCAN = 100_000


def _address(request: Request) -> str:
    return str(request.path_params["EmailAddress"])


def _missing(address: str) -> Exception:
    return not_found(f"Email address {address} does not exist on your suppression list.")


async def put_suppressed(request: Request) -> Response:
    svc, caller, body = await begin(request)
    address = member.required_text(body, "EmailAddress").strip()
    reason = member.required_text(body, "Reason")
    if reason not in REASONS:
        raise bad_request(f"Reason must be one of {REASONS}.")
    if "@" not in address:
        raise bad_request(f"Invalid email address: {address[:200]}")
    deliveries = svc.store.deliveries
    existing = deliveries.suppression(caller.mailbox, address)
    if existing is not None and existing.reason != reason:
        await deliveries.unsuppress(caller.mailbox, address)  # SES replaces the entry's reason
    if existing is None or existing.reason != reason:
        entry = Suppression(caller.mailbox, address, reason, svc.clock.now(), origin="api")
        await deliveries.suppress([entry])
    return ok()


async def get_suppressed(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    address = _address(request)
    entry = svc.store.deliveries.suppression(caller.mailbox, address)
    if entry is None:
        raise _missing(address)
    provider_id = svc.emulators.repo.provider_id_of(entry.message_id) if entry.message_id else ""
    return ok(
        {
            "SuppressedDestination": {
                "EmailAddress": entry.address,
                "Reason": entry.reason,
                "LastUpdateTime": entry.created,
                **({"Attributes": {"MessageId": provider_id}} if provider_id else {}),
            }
        }
    )


def _date(text: str | None, name: str) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise bad_request(f"{name} is not a timestamp.") from None


async def list_suppressed(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    query = request.query_params
    reasons = set(query.getlist("Reason")) or set(REASONS)
    if not reasons <= set(REASONS):
        raise bad_request(f"Reason must be among {REASONS}.")
    start, end = _date(query.get("StartDate"), "StartDate"), _date(query.get("EndDate"), "EndDate")
    limit = member.page_size(query.get("PageSize"), default=100, maximum=1000)
    token = query.get("NextToken") or "0"
    if not token.isdigit():
        raise bad_request("NextToken is not one this service gave out.")
    offset = int(token)
    reason = next(iter(reasons)) if len(reasons) == 1 else None
    entries = [
        e
        for e in svc.store.deliveries.suppressions(caller.mailbox, reason=reason, limit=MAX_SCAN)
        if (start is None or e.created >= start) and (end is None or e.created <= end)
    ]
    page = entries[offset : offset + limit]
    return ok(
        {
            "SuppressedDestinationSummaries": [
                {"EmailAddress": e.address, "Reason": e.reason, "LastUpdateTime": e.created}
                for e in page
            ],
            "NextToken": str(offset + limit) if len(entries) > offset + limit else None,
        }
    )


async def delete_suppressed(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    address = _address(request)
    if not await svc.store.deliveries.unsuppress(caller.mailbox, address):
        raise _missing(address)
    return ok()
