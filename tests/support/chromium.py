"""Debian's Chromium driven by Playwright, set up once for every browser test.

The browser is the machine's own (`/usr/bin/chromium`, installed by `.ci/run`): Playwright never
downloads one. The flags keep it from calling home, so no traffic leaves loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
WAIT_MS = 10_000  # the bound of every wait on a page condition
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

Page = Any  # playwright's Page: the sync API is untyped for mypy here


@contextmanager
def launched() -> Iterator[Any]:
    """A headless Chromium for the block (Playwright imported here: skip before calling)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_tab(browser: Any, viewport: dict[str, int], **options: Any) -> tuple[Page, list[str]]:
    """A page in a context of its own, with its script errors collected and every dialog
    accepted (its text kept in `page.dialogs`)."""
    context = browser.new_context(viewport=viewport, **options)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.dialogs = []
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.accept()))
    return tab, errors


@contextmanager
def clean_tab(browser: Any, viewport: dict[str, int], **options: Any) -> Iterator[Page]:
    """A tab that must end without a script error on it."""
    page, errors = new_tab(browser, viewport, **options)
    try:
        yield page
    finally:
        page.context.close()
    assert errors == [], f"a script failed on the page: {errors}"


def policy_violations(page: Page) -> list[str]:
    """A list that fills with the console's Content Security Policy reports for `page`, except
    those of a message's own view (`/view/…`: the mail's HTML is meant to be refused there)."""
    violations: list[str] = []
    page.on(
        "console",
        lambda m: (
            "Content Security Policy" in m.text
            and "/view/" not in (m.location or {}).get("url", "")
            and violations.append(m.text)
        ),
    )
    return violations
