"""The real SDKs, in process: boto3 and the Resend Python SDK build, sign and parse exactly as
they would over the wire, and their requests reach the in-process server through httpx's ASGI
transport (botocore's `before-send` hook answers with our response; the Resend SDK takes an
HTTP client). tests/e2e/ drives the same SDKs over real sockets."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import resend
from support.emulate import aws_client


@pytest.fixture
def wire() -> list[httpx.Response]:
    """Every answer the test's boto3 clients got, in order."""
    return []


@pytest.fixture
def akid() -> str:
    """An access key id of this test's own: it names the mailbox."""
    return "AKIA" + uuid.uuid4().hex[:16].upper()


@pytest.fixture
def sesv2(api: httpx.Client, akid: str, wire: list[httpx.Response]) -> Any:
    return aws_client("sesv2", api, akid, wire)


@pytest.fixture
def ses(api: httpx.Client, akid: str, wire: list[httpx.Response]) -> Any:
    return aws_client("ses", api, akid, wire)


class ResendThroughASGI(resend.HTTPClient):  # type: ignore[misc]
    """The Resend SDK's HTTP client, sending through the in-process server."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        json: Any = None,
        files: Any = None,
        data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        answer = self.api.request(
            method.upper(),
            urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else ""),
            headers=dict(headers),
            json=json,
        )
        return answer.content, answer.status_code, answer.headers


@pytest.fixture
def resend_key() -> str:
    return "re_" + uuid.uuid4().hex


@pytest.fixture
def resend_sdk(api: httpx.Client, resend_key: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The `resend` module, configured for this test's key and the in-process server."""
    monkeypatch.setattr(resend, "api_key", resend_key)
    monkeypatch.setattr(resend, "api_url", "http://127.0.0.1")
    monkeypatch.setattr(resend, "default_http_client", ResendThroughASGI(api))
    return resend
