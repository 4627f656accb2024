"""--api-cors as Mailpit reads it, and what it lets other origins do (and what it does not)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.servers import start_inprocess

from mailyard.web.middleware.cors import CORSPolicy
from mailyard.web.testing.inprocess import InProcessServer


def test_policy_reads_mailpits_flag() -> None:
    policy = CORSPolicy.parse(["https://app.example", "other.example:8080", "*.bad", "http://"])
    assert policy.hosts == {"app.example", "other.example:8080"}
    assert policy.allows("http://app.example", "127.0.0.1:8025")  # the scheme is ignored
    assert not policy.allows("http://other.example", "127.0.0.1:8025")  # the port must match
    assert policy.allows("http://127.0.0.1:8025", "127.0.0.1:8025")  # this server itself
    assert CORSPolicy.parse(["a.example", "*"]).allows("http://anything.example", "x")


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    server = start_inprocess(tmp_path_factory.mktemp("cors"), "--api-cors", "app.example")
    yield server
    server.stop()


@pytest.fixture
def cors_api(cors_server: InProcessServer) -> Iterator[httpx.Client]:
    with cors_server.api() as client:
        yield client


def test_preflight_answers_empty_with_mailpits_headers(cors_api: httpx.Client) -> None:
    response = cors_api.options(
        "/api/v1/messages", headers={"Origin": "https://app.example", "Authorization": "x"}
    )
    assert response.status_code == 200 and response.content == b""
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-allow-methods"] == "GET, POST, DELETE, PUT, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "*"


def test_a_listed_origin_may_write_and_read(cors_api: httpx.Client) -> None:
    origin = {"Origin": "http://app.example"}
    response = cors_api.request("DELETE", "/api/v1/messages", headers=origin)
    assert response.status_code == 200
    listed = cors_api.get("/api/v1/messages", headers=origin)
    assert listed.headers["access-control-allow-origin"] == "http://app.example"


def test_an_unlisted_origin_is_still_refused(cors_api: httpx.Client) -> None:
    origin = {"Origin": "http://evil.example"}
    assert cors_api.request("DELETE", "/api/v1/messages", headers=origin).status_code == 403
    read = cors_api.get("/api/v1/messages", headers=origin)
    assert "access-control-allow-origin" not in read.headers
    preflight = cors_api.options("/api/v1/messages", headers=origin)
    assert "access-control-allow-origin" not in preflight.headers


def test_without_the_flag_options_still_answers(api: httpx.Client, tmp_path: Path) -> None:
    response = api.options("/api/v1/tags")
    assert response.status_code == 200 and response.content == b""
    assert "access-control-allow-origin" not in response.headers
