"""Links found in a message, the action link first: what an end-to-end test needs to click.

Links come from the HTML (`<a href>` with their visible text, then bare URLs in its visible
text) and from the plain text (bare URLs); a URL is reported once, where it was first seen.
Each link carries its parsed query, the query parameters that hold tokens (`tokens`), the path
segment that is a token (`path_token`), and its primary token with where it was (`token`,
`token_where`, `token_name`); `sandbox.mail.tokens` documents how a token is recognised.

Ranking, so that the first link with a token is THE action link:

- `role` is `footer` for what surrounds the message rather than asks something of the reader:
  `mailto:`/`tel:`/`sms:`; unsubscribe and preference links (`unsub`, `opt-out`,
  `preferences`, `list-manage` in the host or path, or such words in the text); legal and help
  pages (`/privacy`, `/terms`, `/help`, `/support`, `/contact`, "view in browser"); social
  networks and app stores. Unsubscribe links carry tokens too; their role keeps them behind
  the action.
- `role` is `action` for any other link with a tier-2 or tier-3 token, or a tier-1 token and
  an action word ("verify", "reset", "sign in", "bestätigen", ...) in its text or path.
- everything else is `link`.

Links are ordered action, link, footer; actions by score (token tier x 10, +5 for an action
word in the text, +3 in the path, -4 for an anchor that is only an image), otherwise in document
order. Bounded: the first `MAX_TEXT_CHARS` of the text, `htmlscan`'s bounds for the HTML, at
most `MAX_LINKS` links, and URLs longer than `MAX_URL_CHARS` are not reported.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qs, urlsplit

from mailyard.sandbox.mail.codes import Code, extract_codes
from mailyard.sandbox.mail.htmlscan import scan
from mailyard.sandbox.mail.tokens import Token, tokens_of

__all__ = ["Code", "Link", "extract_codes", "extract_links"]

MAX_TEXT_CHARS = 2 * 1024 * 1024
MAX_LINKS = 200
MAX_URL_CHARS = 16 * 1024

_URL_RE = re.compile(
    r"""(?=[hHmM])(?:https?://(?:\[[0-9A-Fa-f:.]{2,45}\])?|mailto:)[^\s<>"'()\[\]{}]*+""",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?*"
_URL_WHITESPACE = str.maketrans("", "", "\t\n\r")  # browsers drop these inside an href
_SKIP_SCHEMES = ("#", "javascript:", "data:", "cid:", "about:", "vbscript:")
_FOOTER_SCHEMES = frozenset({"mailto", "tel", "sms"})
_UNSUBSCRIBE_RE = re.compile(
    r"unsub|opt-?out|preferences|email-settings|notification-settings|subscription|list-manage",
    re.IGNORECASE,
)
_FOOTER_PATH_RE = re.compile(
    r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?(?:privacy|terms|legal|help|support|contact|about|faq|"
    r"impressum|datenschutz)(?:[/.?-]|$)",
    re.IGNORECASE,
)
_FOOTER_TEXT_RE = re.compile(
    r"unsubscribe|opt.?out|preferences|privacy|terms|legal|help cent|support|contact us|"
    r"in (?:your |a )?browser|web version|abmelden|désabonner|désinscri|darse de baja|"
    r"impressum|datenschutz",
    re.IGNORECASE,
)
_SOCIAL_HOSTS = frozenset(
    """twitter.com x.com facebook.com linkedin.com instagram.com youtube.com tiktok.com
    mastodon.social threads.net apps.apple.com play.google.com discord.gg""".split()  # noqa: SIM905 - a word list
)
_ACTION_RE = re.compile(
    r"verif|confirm|activat|reset|password|sign.?in|log.?in|magic|accept|join|continue|"
    r"recover|unlock|invit|get started|set up|bestätig|zurücksetz|anmeld|vérifi|confirmer|"
    r"réinitialis|connexion|verificar|confirmar|restablecer|iniciar",
    re.IGNORECASE,
)
_ROLE_ORDER = {"action": 0, "link": 1, "footer": 2}


@dataclass(frozen=True)
class Link:
    """One link of a message, with the parts of it that are tokens and how it ranks."""

    url: str
    text: str
    source: str  # "html" or "text"
    query: dict[str, list[str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    path_token: str = ""
    token: str = ""  # the primary token, from `tokens`, `path_token` or the fragment
    token_where: str = ""  # "query", "path", "fragment" or ""
    token_name: str = ""  # the parameter name, or the path segment's index
    role: str = "link"  # "action", "link" or "footer"
    score: int = 0

    def as_json(self) -> dict[str, object]:
        try:
            parts = urlsplit(self.url)
            scheme, host, path = parts.scheme, _host(parts), parts.path
        except ValueError:  # "http://[oops": shown as found, with no parts
            scheme = host = path = ""
        return {
            "url": self.url,
            "text": self.text,
            "source": self.source,
            "scheme": scheme,
            "host": host,
            "path": path,
            "query": self.query,
            "tokens": self.tokens,
            "path_token": self.path_token,
            "token": self.token,
            "token_where": self.token_where,
            "token_name": self.token_name,
            "role": self.role,
        }


def _host(parts: SplitResult) -> str:
    try:
        return parts.hostname or ""
    except ValueError:  # a malformed port or bracket: the host is still what is shown
        return ""


def _role(parts: SplitResult, text: str, primary: Token | None) -> str:
    host = _host(parts).removeprefix("www.")
    if (
        parts.scheme.lower() in _FOOTER_SCHEMES
        or host in _SOCIAL_HOSTS
        or _UNSUBSCRIBE_RE.search(host + parts.path)  # not the query: "?next=/preferences"
        or _FOOTER_PATH_RE.search(parts.path)
        or _FOOTER_TEXT_RE.search(text)
    ):
        return "footer"
    if primary is None:
        return "link"
    if primary.tier >= 2 or _ACTION_RE.search(text) or _ACTION_RE.search(parts.path):
        return "action"
    return "link"


def _link(url: str, text: str, source: str, image_only: bool) -> Link:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[oops": keep the link, with no parts to judge
        return Link(url=url, text=text, source=source)
    query = parse_qs(parts.query, keep_blank_values=True) if parts.query else {}
    in_query, in_path, primary = tokens_of(parts.query, parts.path, parts.fragment)
    role = _role(parts, text, primary)
    score = 0
    if role == "action" and primary is not None:
        score = primary.tier * 10
        score += 5 if _ACTION_RE.search(text) else 0
        score += 3 if _ACTION_RE.search(parts.path) else 0
        score -= 4 if image_only else 0
    return Link(
        url=url,
        text=text,
        source=source,
        query=query,
        tokens=_first_of_each_name(in_query),
        path_token=in_path.value if in_path else "",
        token=primary.value if primary else "",
        token_where=primary.where if primary else "",
        token_name=primary.name if primary else "",
        role=role,
        score=score,
    )


def _first_of_each_name(tokens: list[Token]) -> dict[str, str]:
    named: dict[str, str] = {}
    for token in tokens:  # strongest first
        named.setdefault(token.name, token.value)
    return named


def _text_urls(text: str) -> list[str]:
    urls = []
    for match in _URL_RE.finditer(text):
        url = match.group(0)
        urls.append((html.unescape(url) if "&" in url else url).rstrip(_TRAILING))
        if len(urls) >= MAX_LINKS * 2:
            break
    return urls


def extract_links(text: str, markup: str) -> list[Link]:
    """Every distinct link, the action link first (see the module docstring for the order)."""
    found: list[tuple[str, str, str, bool]] = []
    if markup:
        page = scan(markup)
        for anchor in page.anchors:
            href = anchor.href.translate(_URL_WHITESPACE).strip()
            if href and not href.lower().startswith(_SKIP_SCHEMES):
                found.append((href, anchor.text, "html", anchor.image_only))
        found += [(url, "", "html", False) for url in _text_urls(page.text)]
    found += [(url, "", "text", False) for url in _text_urls(text[:MAX_TEXT_CHARS])]
    links: list[Link] = []
    seen: set[str] = set()
    for url, label, source, image_only in found:
        if url in seen or len(url) > MAX_URL_CHARS:
            continue
        seen.add(url)
        links.append(_link(url, label, source, image_only))
        if len(links) >= MAX_LINKS:
            break
    return sorted(links, key=lambda k: (_ROLE_ORDER[k.role], -k.score))  # stable: ties keep order
