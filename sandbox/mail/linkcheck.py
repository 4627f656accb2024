"""Mailpit's link check: the HTTP status of every link in a message, fetched safely.

`GET /api/v1/message/{ID}/link-check?follow=true|false` answers Mailpit's `LinkCheckResponse`
(`{"Errors": n, "Links": [{"URL", "StatusCode", "Status"}]}`), built here from Mailpit's
`internal/linkcheck` (v1.31):

- **Which links** (`link_check_urls`): from the HTML, `a[href]`, then `link[rel=stylesheet]`
  `href`, then `img[src]`, each kept when it contains `http://` or `https://`; then bare URLs
  of the text (as in Mailpit, one at the very start of the text or right after `<` is not
  matched; bracketed ones are the next rule's), then URLs in angle brackets (RFC 2396
  appendix E, newlines inside removed). The first 100 unique links. Mailpit's `Text` is the
  text part, or the HTML converted to text: pass the same.
- **How** (`check_links`): `HEAD` with redirects followed only when `follow` (at most 2 hops;
  a third answers 0 "too many redirects"), otherwise a redirect's own status is reported.
  `Errors` counts links whose status is 0 or at least 400. `Status` is Go's status text.
- **Safety**: every host is resolved here and the connection goes to the checked address
  (`netguard`); a link or any redirect hop to a private, loopback, link-local or otherwise
  non-public address answers 451 "Blocked private/reserved address", as Mailpit does, with no
  connection made, unless `allow_private` (or `allowed`) says otherwise.

Where mailyard differs, on purpose: a `HEAD` answered 405 or 501 is retried as `GET` (the body
is never read), since many servers refuse `HEAD` on a page that works; concurrency is bounded
per check (`concurrency`, and `per_host` for one host, Mailpit's 2) rather than by Mailpit's
process-wide rate limiter and 60-second result cache; each link has one deadline (`timeout`)
for resolution, every hop and the fallback; failures read "timed out after 5 s", "no such
host", "connection refused", "invalid URL" rather than the tail of a Go error.
"""

from __future__ import annotations

import asyncio
import http
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

import httpx

from mailyard.sandbox.mail.htmlscan import scan
from mailyard.sandbox.mail.netguard import (
    AddressPolicy,
    IPNetwork,
    Resolver,
    parse_ip,
    system_resolver,
)

MAX_LINKS = 100  # Mailpit's maxUniqueLinks
MAX_REDIRECTS = 2  # Go's client as Mailpit configures it: the third redirect is an error
BLOCKED_STATUS = 451
BLOCKED_TEXT = "Blocked private/reserved address"

# Mailpit's expressions, with RE2's ASCII \w and \b; the URL class is possessive (no backtracking).
_URL_CLASS = r"[-\w@:%_+'!.~#?,&/=;]"
_HTML_LINK_RE = re.compile(r"\bhttps?://" + _URL_CLASS, re.IGNORECASE | re.ASCII)
_TEXT_LINK_RE = re.compile(r"[^<]\b(https?://" + _URL_CLASS + "++)", re.IGNORECASE | re.ASCII)
_ANGLE_START_RE = re.compile(r"<https?://" + _URL_CLASS, re.IGNORECASE | re.ASCII)
_HOST_RE = re.compile(r"[a-z0-9_.-]+|[0-9a-f:.]+(?:%[\w.-]+)?")  # a name, IPv4 or IPv6
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Go's net/http StatusText where Python's phrase differs (3.11-3.13).
_GO_STATUS_TEXT = {
    413: "Request Entity Too Large",
    414: "Request URI Too Long",
    416: "Requested Range Not Satisfiable",
    418: "I'm a teapot",
    422: "Unprocessable Entity",
}


@dataclass(frozen=True)
class CheckedLink:
    """One link's outcome: Mailpit's `Link` (`URL`, `StatusCode`, `Status`)."""

    url: str
    status_code: int
    status: str

    @property
    def is_error(self) -> bool:
        return self.status_code == 0 or self.status_code >= 400

    def as_json(self) -> dict[str, object]:
        return {"URL": self.url, "StatusCode": self.status_code, "Status": self.status}


