"""Routes about the service itself: application information, liveness and readiness."""

from __future__ import annotations

import os
import resource
import time
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mailyard.sandbox.store import queries

if TYPE_CHECKING:
    from mailyard.web.app import Context


def app_version() -> str:
    try:
        return version("mailyard")
    except PackageNotFoundError:
        return "0+unknown"


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def routes(ctx: Context) -> list[Route]:
    async def info(request: Request) -> Response:
        store = ctx.db
        total, unread = queries.totals(store.reader, None)
        try:
            size = sum(
                os.path.getsize(store.path + suffix)
                for suffix in ("", "-wal")
                if os.path.exists(store.path + suffix)
            )
        except OSError:
            size = 0
        smtp = ctx.smtp
        return JSONResponse(
            {
                "Version": app_version(),
                "LatestVersion": "",
                "Database": store.requested_path,
                "DatabaseSize": size,
                "Messages": total,
                "Unread": unread,
                "Tags": queries.tag_counts(store.reader),
                "RuntimeStats": {
                    "Uptime": int(time.time() - ctx.started),
                    "Memory": _rss_bytes(),
                    "MessagesDeleted": 0,
                    "SMTPAccepted": smtp.accepted if smtp else 0,
                    "SMTPAcceptedSize": smtp.accepted_bytes if smtp else 0,
                    "SMTPRejected": smtp.rejected if smtp else 0,
                    "SMTPIgnored": 0,
                    # mailyard: transactions committed; messages per commit shows group commit
                    "StoreCommits": store.writer.commits,
                },
                "SMTP": {"Port": ctx.smtp_port},
                "Mailboxes": {
                    name: {"total": t, "unread": u}
                    for name, (t, u) in queries.mailboxes(store.reader).items()
                },
            }
        )

    async def livez(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if ctx.store is None or ctx.smtp is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        ctx.store.reader.execute("SELECT 1").fetchone()
        return JSONResponse({"status": "ready", "smtp_port": ctx.smtp_port})

    return [
        Route("/api/v1/info", info, methods=["GET"]),
        Route("/livez", livez, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
