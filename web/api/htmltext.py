"""The text Mailpit gives an HTML-only message: its HTML laid out as text by inscriptis.

Mailpit's `Text` of a message without a text part is `html2text.FromString(HTML)`; test helpers
written against it read links in its `text ( url )` form (`/View Invitation \\( (.+) \\)/`), so
each link's URL follows its text that way here too (left out when the text is the URL itself,
`mailto:` dropped, as html2text does). inscriptis (Apache-2.0) does the layout: blocks, lists,
tables.

Bounded: inscriptis is pure Python and slow on big tables (~80 µs a row), so only the first
`MAX_HTML` characters are converted, conversions of more than `INLINE_HTML` run on a worker
thread, and results are kept per message body in a small cache (`TextCache`) so a client that
polls a message pays once. lxml's parser caps nesting at 255 levels: deeper content is dropped
rather than recursed into.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from mailyard.sandbox import MessageView, html_to_text
from mailyard.web.api.app_local import app_local

if TYPE_CHECKING:
    from lxml.html import HtmlElement

MAX_HTML = 256 * 1024
INLINE_HTML = 16 * 1024
CACHE_ENTRIES = 256


def _link_target(href: str) -> str:
    href = href.strip()
    return href[7:] if href.lower().startswith("mailto:") else href


def _mark_links(tree: HtmlElement) -> None:
    """Write ` ( url )` after each link whose text is not its URL, as html2text does."""
    for anchor in tree.iter("a"):
        target = _link_target(anchor.get("href") or "")
        if not target or anchor.text_content().strip() == target:
            continue
        anchor.tail = f" ( {target} )" + (anchor.tail or "")


def html_as_text(html: str) -> str:
    """`html` laid out as text, links written `text ( url )`; never raises."""
    source = html[:MAX_HTML].strip()
    if not source:
        return ""
    # ~30 ms of imports: paid by the first message shown as text, not at start-up.
    import lxml.html
    from inscriptis.html_engine import Inscriptis
    from lxml.etree import ParserError

    try:
        tree = lxml.html.document_fromstring(source)
        _mark_links(tree)
        return str(Inscriptis(tree).get_text())
    except (ParserError, ValueError, RecursionError):
        # lxml refuses some inputs (e.g. only a comment); the plain visible text still reads.
        return " ".join(html_to_text(source).split())


class TextCache:
    """Converted texts by the HTML's digest, the most recent `CACHE_ENTRIES` kept."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self._entries = entries
        self._texts: OrderedDict[bytes, str] = OrderedDict()

    async def text(self, html: str) -> str:
        key = hashlib.blake2b(html[:MAX_HTML].encode("utf-8", "replace"), digest_size=16).digest()
        found = self._texts.get(key)
        if found is not None:
            self._texts.move_to_end(key)
            return found
        if len(html) > INLINE_HTML:
            text = await asyncio.to_thread(html_as_text, html)
        else:
            text = html_as_text(html)
        self._texts[key] = text
        if len(self._texts) > self._entries:
            self._texts.popitem(last=False)
        return text


async def body_text(connection: HTTPConnection, view: MessageView) -> str:
    """Mailpit's `Text` of a message: its text body, or when that is empty its HTML as text."""
    if view.text.strip() or not view.html:
        return view.text
    return await app_local(connection, "html_texts", TextCache).text(view.html)