@dataclass(frozen=True)
class LinkCheckResult:
    """Mailpit's `LinkCheckResponse`."""

    links: tuple[CheckedLink, ...]

    @property
    def errors(self) -> int:
        return sum(link.is_error for link in self.links)

    def as_json(self) -> dict[str, object]:
        return {"Errors": self.errors, "Links": [link.as_json() for link in self.links]}


def status_text(code: int) -> str:
    """Go's `http.StatusText`: the reason phrase, or "" for a code it does not know."""
    if code in _GO_STATUS_TEXT:
        return _GO_STATUS_TEXT[code]
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""


def link_check_urls(text: str, html: str) -> list[str]:
    """The links Mailpit checks, in its order; see the module docstring."""
    found: dict[str, None] = {}

    def add(url: str) -> bool:
        found.setdefault(url)
        return len(found) < MAX_LINKS

    if html:
        page = scan(html)
        candidates = [a.href for a in page.anchors] + page.stylesheets + page.images
        for url in candidates:
            if _HTML_LINK_RE.search(url) and not add(url):
                return list(found)
    for count, match in enumerate(_TEXT_LINK_RE.finditer(text)):
        if count >= MAX_LINKS * 3 or not add(match.group(1)):
            return list(found)
    for count, url in enumerate(_angle_links(text)):
        if count >= MAX_LINKS * 3 or not add(url):
            break
    return list(found)


def _angle_links(text: str) -> list[str]:
    """`<https://…>` links, as Mailpit's `<((http|https)://(class)[^>]+)>`, in linear time."""
    links: list[str] = []
    position = 0
    while len(links) < MAX_LINKS * 3:
        start = _ANGLE_START_RE.search(text, position)
        if start is None:
            break
        close = text.find(">", start.end())
        if close < 0:
            break  # no ">" after this point: no later match can close either
        if close == start.end():  # `[^>]+` needs one character: try the next "<"
            position = start.start() + 1
            continue
        links.append(text[start.start() + 1 : close].replace("\n", ""))
        position = close + 1
    return links


class _Failed(Exception):
    """A link that could not be checked; `status_code` and `status` are what to report."""

    def __init__(self, status: str, status_code: int = 0) -> None:
        super().__init__(status)
        self.status = status
        self.status_code = status_code


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as in the URL, lower-cased, IDNA-encoded, without brackets
    port: int
    explicit_port: bool
    target: bytes  # path and query, percent-encoded, as sent on the request line


def _target(url: str) -> _Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = (parts.hostname or "").rstrip(".")
        scheme = parts.scheme.lower()
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
        if scheme not in ("http", "https") or not _HOST_RE.fullmatch(host):
            raise _Failed("invalid URL")
    except (ValueError, UnicodeError) as exc:
        raise _Failed("invalid URL") from exc
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    target = path + ("?" + query if parts.query else "")
    default = 443 if scheme == "https" else 80
    return _Target(scheme, host, port or default, port is not None, target.encode("ascii"))


