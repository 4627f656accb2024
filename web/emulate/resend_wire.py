"""Resend's API on the wire: the Bearer key and the mailbox it names, the rate limit, and
errors in Resend's shape (providers.md D4):

    HTTP/1.1 422 Unprocessable Entity
    Content-Type: application/json
    {"statusCode": 422, "name": "validation_error", "message": "Invalid `to` field. ..."}

Both SDKs map `name` to their error classes (Python: `MissingApiKeyError`, `InvalidApiKeyError`,
`ValidationError`, `MissingRequiredFieldsError`, `RateLimitError`; Node returns the body as
`error`). Any key beginning `re_` is accepted; its mailbox is a keyed hash of it
(`Emulators.resend_mailbox`), so the key itself is never stored or shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import Allowed, Throttled
from mailyard.web.emulate.wire import client_addr, json_response
from mailyard.web.errors import Problem, RequestError

if TYPE_CHECKING:
    from mailyard.web.services import Services

PREFIX = "/emails"
OWN = "resend:"  # marks a Problem's code as a Resend error name
# mailyard's generic codes (web.errors) as Resend's names and texts
_GENERIC = {
    404: ("not_found", "The requested endpoint does not exist."),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("validation_error", None),
    500: ("application_error", "An unexpected error occurred."),
    503: ("application_error", "An unexpected error occurred."),
}


class ResendError(RequestError):
    """An error as Resend answers it: status, `name`, `message`."""

    def __init__(
        self, status: int, name: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, message, code=OWN + name, headers=headers)
        self.name = name


def validation(message: str, status: int = 422) -> ResendError:
    return ResendError(status, "validation_error", message)


def missing(field: str) -> ResendError:
    return ResendError(422, "missing_required_field", f"Missing `{field}` field.")


def throttled(refused: Throttled) -> ResendError:
    status, name, message = refused.resend_error
    return ResendError(status, name, message, refused.resend_headers())


@dataclass(frozen=True)
class Sender:
    """Who made a Resend request: the mailbox the key names, the peer, and the rate headers
    every answer carries when a limit is set."""

    mailbox: str
    client_addr: str
    rate_headers: dict[str, str]


def authenticate(request: Request, svc: Services) -> Sender:
    """The caller's mailbox; 401/403 as Resend answers a missing or malformed key."""
    value = request.headers.get("authorization", "")
    scheme, _, key = value.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ResendError(401, "missing_api_key", "Missing API key in the authorization header.")
    key = key.strip()
    if not key.startswith("re_"):
        raise ResendError(403, "invalid_api_key", "API key is invalid")
    return Sender(svc.emulators.resend_mailbox(key), client_addr(request), {})


def charge(svc: Services, sender: Sender, recipients: int) -> Sender:
    """Count the request against the key's rate limit and its `recipients` against the daily
    quota: 429 past either; otherwise the sender with the `ratelimit-*` headers to answer with."""
    limits = svc.emulators.resend_limits
    if not (limits.rate or limits.daily):
        return sender
    answer = svc.throttle.acquire(
        "resend:" + sender.mailbox, limits, rate_cost=1, quota_cost=recipients
    )
    if isinstance(answer, Throttled):
        raise throttled(answer)
    assert isinstance(answer, Allowed)
    return replace(sender, rate_headers=answer.resend_headers())


def ok(sender: Sender, body: object) -> Response:
    return json_response(body, headers=sender.rate_headers)


class ResendSurface:
    """Errors under `/emails`: Resend's `{statusCode, name, message}`. A `ResendError` keeps
    its own name; any other error (an unknown route, a body too large, a failure) gets the name
    Resend gives that status."""

    def matches(self, request: Request) -> bool:
        path = request.url.path
        return path == PREFIX or path.startswith(PREFIX + "/")

    def render(self, request: Request, problem: Problem) -> Response:
        if problem.code.startswith(OWN):
            name, message = problem.code.removeprefix(OWN), problem.message
        else:
            name, text = _GENERIC.get(problem.status, ("validation_error", None))
            if problem.status >= 500:
                name, text = _GENERIC[500]
            message = text or problem.message
        headers = {k: v for k, v in problem.headers.items() if k.lower() != "allow"}
        return json_response(
            {"statusCode": problem.status, "name": name, "message": message},
            problem.status,
            headers=headers,
        )
