"""The start and end of every SES v2 handler: read the body, authenticate, answer JSON.

    svc, caller, body = await begin(request)
    return ok({"MessageId": message_id})

Successful answers are 200 with the output shape's members only (no nulls), `x-amzn-RequestId`
on every one (boto3 reads it into `ResponseMetadata.RequestId`, the JS SDK into
`$metadata.requestId`); timestamps are epoch seconds as JSON numbers, which both SDKs parse.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.web.emulate.ses_wire import Caller, authenticate
from mailyard.web.emulate.wire import body_limit, json_response, parse_json, read_body, request_id
from mailyard.web.services import Services, services


async def begin(request: Request) -> tuple[Services, Caller, dict[str, Any]]:
    """The services, the authenticated caller and the JSON body (`{}` when there is none)."""
    svc = services(request)
    raw = await read_body(request, body_limit(svc.settings.smtp_max_size))
    caller = authenticate(request, raw, svc.emulators, svc.clock.now())
    body = parse_json(raw) if request.method in ("POST", "PUT") else {}
    return svc, caller, body


def ok(body: dict[str, Any] | None = None) -> Response:
    """200 with the output members given; `{}` for operations whose output is empty."""
    return json_response(
        {k: v for k, v in (body or {}).items() if v is not None},
        headers={"x-amzn-RequestId": request_id()},
    )


def listing(request: Request, body: dict[str, Any]) -> tuple[str, Any]:
    """`NextToken` and `PageSize` of a list operation, from the query string (the GET form older
    botocore and the AWS CLI send) or the JSON body (the POST form of newer SDKs)."""
    source: Any = request.query_params if request.method == "GET" else body
    token = source.get("NextToken") or ""
    return str(token), source.get("PageSize")
