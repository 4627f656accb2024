"""Mailpit's checks of one message: HTML compatibility, links, and SpamAssassin.

- `html-check`: caniemail's support data against the HTML (`sandbox.mail.htmlcheck`), Mailpit's
  `HTMLCheckResponse`; a message without HTML is Mailpit's 400 `message does not contain HTML`.
- `link-check`: the status of every link (`sandbox.mail.linkcheck`), Mailpit's
  `LinkCheckResponse`; `follow=true` follows redirects. Private, loopback and link-local
  addresses answer 451 unless `--allow-internal-http-requests` (Mailpit's flag) is on.
- `sa-check`: mailyard runs no SpamAssassin, so it answers Mailpit's result shape with its
  `Error` saying so (Mailpit answers 404 when SpamAssassin is off; a 200 lets clients that call
  it, such as mailpit-api's `spamAssassinCheck`, read why).

An unknown message is `404 page not found` on all three (Mailpit's `fourOFour`), `latest`
included. The HTML check of a large body runs on a worker thread.
"""

from __future__ import annotations

import asyncio

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.sandbox import (
    HTMLCheckResult,
    InvalidInputError,
    check_html,
    check_links,
    link_check_urls,
)
from mailyard.web.api.describe import (
    ID,
    LATEST_QUERY,
    TEXT_ERROR,
    TEXT_NOT_FOUND,
    json_response,
    obj,
    operation,
    query,
)
from mailyard.web.api.htmltext import body_text
from mailyard.web.api.info import app_version
from mailyard.web.api.lookup import find_record
from mailyard.web.api.reading import off_loop, read_message
from mailyard.web.api.surface import NOT_FOUND_TEXT, VERBATIM
from mailyard.web.errors import RequestError
from mailyard.web.services import services

INLINE_CHECK = 32 * 1024  # bytes of HTML checked on the event loop; more goes to a thread
LINK_TIMEOUT = 10.0  # Mailpit's per-link timeout
SA_NOT_ENABLED = "SpamAssassin is not enabled in mailyard"

_RESULT = {"type": "object"}


async def _html_check(html: str) -> HTMLCheckResult:
    if len(html) > INLINE_CHECK:
        return await asyncio.to_thread(check_html, html)
    return check_html(html)


@operation(
    "Mailpit's HTML compatibility check (caniemail data)",
    parameters=[ID, LATEST_QUERY],
    responses={"200": json_response(_RESULT), "400": TEXT_ERROR, "404": TEXT_NOT_FOUND},
    errors="mailpit",
)
async def html_check(request: Request) -> Response:
    record = find_record(request, latest_missing=NOT_FOUND_TEXT)
    opened, _ = await read_message(request, record, lambda _: None)
    try:
        result = await _html_check(opened.view.html)
    except InvalidInputError as exc:
        raise RequestError(400, str(exc), "html", code=VERBATIM) from None
    return JSONResponse(result.as_json())


@operation(
    "Mailpit's link check: the HTTP status of every link",
    parameters=[
        ID,
        LATEST_QUERY,
        query("follow", "true or 1: follow redirects (at most 2 hops, as Mailpit's client)"),
    ],
    responses={
        "200": json_response(
            obj(
                Errors={"type": "integer"},
                Links={
                    "type": "array",
                    "items": obj(
                        URL={"type": "string"},
                        StatusCode={"type": "integer"},
                        Status={"type": "string"},
                    ),
                },
            )
        ),
        "400": TEXT_ERROR,
        "404": TEXT_NOT_FOUND,
    },
    errors="mailpit",
)
async def link_check(request: Request) -> Response:
    svc = services(request)
    record = find_record(request, latest_missing=NOT_FOUND_TEXT)
    opened, _ = await read_message(request, record, lambda _: None)
    text = await body_text(request, opened.view)
    urls = await off_loop(
        len(text) + len(opened.view.html), link_check_urls, text, opened.view.html
    )
    follow = request.query_params.get("follow", "").lower() in ("true", "1")
    # Its own client: no proxy from the environment, nothing shared with the service's calls.
    async with httpx.AsyncClient(trust_env=False) as client:
        result = await check_links(
            urls,
            client,
            follow=follow,
            allow_private=svc.settings.allow_internal_http_requests,
            timeout=LINK_TIMEOUT,
            user_agent=f"mailyard/{app_version()}",
        )
    return JSONResponse(result.as_json())


@operation(
    "Mailpit's SpamAssassin check: mailyard runs none, and its Error says so",
    parameters=[ID, LATEST_QUERY],
    responses={
        "200": json_response(
            obj(
                IsSpam={"type": "boolean"},
                Error={"type": "string"},
                Score={"type": "number"},
                Rules={"type": "array", "items": {"type": "object"}},
            )
        ),
        "400": TEXT_ERROR,
        "404": TEXT_NOT_FOUND,
    },
    errors="mailpit",
)
async def sa_check(request: Request) -> Response:
    find_record(request)
    return JSONResponse({"IsSpam": False, "Error": SA_NOT_ENABLED, "Score": 0, "Rules": []})
