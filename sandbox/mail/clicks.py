"""Following a captured email's links through mailyard, as a provider's click tracking does: its
anchors pointed at a redirect that counts the click, and the addresses that redirect may go to.

`track_links` gives each web link (`http:`/`https:`) of an `<a href>` a new `href` (the caller's
route), `target="_blank"` and `rel="noopener noreferrer"`, written right after `<a`. An HTML
parser keeps the first of two attributes with one name and drops the later one, so the email's
own `href`, `target` and `rel` stop counting while every byte it had stays where it was: the
view renders as the email does.

`link_targets` is the set such a redirect may go to, read the same way from the same message, so
the redirect is never an open one. Both read the anchors with `htmlscan.scan`: linear in the
markup and bounded by its limits; a link past them is left as it is, and is not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from mailyard.sandbox.mail.htmlscan import scan

WEB_SCHEMES = ("http://", "https://")


def _web(href: str) -> str | None:
    """The address a browser follows (surrounding white space dropped), if it is on the web."""
    url = href.strip()
    return url if url[:8].lower().startswith(WEB_SCHEMES) else None


def link_targets(markup: str) -> frozenset[str]:
    """Every web address an `<a href>` of `markup` points at."""
    return frozenset(url for a in scan(markup).anchors if (url := _web(a.href)) is not None)


def track_links(markup: str, route: Callable[[str], str]) -> str:
    """`markup` with each web link pointed at `route(address)`, opening in a new window."""
    out, at = [], 0
    for anchor in scan(markup).anchors:
        url = _web(anchor.href)
        start = anchor.tag[0]
        if url is None or markup[start : start + 2].lower() != "<a":
            continue
        out.append(markup[at : start + 2])
        out.append(f' href="{escape(route(url))}" target="_blank" rel="noopener noreferrer"')
        at = start + 2
    out.append(markup[at:])
    return "".join(out)


__all__ = ["WEB_SCHEMES", "link_targets", "track_links"]
