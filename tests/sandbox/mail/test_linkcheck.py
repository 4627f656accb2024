"""Mailpit's link check against real HTTP servers on loopback: statuses, redirects, timeouts,
bounded concurrency, and the SSRF guard that refuses private addresses without connecting."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import httpx
import pytest
import trustme

from mailyard.sandbox.mail.linkcheck import (
    BLOCKED_STATUS,
    BLOCKED_TEXT,
    MAX_LINKS,
    check_links,
    link_check_urls,
)

Reply = tuple[int, dict[str, str]]
Handler = Callable[[str, str, dict[str, str]], Awaitable[Reply]]


@dataclass
class Server:
    """A small HTTP/1.1 server that records what reached it."""

    handler: Handler
    host: str = "127.0.0.1"
    port: int = 0
    connections: int = 0
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def url(self, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, target, _ = head[0].split(" ", 2)
            headers = {
                k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)
            }
            self.requests.append((method, target, headers))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                status, extra = await self.handler(method, target, headers)
            finally:
                self.in_flight -= 1
            lines = [f"HTTP/1.1 {status} Whatever", "Content-Length: 0", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in extra.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(
    handler: Handler, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
) -> AsyncIterator[Server]:
    server = Server(handler, host)
    listener = await asyncio.start_server(server.serve, host, 0, ssl=tls)
    server.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield server
        listener.close()


@asynccontextmanager
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as c:
        yield c


async def routes(method: str, target: str, headers: dict[str, str]) -> Reply:
    """/ok 200, /missing 404, /no-head 405 to HEAD, /r/<n> redirects n times, then /ok."""
    if target == "/no-head":
        return (405, {}) if method == "HEAD" else (200, {})
    if target.startswith("/r/"):
        left = int(target[3:])
        return (302, {"Location": f"/r/{left - 1}" if left > 1 else "/ok"})
    return (200, {}) if target in ("/ok", "/") else (404, {})


async def test_statuses_in_mailpit_shape() -> None:
    async with serving(routes) as server, client() as c:
        urls = [server.url("/ok"), server.url("/missing"), server.url("/no-head")]
        result = await check_links(urls, c, follow=False, allow_private=True)
    assert result.as_json() == {
        "Errors": 1,
        "Links": [
            {"URL": urls[0], "StatusCode": 200, "Status": "OK"},
            {"URL": urls[1], "StatusCode": 404, "Status": "Not Found"},
            {"URL": urls[2], "StatusCode": 200, "Status": "OK"},
        ],
    }
    assert list(result.as_json()) == ["Errors", "Links"]
    methods = [(m, t) for m, t, _ in server.requests]
    assert sorted(methods) == sorted(
        [("HEAD", "/ok"), ("HEAD", "/missing"), ("HEAD", "/no-head"), ("GET", "/no-head")]
    )
    assert all(h["user-agent"] == "mailyard-linkcheck" for _, _, h in server.requests)


async def test_redirects_reported_or_followed_up_to_two_hops() -> None:
    async with serving(routes) as server, client() as c:
        urls = [server.url("/r/1"), server.url("/r/2"), server.url("/r/3")]
        shown = await check_links(urls, c, follow=False, allow_private=True)
        followed = await check_links(urls, c, follow=True, allow_private=True)
    assert [(x.status_code, x.status) for x in shown.links] == [(302, "Found")] * 3
    assert shown.errors == 0
    assert [(x.status_code, x.status) for x in followed.links] == [
        (200, "OK"),
        (200, "OK"),
        (0, "too many redirects"),
    ]
    assert followed.errors == 1


async def test_a_hanging_server_costs_one_timeout() -> None:
    never = asyncio.Event()

    async def hang(method: str, target: str, headers: dict[str, str]) -> Reply:
        await never.wait()
        return 200, {}

    async with serving(hang) as server, client() as c:
        start = time.perf_counter()
        result = await check_links(
            [server.url("/slow")], c, follow=False, allow_private=True, timeout=0.3
        )
        elapsed = time.perf_counter() - start
        never.set()  # let the server's handler finish before it closes
    assert result.as_json()["Links"] == [
        {"URL": server.url("/slow"), "StatusCode": 0, "Status": "timed out after 0.3 s"}
    ]
    assert elapsed < 3 and result.errors == 1


class Gate:
    """A handler that holds each request until `cap` are in flight together (or 1 s passes)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.full = asyncio.Event()
        self.server: Server | None = None

    async def __call__(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        assert self.server is not None
        if self.server.in_flight >= self.cap:
            self.full.set()
        with suppress(TimeoutError):
            await asyncio.wait_for(self.full.wait(), 1.0)
        return 200, {}


@pytest.mark.parametrize(("concurrency", "per_host", "expected"), [(3, 10, 3), (10, 2, 2)])
async def test_concurrency_is_capped_as_seen_by_the_server(
    concurrency: int, per_host: int, expected: int
) -> None:
    gate = Gate(expected)
    async with serving(gate) as server, client() as c:
        gate.server = server
        urls = [server.url(f"/{i}") for i in range(9)]
        result = await check_links(
            urls, c, follow=False, allow_private=True, concurrency=concurrency, per_host=per_host
        )
    assert result.errors == 0 and len(server.requests) == 9
    assert server.max_in_flight == expected


async def test_connects_to_the_address_it_resolved_and_checked() -> None:
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    async with serving(routes) as server, client() as c:
        url = f"http://app.test:{server.port}/ok"
        result = await check_links([url], c, follow=False, allow_private=True, resolver=resolver)
    assert result.links[0].status_code == 200 and asked == ["app.test"]
    assert server.requests[0][2]["host"] == f"app.test:{server.port}"


async def test_https_goes_to_the_checked_address_and_verifies_the_name() -> None:
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("app.test").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)

    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    async with serving(routes, tls=server_tls) as server:
        good, wrong = f"https://app.test:{server.port}/ok", f"https://other.test:{server.port}/ok"
        async with httpx.AsyncClient(trust_env=False, verify=client_tls) as c:
            result = await check_links(
                [good, wrong], c, follow=False, allow_private=True, resolver=resolver
            )
    assert (result.links[0].status_code, result.links[0].status) == (200, "OK")
    assert result.links[1].status_code == 0 and result.links[1].status.startswith("certificate")
    assert server.requests[0][2]["host"] == f"app.test:{server.port}"


