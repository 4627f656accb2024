"""Every route of the service, in one table: path, handler, methods.

Handlers are module-level functions that take a request and reach the running services through
`web.services.services(request)`. The API's routes describe themselves for the OpenAPI document
(`web.api.describe`); the inbox's pages do not.
"""

from __future__ import annotations

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
from mailyard.web.ui import pages, preview, stream
from mailyard.web.ui.templating import HERE as UI_FOLDER

GET, POST, PUT, DELETE = ["GET"], ["POST"], ["PUT"], ["DELETE"]

API: list[BaseRoute] = [
    # Mailpit's API v1
    Route("/api/v1/messages", messages.list_messages, methods=GET),
    Route("/api/v1/messages", messages.delete_messages, methods=DELETE),
    Route("/api/v1/messages", messages.set_read, methods=PUT),
    Route("/api/v1/search", messages.search, methods=GET),
    Route("/api/v1/search", messages.delete_search, methods=DELETE),
    Route("/api/v1/message/{id}", message.get_message, methods=GET),
    Route("/api/v1/message/{id}/headers", message.get_headers, methods=GET),
    Route("/api/v1/message/{id}/raw", message.get_raw, methods=GET),
    Route("/api/v1/message/{id}/part/{part}", message.get_part, methods=GET),
    Route("/api/v1/tags", tags.list_tags, methods=GET),
    Route("/api/v1/tags", tags.set_tags, methods=PUT),
    Route("/api/v1/tags/{tag}", tags.rename_tag, methods=PUT),
    Route("/api/v1/tags/{tag}", tags.delete_tag, methods=DELETE),
    Route("/api/v1/send", send.send, methods=POST),
    Route("/api/v1/info", info.info, methods=GET),
    Route("/view/{id}.html", views.view_html, methods=GET),
    Route("/view/{id}.txt", views.view_text, methods=GET),
    Route("/view/{id}/part/{part}", views.inline_part, methods=GET),
    # mailyard's extensions for CI
    Route("/api/v1/messages/wait", messages.wait, methods=GET),
    Route("/api/v1/messages/cursor", messages.cursor, methods=GET),
    Route("/api/v1/mailboxes", messages.mailboxes, methods=GET),
    Route("/api/v1/message/{id}/links", message.get_links, methods=GET),
    Route("/api/v1/message/{id}/codes", message.get_codes, methods=GET),
    # outbound: the mailer, the spec's email-test, the send log
    Route("/api/v1/email-test", email_test.email_test, methods=POST),
    Route("/api/v1/outbound", email_test.outbound, methods=POST),
    Route("/api/v1/send-log", delivery.send_log, methods=GET),
    Route("/api/v1/delivery", delivery.delivery, methods=GET),
    # the service
    Route("/api/v1/openapi.json", openapi.openapi_json, methods=GET),
    Route("/livez", info.livez, methods=GET),
    Route("/readyz", info.readyz, methods=GET),
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
