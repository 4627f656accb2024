"""Routes about outgoing mail: the configured delivery and the send log (the spec's checklist)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.sandbox import Allowlist, choose
from mailyard.web.api.describe import ERROR, json_response, obj, operation, query, strings
from mailyard.web.api.params import int_param, str_param
from mailyard.web.api.schemas import ref
from mailyard.web.errors import RequestError
from mailyard.web.services import services

OUTCOMES = ("sent", "skipped", "blocked", "dry_run", "failed")


@operation(
    "mailyard: what the mailer sent, skipped (not configured), blocked, failed",
    parameters=[
        query("concept", "Only this email concept"),
        query("outcome", "sent, skipped, blocked, dry_run or failed", {"enum": list(OUTCOMES)}),
        query("reason", "e.g. email_not_configured"),
        query(
            "limit",
            "At most this many, newest first",
            {"type": "integer", "default": 50, "minimum": 1, "maximum": 1000},
        ),
    ],
    responses={
        "200": json_response(
            obj(count={"type": "integer"}, entries={"type": "array", "items": ref("SendLogEntry")})
        ),
        "400": ERROR,
    },
)
async def send_log(request: Request) -> Response:
    outcome = str_param(request, "outcome")
    if outcome and outcome not in OUTCOMES:
        raise RequestError(400, f"outcome must be one of {', '.join(OUTCOMES)}", "outcome")
    entries = services(request).store.send_log.entries(
        limit=int_param(request, "limit", 50, low=1, high=1000),
        concept=str_param(request, "concept"),
        outcome=outcome,
        reason=str_param(request, "reason"),
    )
    return JSONResponse({"entries": [e.as_json() for e in entries], "count": len(entries)})


@operation(
    "mailyard: the configured delivery and whether its provider can send",
    responses={
        "200": json_response(
            obj(
                mode={"type": "string"},
                provider={"type": "string"},
                configured={"type": "boolean"},
                missing=strings(),
                **{"from": {"type": "string"}},
                leavesThisMachine={"type": "boolean"},
                dryRun={"type": "boolean"},
                allowRecipients=strings(),
            )
        )
    },
)
async def delivery(request: Request) -> Response:
    config = services(request).delivery
    route = choose(config)
    allow = Allowlist.parse(config.allow_recipients)
    return JSONResponse(
        {
            "mode": config.mode,
            "provider": route.provider,
            "configured": route.configured,
            "missing": list(route.missing),
            "from": route.from_address,
            "leavesThisMachine": route.real,
            "dryRun": config.dry_run,
            "allowRecipients": sorted(allow.addresses) + [f"*@{d}" for d in sorted(allow.domains)],
        }
    )
