"""Helpers shared by the provider emulator tests (tests/web/emulate, tests/e2e)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config

from mailyard.sandbox import MessageRecord
from mailyard.web.testing.inprocess import InProcessServer

# A well-formed SigV4 header: lenient mode reads only its scope (the access key names the mailbox).
SIGNED_HEADER = (
    "AWS4-HMAC-SHA256 Credential={akid}/20260101/us-east-1/ses/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)


def last_message(server: InProcessServer, mailbox: str) -> tuple[MessageRecord, bytes]:
    """The newest message of `mailbox` and its bytes."""
    assert server.services is not None
    store = server.services.store
    record = store.messages.get("latest", mailbox=mailbox)
    return record, store.messages.raw(record.summary.seq)


def mailbox_of(server: InProcessServer, resend_key: str) -> str:
    """The mailbox a Resend key's mail goes to."""
    assert server.services is not None
    return server.services.emulators.resend_mailbox(resend_key)


def idle(server: InProcessServer) -> None:
    """Wait until the simulator has decided every stored message."""
    assert server.services is not None
    server.call(server.services.simulator.idle)


class _Raw:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._content


def route_botocore(client: Any, api: httpx.Client, wire: list[httpx.Response] | None = None) -> Any:
    """Answer every request of a botocore client from `api` (the in-process server); each
    answer is also appended to `wire`, for the tests that check the bytes."""

    def send(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
        url = urlsplit(request.url)
        target = url.path + (f"?{url.query}" if url.query else "")
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        answer = api.request(
            request.method,
            target,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            content=body or b"",
        )
        if wire is not None:
            wire.append(answer)
        return AWSResponse(
            request.url, answer.status_code, dict(answer.headers), _Raw(answer.content)
        )

    client.meta.events.register("before-send", send)
    return client


def aws_client(
    service: str,
    api: httpx.Client,
    access_key: str,
    wire: list[httpx.Response] | None = None,
    *,
    secret: str = "secret",
    **kwargs: Any,
) -> Any:
    """A boto3 client whose requests go to the in-process server behind `api`."""
    client = boto3.client(
        service,
        endpoint_url="http://127.0.0.1",
        region_name=kwargs.pop("region", "us-east-1"),
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=Config(retries={"mode": "legacy"}),
        **kwargs,
    )
    return route_botocore(client, api, wire)
