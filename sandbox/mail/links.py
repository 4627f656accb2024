"""Links and one-time codes found in a message: what an end-to-end test needs to click or type.

Links come from the HTML (`<a href>` with their visible text) and from the plain text (bare
URLs); each carries its parsed query, and the parameters that look like tokens are named.
Codes are short digit or letter-digit strings in the subject and bodies, ranked by how close
they stand to words such as "code" or "verification".
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

TOKEN_PARAMS = re.compile(
    r"token|code|otp|key|secret|signature|sig|nonce|ticket|hash|auth|verify|confirm|reset|invite",
    re.IGNORECASE,
)
_URL_RE = re.compile(r"""(?:https?://|mailto:)[^\s<>"'()\[\]{}]+""", re.IGNORECASE)
_TRAILING = ".,;:!?"


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    source: str  # "html" or "text"
    query: dict[str, list[str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        parts = urlsplit(self.url)
        return {
            "url": self.url,
            "text": self.text,
            "source": self.source,
            "scheme": parts.scheme,
            "host": parts.hostname or "",
            "path": parts.path,
            "query": self.query,
            "tokens": self.tokens,
        }


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._flush()
            self._href = dict(attrs).get("href") or None
            self._text = []
        elif tag == "img" and self._href is not None:
            alt = dict(attrs).get("alt")
            if alt:
                self._text.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def _flush(self) -> None:
        if self._href is not None:
            self.found.append((self._href.strip(), " ".join("".join(self._text).split())))
        self._href = None
        self._text = []

    def close(self) -> None:
        super().close()
        self._flush()


def _link(url: str, text: str, source: str) -> Link:
    query = parse_qs(urlsplit(url).query, keep_blank_values=True) if "?" in url else {}
    tokens = {k: v[0] for k, v in query.items() if v and TOKEN_PARAMS.search(k)}
    return Link(url=url, text=text, source=source, query=query, tokens=tokens)


def extract_links(text: str, markup: str) -> list[Link]:
    """Every distinct link, HTML anchors first (they have text), then URLs only in the text."""
    links: list[Link] = []
    seen: set[str] = set()
    if markup:
        parser = _Anchors()
        try:
            parser.feed(markup)
            parser.close()
        except Exception:  # HTMLParser is lenient; keep what was found before it gave up
            parser.found = parser.found or []
        for href, label in parser.found:
            if href and not href.startswith("#") and href not in seen:
                seen.add(href)
                links.append(_link(href, label, "html"))
    for match in _URL_RE.finditer(text):
        url = html.unescape(match.group(0)).rstrip(_TRAILING)
        if url not in seen:
            seen.add(url)
            links.append(_link(url, "", "text"))
    return links


_CODE_RE = re.compile(
    r"(?<![\w/.:=&?#-])([A-Z0-9]{3,5}-[A-Z0-9]{3,5}|\d{4,8}|[A-Z0-9]{6,8})(?![\w/-])"
)
_HINT_RE = re.compile(
    r"code|otp|pin|passcode|one-time|verif|confirm|sign.?in|login|token|"
    r"código|codigo|bestätigung|Code|コード|認証|رمز",
    re.IGNORECASE,
)
_YEAR_RE = re.compile(r"^(19|20)\d\d$")


@dataclass(frozen=True)
class Code:
    code: str
    source: str
    context: str
    score: int

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "source": self.source, "context": self.context}


def extract_codes(subject: str, text: str) -> list[Code]:
    """Likely one-time codes, best first; URLs are removed first so tokens in links don't count."""
    found: dict[str, Code] = {}
    for source, body in (("subject", subject), ("text", text)):
        clean = _URL_RE.sub(" ", body)
        for match in _CODE_RE.finditer(clean):
            code = match.group(1)
            if code.isalpha() or (code.isdigit() and _YEAR_RE.match(code)):
                continue
            if not code.isdigit() and not any(c.isdigit() for c in code):
                continue
            start, end = match.span(1)
            window = clean[max(0, start - 60) : end + 20]
            score = (10 if _HINT_RE.search(window) else 0) + (2 if code.isdigit() else 0)
            score += 3 if source == "subject" else 0
            context = " ".join(clean[max(0, start - 40) : end + 40].split())
            best = found.get(code)
            if best is None or score > best.score:
                found[code] = Code(code, source, context, score)
    return sorted(found.values(), key=lambda c: -c.score)
