"""Routes about outgoing mail: the configured delivery and the send log (the spec's checklist)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mailyard.sandbox.outbound.allowlist import Allowlist
from mailyard.sandbox.outbound.routing import choose
from mailyard.sandbox.store import queries
from mailyard.web.api.params import int_param, str_param
from mailyard.web.errors import RequestError

if TYPE_CHECKING:
    from mailyard.web.app import Context

OUTCOMES = ("sent", "skipped", "blocked", "dry_run", "failed")


def routes(ctx: Context) -> list[Route]:
    async def send_log(request: Request) -> Response:
        outcome = str_param(request, "outcome")
        if outcome and outcome not in OUTCOMES:
            raise RequestError(400, f"outcome must be one of {', '.join(OUTCOMES)}", "outcome")
        entries = queries.send_log(
            ctx.db.reader,
            limit=int_param(request, "limit", 50, low=1, high=1000),
            concept=str_param(request, "concept"),
            outcome=outcome,
            reason=str_param(request, "reason"),
        )
        return JSONResponse({"entries": entries, "count": len(entries)})

    async def delivery(request: Request) -> Response:
        config = ctx.delivery
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
                "allowRecipients": sorted(allow.addresses)
                + [f"*@{d}" for d in sorted(allow.domains)],
            }
        )

    return [
        Route("/api/v1/send-log", send_log, methods=["GET"]),
        Route("/api/v1/delivery", delivery, methods=["GET"]),
    ]
