"""The error surfaces of the emulators (registered before mailyard's JSON surface), and how the
request guard recognises a provider SDK's call.

Every error under a provider's paths, even a 404, 405 or 500 that no handler raised, comes back
in that provider's own format, so its SDK raises its own exception instead of failing to parse.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from mailyard.web.emulate.resend_wire import ResendSurface
from mailyard.web.emulate.ses_errors import V2_PREFIX, SESv2Surface
from mailyard.web.emulate.ses_v1_xml import error_document
from mailyard.web.emulate.wire import json_response
from mailyard.web.errors import Problem, Surface

COMPAT_PATHS = ("/_aws/ses", "/store", "/clear-store", "/get-emlContent")
_V1_CODES = {404: "InvalidAction", 405: "InvalidAction", 413: "InvalidParameterValue"}


class SESv1Surface:
    """`POST /`: SES v1's `<ErrorResponse>` XML."""

    def matches(self, request: Request) -> bool:
        return request.url.path == "/" and request.method == "POST"

    def render(self, request: Request, problem: Problem) -> Response:
        if problem.status >= 500:
            return error_document("InternalFailure", 500, "An internal error occurred.")
        code = _V1_CODES.get(problem.status, "InvalidParameterValue")
        return error_document(code, problem.status, problem.message)


class CompatSurface:
    """The other sandboxes' retrieval routes: `{"message": ...}`, as aws-ses-v2-local writes."""

    def matches(self, request: Request) -> bool:
        return request.url.path in COMPAT_PATHS

    def render(self, request: Request, problem: Problem) -> Response:
        return json_response({"message": problem.message}, problem.status, headers=problem.headers)


SURFACES: tuple[Surface, ...] = (SESv2Surface(), SESv1Surface(), ResendSurface(), CompatSurface())


def provider_call(path: str, method: str, headers: Mapping[str, str]) -> bool:
    """A call to an emulated provider API carrying that provider's own credentials (SigV4 or a
    Resend Bearer key): the request guard lets these through without the inbox's Basic auth,
    since the SDKs cannot send both. The compatibility routes are not among them: they read
    the mail, as the inbox does."""
    authorization = headers.get("authorization", "")
    if path.startswith(V2_PREFIX) or (path == "/" and method == "POST"):
        return authorization.startswith("AWS4-HMAC-SHA256 ")
    if path == "/emails" or path.startswith("/emails/"):
        return authorization[:7].lower() == "bearer "
    return False
