"""Errors on Mailpit's routes, written as Mailpit writes them, so its clients read ours.

Mailpit answers a bad request on its API with a plain-text body (`text/plain`, the message, no
trailing newline), an unknown message with `404 page not found`, and its send API with
`{"Error": "..."}` (`server/apiv1/api.go`; ours adds `Field`). A handler declares which it is with
`operation(..., errors="mailpit" | "mailpit-json")`; this surface renders the errors of those
handlers, and mailyard's own routes keep their JSON errors that name the field (`JSONSurface`).

The message text still names the field at fault (`start must be ...`): only the wrapping is
Mailpit's.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from mailyard.web.api.describe import ERRORS, HANDLERS
from mailyard.web.errors import Problem

NOT_FOUND_TEXT = "404 page not found"
MESSAGE_NOT_FOUND = "Message not found"  # Mailpit's answer when `latest` finds nothing
# A RequestError with this code is written with its own 404 text (e.g. "Message not found");
# any other 404 is Go's `404 page not found`, as Mailpit's `fourOFour` writes it.
VERBATIM = "mailpit_verbatim"


def error_style(request: Request) -> str:
    """How errors of the route this request reached are written: json, mailpit, mailpit-json."""
    endpoint = request.scope.get("endpoint")
    handlers = getattr(endpoint, HANDLERS, None)
    if not isinstance(handlers, dict):
        return str(getattr(endpoint, ERRORS, "json"))
    method = "GET" if request.method == "HEAD" else request.method
    handler = handlers.get(method)
    if handler is not None:
        return str(getattr(handler, ERRORS, "json"))
    # A method the path does not answer (405): Mailpit's if the path is Mailpit's.
    styles = {str(getattr(h, ERRORS, "json")) for h in handlers.values()}
    return "mailpit" if styles & {"mailpit", "mailpit-json"} else "json"


def named(problem: Problem) -> str:
    """The message, naming the field at fault when it does not already."""
    field = problem.field
    if field and field not in problem.message and problem.status < 500:
        return f"{field}: {problem.message}"
    return problem.message


def text_body(problem: Problem) -> str:
    if problem.status == 404 and problem.code != VERBATIM:
        return NOT_FOUND_TEXT
    if problem.status == 405:
        return "Method Not Allowed\n"  # Go's ServeMux
    return problem.message if problem.code == VERBATIM else named(problem)


class MailpitSurface:
    """Mailpit's routes: plain-text errors, or `{"Error"}` for its send API."""

    def matches(self, request: Request) -> bool:
        return error_style(request) != "json"

    def render(self, request: Request, problem: Problem) -> Response:
        headers = dict(problem.headers)
        if error_style(request) == "mailpit-json" and problem.status not in (404, 405):
            error = {"Error": named(problem), "Field": problem.field}
            body = json.dumps(error, ensure_ascii=False) + "\n"
            return Response(body, problem.status, headers=headers, media_type="application/json")
        return Response(
            text_body(problem), problem.status, headers=headers, media_type="text/plain"
        )