async def test_failures_read_plainly() -> None:
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    closed_port = unused.getsockname()[1]
    unused.close()

    async def nowhere(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async with client() as c:
        result = await check_links(
            [
                f"http://127.0.0.1:{closed_port}/",
                "http://no.such.host.test/",
                "http://link with spaces",
                "notaurl",
            ],
            c,
            follow=False,
            allow_private=True,
            resolver=nowhere,
        )
    assert [(x.status_code, x.status) for x in result.links] == [
        (0, "connection refused"),
        (0, "no such host"),
        (0, "invalid URL"),
        (0, "invalid URL"),
    ]
    assert result.errors == 4


@pytest.fixture
def loopback_v6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


async def test_private_addresses_are_refused_without_a_connection(loopback_v6: bool) -> None:
    async def rebinding(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "127.0.0.1"]  # one private answer is enough to refuse

    async with serving(routes) as v4, client() as c:
        p = v4.port
        urls = [
            f"http://127.0.0.1:{p}/",
            f"http://localhost:{p}/",
            f"http://LOCALHOST.:{p}/",
            f"http://0x7f000001:{p}/",
            f"http://2130706433:{p}/",
            f"http://0177.0.0.1:{p}/",
            f"http://127.1:{p}/",
            f"http://0.0.0.0:{p}/",
            f"http://0:{p}/",
            f"http://[::ffff:127.0.0.1]:{p}/",
            f"http://[::]:{p}/",
            f"https://127.0.0.1:{p}/",
            # Never contacted either way: refused before any connection is tried.
            "http://10.0.0.1/",
            "http://192.168.1.1:8080/admin",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
        ]
        result = await check_links(urls, c, follow=True)
        mixed = await check_links([f"http://mixed.test:{p}/"], c, follow=True, resolver=rebinding)
        assert v4.connections == 0
        if loopback_v6:
            async with serving(routes, "::1") as v6:
                six = await check_links([v6.url("/ok")], c, follow=True)
                assert v6.connections == 0 and six.links[0].status_code == BLOCKED_STATUS
    for checked in (*result.links, *mixed.links):
        assert (checked.status_code, checked.status) == (BLOCKED_STATUS, BLOCKED_TEXT), checked
    assert result.errors == len(urls)


async def test_a_redirect_to_loopback_is_refused_before_connecting() -> None:
    async with serving(routes, "127.0.0.1") as inner:
        target = inner.url("/ok")

        async def bounce(method: str, path: str, headers: dict[str, str]) -> Reply:
            return 302, {"Location": target if path == "/ip" else f"http://localhost:{inner.port}/"}

        # The outer server stands for a public host: its one address is allowed explicitly.
        async with serving(bounce, "127.0.0.2") as outer, client() as c:
            allowed = (ipaddress.ip_network("127.0.0.2/32"),)
            urls = [outer.url("/ip"), outer.url("/name")]
            followed = await check_links(urls, c, follow=True, allowed=allowed)
            shown = await check_links(urls, c, follow=False, allowed=allowed)
        assert outer.connections == 4 and inner.connections == 0
    assert [(x.status_code, x.status) for x in followed.links] == [
        (BLOCKED_STATUS, BLOCKED_TEXT)
    ] * 2
    assert [x.status_code for x in shown.links] == [302, 302]


async def test_at_most_max_links_are_checked() -> None:
    async with serving(routes) as server, client() as c:
        urls = [server.url(f"/ok?{i}") for i in range(MAX_LINKS + 5)]
        result = await check_links(
            urls, c, follow=False, allow_private=True, concurrency=20, per_host=20
        )
    assert len(result.links) == MAX_LINKS == len(server.requests)


def test_which_links_mailpit_checks() -> None:
    html = """<html><head>
    <link rel="stylesheet" href="http://cdn.example/site.css"><link rel=icon href="https://x.example/i.ico">
    <script src="https://x.example/app.js"></script></head><body>
    <a href="https://x.example/a?x=1&amp;y=2">A</a> <a href='HTTPS://X.EXAMPLE/B'>B</a>
    <a href="mailto:help@x.example">mail</a> <a href="/relative">rel</a> <a href="http://with space">s</a>
    <p href="https://x.example/not-a-link">p</p> <img src="https://x.example/logo.png" alt="">
    <a href="https://x.example/a?x=1&amp;y=2">again</a></body></html>"""
    text = (
        "https://x.example/at-start is skipped, as Mailpit's pattern needs a character before.\n"
        "See (https://x.example/t1) and |||http://x.example/t2?q=1|||\n"
        "Wrapped: <https://x.example/long\n path with spaces> and <http://x.example/>"
    )
    assert link_check_urls(text, html) == [
        "https://x.example/a?x=1&y=2",
        "HTTPS://X.EXAMPLE/B",
        "http://with space",
        "http://cdn.example/site.css",
        "https://x.example/logo.png",
        "https://x.example/t1",
        "http://x.example/t2?q=1",
        "https://x.example/long path with spaces",
        "http://x.example/",
    ]


def test_html_fills_the_hundred_before_text_is_read() -> None:
    html = "".join(f'<a href="http://x.example/{i}">{i}</a>' for i in range(MAX_LINKS + 20))
    text = " ".join(f" http://text.example/{i}" for i in range(50))
    urls = link_check_urls(text, html)
    assert len(urls) == MAX_LINKS and not any("text.example" in u for u in urls)
