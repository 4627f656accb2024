"""Steering the simulator over HTTP: the suppression list, rules and SMTP faults per mailbox,
Mailpit's chaos API over the same faults, and the clock a test may move."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from mailyard.sandbox import (
    ClockError,
    FaultPlan,
    InvalidInputError,
    RuleSet,
    Suppression,
    chaos,
)
from mailyard.web.api.describe import (
    ERROR,
    MAILBOX,
    fields,
    json_body,
    json_response,
    obj,
    operation,
    query,
    text_response,
)
from mailyard.web.api.params import known_fields, read_body, read_json, str_param
from mailyard.web.errors import RequestError
from mailyard.web.services import services

DEFAULT_MAILBOX = "default"
REASONS = ("BOUNCE", "COMPLAINT")
SUPPRESSION = obj(
    mailbox={"type": "string"},
    address={"type": "string"},
    reason={"enum": list(REASONS)},
    created={"type": "number", "description": "Unix time"},
    messageId={"type": "string"},
    origin={"enum": ["simulator", "api", "manual"]},
)
RULES = obj(rules={"type": "array", "items": {"type": "object"}}, seed={"type": "string"})
FAULTS = obj(rules={"type": "array", "items": {"type": "object"}})
_MAILBOX_SCOPE = query(
    "mailbox", "The mailbox (an SMTP user, SES access key, Resend key label); default: default"
)


def _mailbox(request: Request) -> str:
    return str_param(request, "mailbox") or DEFAULT_MAILBOX


def _suppression(entry: Suppression) -> dict[str, object]:
    return {
        "mailbox": entry.mailbox,
        "address": entry.address,
        "reason": entry.reason,
        "created": entry.created,
        "messageId": entry.message_id,
        "origin": entry.origin,
    }


@operation(
    "mailyard: the suppression list (of a mailbox, or all)",
    parameters=[MAILBOX, query("reason", "BOUNCE or COMPLAINT", {"enum": list(REASONS)})],
    responses={"200": json_response(obj(suppressions={"type": "array", "items": SUPPRESSION}))},
)
async def list_suppressions(request: Request) -> Response:
    reason = str_param(request, "reason")
    if reason is not None and reason not in REASONS:
        raise RequestError(400, "reason must be BOUNCE or COMPLAINT", "reason")
    entries = services(request).store.deliveries.suppressions(
        str_param(request, "mailbox"), reason=reason
    )
    return JSONResponse({"suppressions": [_suppression(e) for e in entries]})


@operation(
    "mailyard: put an address on a mailbox's suppression list",
    parameters=[_MAILBOX_SCOPE],
    body=json_body(fields("address", address={"type": "string"}, reason={"enum": list(REASONS)})),
    responses={"200": json_response(SUPPRESSION), "400": ERROR},
)
async def add_suppression(request: Request) -> Response:
    body = known_fields(await read_json(request), "address", "reason")
    address, reason = body.get("address"), body.get("reason", "BOUNCE")
    if not isinstance(address, str) or "@" not in address or len(address) > 320:
        raise RequestError(400, "address must be an email address", "address")
    if reason not in REASONS:
        raise RequestError(400, "reason must be BOUNCE or COMPLAINT", "reason")
    svc = services(request)
    entry = Suppression(_mailbox(request), address.lower(), reason, svc.clock.now(), "", "api")
    await svc.store.deliveries.suppress([entry])
    return JSONResponse(_suppression(entry))


@operation(
    "mailyard: take an address off a mailbox's suppression list, or clear the list",
    parameters=[_MAILBOX_SCOPE, query("address", "The address; without it, the whole list")],
    responses={"200": json_response(obj(removed={"type": "integer"}))},
)
async def remove_suppression(request: Request) -> Response:
    removed = await services(request).store.deliveries.unsuppress(
        _mailbox(request), str_param(request, "address")
    )
    return JSONResponse({"removed": removed})


@operation(
    "mailyard: the simulator's rules for a mailbox (and the global ones, read only)",
    parameters=[_MAILBOX_SCOPE],
    responses={"200": json_response(obj(mailbox=RULES, global_rules={"type": "array"}))},
)
async def get_rules(request: Request) -> Response:
    rules = services(request).simulator.rules
    own = rules.by_mailbox.get(_mailbox(request))
    return JSONResponse(
        {
            "mailbox": own.as_json() if own is not None else {"rules": []},
            "global_rules": [r.as_json() for r in rules.global_rules],
        }
    )


@operation(
    "mailyard: replace the simulator's rules for a mailbox (an empty list removes them)",
    parameters=[_MAILBOX_SCOPE],
    body=json_body(RULES, required=True),
    responses={"200": json_response(RULES), "400": ERROR},
)
async def put_rules(request: Request) -> Response:
    mailbox = _mailbox(request)
    try:
        rule_set = RuleSet.from_json(await read_json(request), name=mailbox)
    except InvalidInputError as exc:
        raise RequestError(400, str(exc), exc.field or "rules") from None
    by_mailbox = services(request).simulator.rules.by_mailbox
    if rule_set.rules:
        by_mailbox[mailbox] = rule_set
    else:
        by_mailbox.pop(mailbox, None)
    return JSONResponse(rule_set.as_json())


@operation(
    "mailyard: the SMTP faults for a mailbox (and the global ones, read only)",
    parameters=[_MAILBOX_SCOPE],
    responses={"200": json_response(obj(mailbox=FAULTS, global_faults=FAULTS))},
)
async def get_faults(request: Request) -> Response:
    faults = services(request).faults
    own = faults.by_mailbox.get(_mailbox(request))
    return JSONResponse(
        {
            "mailbox": own.as_json() if own is not None else {"rules": []},
            "global_faults": faults.global_plan.as_json(),
        }
    )


@operation(
    "mailyard: replace the SMTP faults for a mailbox (an empty list removes them)",
    description="Each rule: stage (connect, auth, mail, rcpt, data), an optional reply code "
    "and text, a percentage, added latency, drop, and an address pattern to match.",
    parameters=[_MAILBOX_SCOPE],
    body=json_body(FAULTS, required=True),
    responses={"200": json_response(FAULTS), "400": ERROR},
)
async def put_faults(request: Request) -> Response:
    mailbox = _mailbox(request)
    try:
        plan = FaultPlan.from_json(await read_json(request))
    except InvalidInputError as exc:
        raise RequestError(400, str(exc), exc.field or "rules") from None
    by_mailbox = services(request).faults.by_mailbox
    if plan.rules:
        by_mailbox[mailbox] = plan
    else:
        by_mailbox.pop(mailbox, None)
    return JSONResponse(plan.as_json())


def _chaos_error(message: str) -> Response:
    """Mailpit answers chaos errors as bare text."""
    return PlainTextResponse(message, status_code=400)


@operation(
    "Get the chaos triggers (Mailpit's chaos API)",
    responses={"200": json_response({"type": "object"}), "400": text_response("Not enabled")},
)
async def get_chaos(request: Request) -> Response:
    faults = services(request).faults
    if not faults.chaos_enabled:
        return _chaos_error(chaos.NOT_ENABLED)
    return Response(chaos.read(faults.global_plan).encode(), media_type="application/json")


@operation(
    "Set the chaos triggers (Mailpit's chaos API): Sender, Recipient, Authentication",
    body=json_body({"type": "object"}),
    responses={"200": json_response({"type": "object"}), "400": text_response("The error")},
)
async def put_chaos(request: Request) -> Response:
    faults = services(request).faults
    if not faults.chaos_enabled:
        return _chaos_error(chaos.NOT_ENABLED)
    try:
        triggers = chaos.decode_put(await read_body(request))
    except chaos.ChaosError as exc:
        return _chaos_error(str(exc))
    faults.global_plan = chaos.apply(faults.global_plan, triggers)
    return Response(chaos.read(faults.global_plan).encode(), media_type="application/json")


CLOCK = obj(
    now={"type": "number", "description": "Unix time, as mailyard sees it"},
    offset={"type": "number", "description": "Seconds moved forward so far"},
    movable={"type": "boolean"},
    pending={"type": "integer", "description": "Timers waiting to fire"},
)


def _clock_json(request: Request) -> dict[str, object]:
    clock = services(request).clock
    return {
        "now": clock.now(),
        "offset": clock.offset,
        "movable": clock.movable,
        "pending": clock.pending(),
    }


@operation("mailyard: the clock", responses={"200": json_response(CLOCK)})
async def get_clock(request: Request) -> Response:
    return JSONResponse(_clock_json(request))


@operation(
    "mailyard: move the clock forward (needs --clock-control): delays, retries and expiry due "
    "by then happen now",
    body=json_body(
        fields("seconds", seconds={"type": "number", "minimum": 0, "maximum": 3.2e9}), True
    ),
    responses={"200": json_response(CLOCK), "400": ERROR, "409": ERROR},
)
async def advance_clock(request: Request) -> Response:
    body = known_fields(await read_json(request), "seconds")
    seconds = body.get("seconds")
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not 0 <= seconds <= 3.2e9
    ):
        raise RequestError(400, "seconds must be a number from 0 to 3.2e9", "seconds")
    svc = services(request)
    try:
        svc.clock.advance(float(seconds))
    except ClockError as exc:
        raise RequestError(409, str(exc), "seconds", code="clock_not_movable") from None
    await svc.simulator.idle()  # what fell due is recorded before we answer
    return JSONResponse(_clock_json(request))
