"""Every route of the service, in one table: path, handler, methods.

Handlers are module-level functions that take a request and reach the running services through
`web.services.services(request)`. The API's routes describe themselves for the OpenAPI document
(`web.api.describe`); the inbox's pages do not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mailyard.web.api import (
    delivery,
    email_test,
    info,
    message,
    messages,
    openapi,
    send,
    tags,
    views,
)
from mailyard.web.api.describe import HANDLERS
from mailyard.web.ui import pages, preview, stream
from mailyard.web.ui.templating import HERE as UI_FOLDER

GET, POST, PUT, DELETE = ["GET"], ["POST"], ["PUT"], ["DELETE"]
Handler = Callable[[Request], Awaitable[Response]]


def resource(path: str, **handlers: Handler) -> Route:
    """One route for a path and every method it answers, so a wrong method gets a 405 whose
    Allow header lists them all (separate routes per method would each list only their own)."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    dispatch.__name__ = "_".join(h.__name__ for h in handlers.values())
    setattr(dispatch, HANDLERS, handlers)
    return Route(path, dispatch, methods=list(handlers))


API: list[BaseRoute] = [
    # Mailpit's API v1
    resource(
        "/api/v1/messages",
        GET=messages.list_messages,
        PUT=messages.set_read,
        DELETE=messages.delete_messages,
    ),
    resource("/api/v1/search", GET=messages.search, DELETE=messages.delete_search),
    resource("/api/v1/message/{id}", GET=message.get_message),
    resource("/api/v1/message/{id}/headers", GET=message.get_headers),
    resource("/api/v1/message/{id}/raw", GET=message.get_raw),
    resource("/api/v1/message/{id}/part/{part}", GET=message.get_part),
    resource("/api/v1/tags", GET=tags.list_tags, PUT=tags.set_tags),
    resource("/api/v1/tags/{tag}", PUT=tags.rename_tag, DELETE=tags.delete_tag),
    resource("/api/v1/send", POST=send.send),
    resource("/api/v1/info", GET=info.info),
    resource("/view/{id}.html", GET=views.view_html),
    resource("/view/{id}.txt", GET=views.view_text),
    resource("/view/{id}/part/{part}", GET=views.inline_part),
    # mailyard's extensions for CI
    resource("/api/v1/messages/wait", GET=messages.wait),
    resource("/api/v1/messages/cursor", GET=messages.cursor),
    resource("/api/v1/mailboxes", GET=messages.mailboxes),
    resource("/api/v1/message/{id}/links", GET=message.get_links),
    resource("/api/v1/message/{id}/codes", GET=message.get_codes),
    # outbound: the mailer, the spec's email-test, the send log
    resource("/api/v1/email-test", POST=email_test.email_test),
    resource("/api/v1/outbound", POST=email_test.outbound),
    resource("/api/v1/send-log", GET=delivery.send_log),
    resource("/api/v1/delivery", GET=delivery.delivery),
    # the service
    resource("/api/v1/openapi.json", GET=openapi.openapi_json),
    resource("/livez", GET=info.livez),
    resource("/readyz", GET=info.readyz),
]

UI: list[BaseRoute] = [
    Route("/", pages.inbox, methods=GET),
    Route("/ui/rows", pages.rows, methods=GET),
    Route("/message/{id}", pages.message, methods=GET),
    Route("/status", pages.status, methods=GET),
    Route("/preview", preview.gallery, methods=GET),
    Route("/ui/preview/render", preview.render_preview, methods=GET),
    Route("/ui/preview/send", preview.send_test, methods=POST),
    Route("/ui/events", stream.events, methods=GET),
    Mount("/static", app=StaticFiles(directory=UI_FOLDER / "static"), name="static"),
]

ROUTES: list[BaseRoute] = [*API, *UI]
