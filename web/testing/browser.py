"""Opening a link from a mail the way a person's browser does: `Inbox.follow`.

A browser that opens a link from a mail client follows every redirect, keeps the cookies it is
given (a reset page that sets a CSRF cookie and a form that needs it back), and sends a
browser's headers: some apps answer a bare client differently (a JSON error instead of the page,
or a bot check). httpx is imported on first use, so a test run that never follows a link never
pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

TIMEOUT = 30.0
MAX_REDIRECTS = 20  # Chromium's limit
HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36"
    ),
    "Accept": (
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
    ),
    "Accept-Language": "en-US,en;q=0.9",
    "Upgrade-Insecure-Requests": "1",
    # A link clicked in a mail client is a top-level navigation that no site started.
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Site": "none",
    "Sec-Fetch-User": "?1",
}


class Browser:
    """One browser for one test: its cookies last until `close`."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self._timeout = timeout
        self._client: httpx.Client | None = None

    def get(self, url: str) -> httpx.Response:
        """GET `url`, following redirects; the final response (`.history` holds the rest)."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"follow() opens http and https links, not {url[:80]!r}")
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                headers=HEADERS,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=self._timeout,
            )
        return self._client.get(url)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
