"""SES's errors, in both of its protocols, and the surfaces that write every error on its routes.

An `SESError` carries the code and status of each protocol, because they differ: an unknown
configuration set is v2's `NotFoundException` 404 and v1's `ConfigurationSetDoesNotExist` 400
(notes/provider-emulation.md §4, §8). Raised anywhere under a v2 route it is rendered by
`SESv2Surface` as SES does:

    HTTP/1.1 404 Not Found
    x-amzn-RequestId: 2c0b3d1e-…
    x-amzn-ErrorType: NotFoundException:http://internal.amazon.com/coral/com.amazonaws.sesv2/
    {"message":"…"}

which makes boto3 and the JS SDK raise their modelled exception class. v1's dispatcher catches it
and writes `<ErrorResponse>` (`ses_v1_xml.error_document`). Errors that are not SES's own (an
unknown route, a body too large, an internal failure) get the nearest SES code, so even those
reach the SDKs in the format they parse.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mailyard.web.emulate.sigv4 import SigV4Error
from mailyard.web.emulate.wire import json_response, request_id
from mailyard.web.errors import Problem, RequestError

V2_PREFIX = "/v2/email"
CORAL = ":http://internal.amazon.com/coral/com.amazonaws.sesv2/"

# mailyard's generic error codes (web.errors) as SES v2 codes
_V2_CODES = {
    "not_found": ("UnknownOperationException", 404),
    "method_not_allowed": ("UnknownOperationException", 404),
    "internal": ("InternalServiceErrorException", 500),
    "store_unavailable": ("InternalServiceErrorException", 500),
    "storage_full": ("InternalServiceErrorException", 500),
}


class SESError(RequestError):
    """An error SES returns: v2's code and status (what `RequestError` renders), v1's beside."""

    def __init__(
        self,
        code: str,
        status: int,
        message: str,
        *,
        v1_code: str | None = None,
        v1_status: int | None = None,
        v1_message: str | None = None,
    ) -> None:
        super().__init__(status, message, code=code)
        self.v1_code = v1_code or code
        self.v1_status = v1_status or status
        self.v1_message = v1_message or message


def message_rejected(message: str) -> SESError:
    return SESError("MessageRejected", 400, message)


def bad_request(message: str) -> SESError:
    return SESError("BadRequestException", 400, message, v1_code="InvalidParameterValue")


def not_found(message: str) -> SESError:
    return SESError("NotFoundException", 404, message)


def already_exists(message: str, v1_code: str = "AlreadyExists") -> SESError:
    return SESError("AlreadyExistsException", 400, message, v1_code=v1_code)


def configuration_set_missing(name: str) -> SESError:
    return SESError(
        "NotFoundException",
        404,
        f"Configuration set <{name}> does not exist.",
        v1_code="ConfigurationSetDoesNotExist",
        v1_status=400,
    )


def template_missing(name: str) -> SESError:
    return SESError(
        "NotFoundException",
        404,
        f"Template {name} does not exist.",
        v1_code="TemplateDoesNotExist",
        v1_status=400,
    )


def from_sigv4(error: SigV4Error) -> SESError:
    code, status = error.failure.rest_json
    v1_code, v1_status = error.failure.query
    return SESError(
        code,
        status,
        error.message,
        v1_code=v1_code,
        v1_status=v1_status,
        v1_message=error.query_message(),
    )


def v2_error(
    code: str, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    return json_response(
        {"message": message},
        status,
        headers={
            **(headers or {}),
            "x-amzn-RequestId": request_id(),
            "x-amzn-ErrorType": code + CORAL,
        },
    )


class SESv2Surface:
    """Errors under `/v2/email/`: SES v2's JSON error with `x-amzn-ErrorType`."""

    def matches(self, request: Request) -> bool:
        return request.url.path.startswith(V2_PREFIX)

    def render(self, request: Request, problem: Problem) -> Response:
        code, status = problem.code, problem.status
        if code in _V2_CODES:
            code, status = _V2_CODES[code]
        elif not code[:1].isupper():  # one of mailyard's own codes: bad input
            code = "BadRequestException" if status < 500 else "InternalServiceErrorException"
        message = problem.message
        if problem.field and problem.field not in message and status < 500:
            message = f"{problem.field}: {message}"
        headers = {k: v for k, v in problem.headers.items() if k.lower() != "allow"}
        return v2_error(code, status, message, headers)