class _Checker:
    """One link check run: its policy, client, limits and per-host gates."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        follow: bool,
        policy: AddressPolicy,
        resolver: Resolver,
        concurrency: int,
        per_host: int,
        timeout: float,
        user_agent: str,
    ) -> None:
        self.client = client
        self.follow = follow
        self.policy = policy
        self.resolver = resolver
        self.timeout = timeout
        self.user_agent = user_agent
        self.slots = asyncio.Semaphore(concurrency)
        self.per_host = per_host
        self.hosts: dict[str, asyncio.Semaphore] = {}

    async def check(self, url: str) -> CheckedLink:
        gate = self.hosts.setdefault(_host_key(url), asyncio.Semaphore(self.per_host))
        async with gate, self.slots:
            try:
                async with asyncio.timeout(self.timeout):
                    code = await self._follow(url)
            except _Failed as failed:
                return CheckedLink(url, failed.status_code, failed.status)
            except TimeoutError:
                return CheckedLink(url, 0, f"timed out after {self.timeout:g} s")
            except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
                return CheckedLink(url, 0, _describe(exc))
            except Exception as exc:  # one odd link must not fail the whole report
                return CheckedLink(url, 0, f"check failed: {type(exc).__name__}")
        return CheckedLink(url, code, status_text(code))

    async def _follow(self, url: str) -> int:
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            try:
                target = _target(current)
            except _Failed:
                if hop:
                    raise _Failed("blocked redirect to invalid URL") from None
                raise
            address = await self._address(target)  # once per hop: the fallback goes there too
            code, location = await self._fetch(target, address, "HEAD")
            if code in (405, 501):
                code, location = await self._fetch(target, address, "GET")
            if not (self.follow and code in _REDIRECTS and location):
                return code
            if hop == MAX_REDIRECTS:
                break
            current = urljoin(current, location)
        raise _Failed("too many redirects")

    async def _address(self, target: _Target) -> str:
        """The address to connect to, every candidate checked; raises `_Failed` when refused."""
        literal = parse_ip(target.host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await self.resolver(target.host, target.port)
            except OSError as exc:
                raise _Failed("no such host") from exc
        if not addresses:
            raise _Failed("no such host")
        for address in addresses:
            parsed = parse_ip(address.split("%", 1)[0])
            if parsed is None or not self.policy.permits(parsed):
                raise _Failed(BLOCKED_TEXT, BLOCKED_STATUS)
        return addresses[0]

    async def _fetch(self, target: _Target, address: str, method: str) -> tuple[int, str]:
        """One request to the checked `address`; the status and any `Location`."""
        host_header = target.host if ":" not in target.host else f"[{target.host}]"
        if target.explicit_port:
            host_header += f":{target.port}"
        extensions = {}
        if target.scheme == "https" and parse_ip(target.host) is None:
            extensions["sni_hostname"] = target.host  # and the certificate is checked for it
        request = self.client.build_request(
            method,
            httpx.URL(
                scheme=target.scheme,
                host=address.split("%", 1)[0],
                port=target.port,
                raw_path=target.target,
            ),
            headers={
                "Host": host_header,
                "User-Agent": self.user_agent,
                "Connection": "close",  # never reuse a connection made for another host name
            },
            extensions=extensions,
            timeout=self.timeout,
        )
        response = await self.client.send(request, stream=True, follow_redirects=False)
        await response.aclose()  # the body is never read
        return response.status_code, response.headers.get("Location", "")


def _host_key(url: str) -> str:
    """What the per-host limit counts by: the URL's authority."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _describe(exc: BaseException) -> str:
    """A short, plain reason, from the innermost cause that names one."""
    causes: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(causes) < 8:
        causes.append(current)
        current = current.__cause__ or current.__context__
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by peer"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return "TLS handshake failed"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "invalid response"
    return str(exc).rsplit(": ", 1)[-1] or type(exc).__name__


async def check_links(
    urls: Sequence[str],
    client: httpx.AsyncClient,
    *,
    follow: bool,
    allow_private: bool = False,
    allowed: tuple[IPNetwork, ...] = (),
    concurrency: int = 5,
    per_host: int = 2,
    timeout: float = 5.0,
    resolver: Resolver | None = None,
    user_agent: str = "mailyard-linkcheck",
) -> LinkCheckResult:
    """Check `urls` (at most `MAX_LINKS`), at most `concurrency` at once; never raises for a link.

    `client` should be made with `trust_env=False` (no proxy from the environment) and may
    be shared; its redirects are never used. `resolver` defaults to the system's.
    """
    checker = _Checker(
        client,
        follow=follow,
        policy=AddressPolicy(allow_private, allowed),
        resolver=resolver or system_resolver,
        concurrency=max(1, concurrency),
        per_host=max(1, per_host),
        timeout=timeout,
        user_agent=user_agent,
    )
    checked = await asyncio.gather(*(checker.check(url) for url in urls[:MAX_LINKS]))
    return LinkCheckResult(tuple(checked))
