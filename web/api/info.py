"""Routes about the service itself: application information, liveness and readiness."""

from __future__ import annotations

import os
import resource

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.web.api.describe import json_response, obj, operation
from mailyard.web.services import services


def app_version() -> str:
    """mailyard's installed version. importlib.metadata is imported here: it pulls in the email
    and csv modules, ~10 ms of the start-up `/readyz` (this module's) would otherwise pay."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mailyard")
    except PackageNotFoundError:
        return "0+unknown"


def rss_bytes() -> int:
    """This process's resident memory now (peak, where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@operation(
    "Application information (Mailpit's shape, plus mailboxes)",
    responses={"200": json_response({"type": "object"})},
    errors="mailpit",
)
async def info(request: Request) -> Response:
    svc = services(request)
    store = svc.store
    total, unread = store.messages.totals()
    smtp = svc.smtp
    return JSONResponse(
        {
            "Version": app_version(),
            "LatestVersion": "",
            "Database": store.requested_path,
            "DatabaseSize": store.file_size(),
            "Messages": total,
            "Unread": unread,
            "Tags": store.tags.counts(),
            "RuntimeStats": {
                "Uptime": int(svc.clock.now() - svc.started),
                "Memory": rss_bytes(),
                "MessagesDeleted": 0,
                "SMTPAccepted": smtp.accepted,
                "SMTPAcceptedSize": smtp.accepted_bytes,
                "SMTPRejected": smtp.rejected,
                "SMTPIgnored": 0,
                # mailyard: transactions committed; messages per commit shows group commit
                "StoreCommits": store.writer.commits,
            },
            "SMTP": {"Port": svc.smtp_port},
            "Mailboxes": {
                name: {"total": t, "unread": u}
                for name, (t, u) in store.messages.mailboxes().items()
            },
        }
    )


@operation(
    "Web UI configuration (Mailpit's shape): the release relay, and what is switched on",
    responses={"200": json_response({"type": "object"})},
    errors="mailpit",
)
async def webui(request: Request) -> Response:
    settings = services(request).settings
    relay = bool(settings.relay_host)
    allowed = ", ".join(settings.allow_recipients)
    return JSONResponse(
        {
            "Label": "",
            "MessageRelay": {
                "Enabled": relay,
                "SMTPServer": f"{settings.relay_host}:{settings.relay_port}" if relay else "",
                "ReturnPath": "",
                "AllowedRecipients": allowed if relay else "",
                "BlockedRecipients": "",
                "OverrideFrom": "",
                "PreserveMessageIDs": False,
                "RecipientAllowlist": allowed if relay else "",  # Mailpit's older name
            },
            "SpamAssassin": False,
            "ChaosEnabled": settings.enable_chaos,
            "DuplicatesIgnored": False,
            "HideDeleteAllButton": False,
        }
    )


@operation("The process is up", responses={"200": json_response(obj(status={"type": "string"}))})
async def livez(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@operation(
    "The store and the SMTP sink are serving",
    responses={
        "200": json_response(obj(status={"type": "string"}, smtp_port={"type": "integer"})),
        "503": json_response({"type": "object"}, "Not ready"),
    },
)
async def readyz(request: Request) -> Response:
    svc = services(request)
    svc.store.reader().execute("SELECT 1").fetchone()
    return JSONResponse({"status": "ready", "smtp_port": svc.smtp_port})
