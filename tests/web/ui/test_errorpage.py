"""The inbox's error page: the inbox's look, the reason escaped, and nothing it needs from the
services (it may be all that is left when they are down)."""

from __future__ import annotations

import re

from mailyard.web.ui.errorpage import error_page


def test_an_error_page_says_what_went_wrong_in_the_inbox_look() -> None:
    page = error_page(404, "message 'x' not found")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>404 Not found · mailyard</title>" in page
    assert re.search(r'<p class="reason" role="alert">message &#39;x&#39; not found</p>', page)
    assert 'class="top"' in page and 'href="/status"' in page  # the inbox's header and links
    assert 'href="/static/app.css"' in page


def test_an_error_page_runs_no_script_and_escapes_the_reason() -> None:
    page = error_page(500, "<script>alert(1)</script>")
    assert "<script" not in page  # its policy allows none; the reason is text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Something went wrong" in page
    assert 'id="mailbox"' not in page and "X-CSRF-Token" not in page  # nothing from the services
