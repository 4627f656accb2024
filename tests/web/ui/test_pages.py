"""The inbox's pages in process: HTML for every page error, a refused search said where it was
typed, counts and labels that describe the query on screen, and the message page's addresses,
dates, neighbours, tags and Checks report."""

from __future__ import annotations

import html
import re

import httpx
from support.mail import Server, make_message, messages, send, send_raw


def _csrf(api: httpx.Client) -> str:
    match = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', api.get("/").text)
    assert match
    return match.group(1)


def _element(page: str, element_id: str) -> str:
    """The start tag and text of the element with this id, up to its first child end tag."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>.*?</\1>', page, re.S)
    assert match, f"no element #{element_id}"
    return match.group(0)


def _start_tag(page: str, element_id: str) -> str:
    match = re.search(rf'<\w+[^>]*\bid="{element_id}"[^>]*>', page)
    assert match, f"no element #{element_id}"
    return match.group(0)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _data(fragment: str, name: str) -> str:
    match = re.search(rf'data-{name}="([^"]*)"', fragment)
    assert match, f"no data-{name}"
    return html.unescape(match.group(1))


def _ids(api: httpx.Client, mailbox: str) -> dict[str, str]:
    return {str(m["Subject"]): str(m["ID"]) for m in messages(api, mailbox)}


def test_a_deleted_message_is_an_html_page(server: Server, api: httpx.Client, mailbox: str) -> None:
    send(server, make_message(subject="gone soon"), mailbox)
    (gone,) = _ids(api, mailbox).values()
    api.request("DELETE", "/api/v1/messages", json={"IDs": [gone]}).raise_for_status()
    for path in (f"/message/{gone}", "/message/nope"):
        response = api.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "<html" in response.text and "not found" in response.text


# The search is as lenient as Mailpit's: only a query past its size bounds is refused.
TOO_MANY_TERMS = " ".join(f"w{i}" for i in range(65))


def test_a_refused_search_shows_the_inbox_with_the_reason(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="w1"), mailbox)
    response = api.get("/", params={"q": TOO_MANY_TERMS, "mailbox": mailbox})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f'value="{TOO_MANY_TERMS}"' in page  # what was typed stays in the box
    assert 'aria-invalid="true"' in _start_tag(page, "q")
    error = _element(page, "search-error")
    assert 'role="alert"' in error and "more than 64 terms" in _text(error)
    assert 'class="row' not in page  # no unfiltered list passing for the answer
    assert "disabled" in _start_tag(page, "delete-all")


def test_a_refused_live_search_answers_the_reason(api: httpx.Client, mailbox: str) -> None:
    response = api.get(
        "/ui/results",
        params={"q": TOO_MANY_TERMS, "mailbox": mailbox},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert _data(response.text, "error") == "true"
    assert "more than 64 terms" in _text(_element(response.text, "search-error"))
    older = api.get(
        "/ui/rows", params={"q": TOO_MANY_TERMS, "before": "5"}, headers={"HX-Request": "true"}
    )
    assert older.status_code == 400 and older.text.startswith('<div class="error" role="alert">')


def test_terms_read_other_than_typed_are_noted_beside_the_matches(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    for subject in ("alpha", "beta"):
        send(server, make_message(subject=subject), mailbox)
    response = api.get("/", params={"q": "before:notadate subject:", "mailbox": mailbox})
    assert response.status_code == 200  # as Mailpit: both terms ignored, everything listed
    page = response.text
    assert page.count('class="row') == 2
    assert 'aria-invalid="true"' not in _start_tag(page, "q")
    assert "search-notes" in _start_tag(page, "q")  # the box is described by the notes
    notes = _text(_element(page, "search-notes"))
    assert "before:notadate is not a date, so it was ignored" in notes
    assert "subject: has no value, so it was ignored" in notes

    live = api.get(
        "/ui/results",
        params={"q": "-is:starred alpha", "mailbox": mailbox},
        headers={"HX-Request": "true"},
    )
    assert live.status_code == 200 and _data(live.text, "error") == "false"
    assert _data(live.text, "summary") == "1 matching, 1 unread"
    assert _text(_element(live.text, "search-notes")) == (
        "-is:starred is not one of is:read, is:unread, is:tagged, so it was searched as text."
    )
    plain = api.get("/ui/results", params={"q": "subject:alpha", "mailbox": mailbox}).text
    assert 'id="search-notes"' not in plain and plain.count('class="row') == 1


def test_results_describe_the_query_they_list(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    for subject in ("alpha one", "alpha two", "beta"):
        send(server, make_message(subject=subject), mailbox)
    api.put(
        "/api/v1/messages", json={"IDs": [_ids(api, mailbox)["alpha two"]], "Read": True}
    ).raise_for_status()

    found = api.get("/ui/results", params={"q": "subject:alpha", "mailbox": mailbox}).text
    assert _data(found, "summary") == "2 matching, 1 unread"
    assert _data(found, "delete") == "Delete 2 matching"
    assert _data(found, "confirm") == f"Delete 2 messages matching “subject:alpha” in {mailbox}?"
    assert found.count('class="row') == 2
    everything = api.get("/ui/results", params={"mailbox": mailbox}).text
    assert _data(everything, "summary") == "3 messages, 2 unread"
    assert _data(everything, "delete") == "Delete all 3"
    assert _data(everything, "unread") == "2"

    page = api.get("/", params={"q": "subject:alpha", "mailbox": mailbox}).text
    assert _text(_element(page, "summary")) == "2 matching, 1 unread"
    assert _text(_element(page, "delete-all")) == "Delete 2 matching"
    assert 'value="subject:alpha"' in page
    link = re.search(r'href="(/message/[^"]+)"', _element(page, "rows"))
    assert link and html.unescape(link.group(1)).endswith(f"?mailbox={mailbox}&q=subject%3Aalpha")


def test_one_message_reads_as_one_message(server: Server, api: httpx.Client, mailbox: str) -> None:
    send(server, make_message(subject="only"), mailbox)
    page = api.get("/", params={"mailbox": mailbox}).text
    assert _text(_element(page, "summary")) == "1 message, 1 unread"


def test_results_and_rows_page_by_the_limit_shown(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    for i in range(3):
        send(server, make_message(subject=f"n{i}"), mailbox)
    two = api.get("/ui/results", params={"mailbox": mailbox, "limit": 2}).text
    assert two.count('class="row') == 2 and "Older messages" in two
    seq = re.findall(r'data-seq="(\d+)"', two)[-1]
    older = api.get("/ui/rows", params={"mailbox": mailbox, "before": seq}).text
    assert older.count('class="row') == 1 and "No mail yet" not in older
    for bad in ("0", "501", "x"):
        refused = api.get("/ui/results", params={"limit": bad}, headers={"HX-Request": "true"})
        assert refused.status_code == 400 and "limit" in refused.text


def test_message_page_shows_a_bare_address_and_a_readable_date(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    raw = (
        b"From: jane@example.com\r\nTo: Bob <bob@example.com>, carol@example.com\r\n"
        b"Subject: no date\r\n\r\nhello\r\n"
    )
    send_raw(server, raw, ["bob@example.com"], mailbox, sender="jane@example.com")
    send(server, make_message(subject="dated", Date="Tue, 01 Dec 2026 09:15:00 +0100"), mailbox)
    ids = _ids(api, mailbox)

    page = api.get(f"/message/{ids['no date']}").text
    assert _text(_element(page, "sent-date")) == "no Date header"
    headers = _text(page[page.find('<dl class="headers-summary">') : page.find("</dl>")])
    assert "From jane@example.com To Bob <bob@example.com> , carol@example.com Date" in headers
    assert "&lt;jane@example.com&gt;" not in page
    received = re.search(r'<time class="local" datetime="([^"]+)" title="([^"]+)">([^<]+)<', page)
    assert received and received.group(2) == received.group(1)  # the exact time in the title
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC", received.group(3))

    dated = _element(api.get(f"/message/{ids['dated']}").text, "sent-date")
    assert 'title="2026-12-01T09:15:00+01:00"' in dated
    assert _text(dated) == "Tue 1 Dec 2026, 09:15 +01:00"


def test_message_page_steps_through_its_listing(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    for subject in ("keep 1", "other", "keep 2", "keep 3"):
        send(server, make_message(subject=subject), mailbox)
    ids = _ids(api, mailbox)

    def step(subject: str, **listing: str) -> tuple[str, str]:
        page = api.get(f"/message/{ids[subject]}", params={"mailbox": mailbox, **listing}).text
        return _element(page, "newer"), _element(page, "older")

    newer, older = step("keep 2")
    assert f'href="/message/{ids["keep 3"]}?mailbox={mailbox}"' in newer
    assert f'href="/message/{ids["other"]}?mailbox={mailbox}"' in older
    newer, older = step("keep 2", q="subject:keep")
    assert f"/message/{ids['keep 3']}?mailbox={mailbox}&amp;q=subject%3Akeep" in newer
    assert f"/message/{ids['keep 1']}?mailbox={mailbox}&amp;q=subject%3Akeep" in older
    newer, older = step("keep 3", q="subject:keep")
    assert 'aria-disabled="true"' in newer and "href" not in newer
    back = _element(api.get(f"/message/{ids['keep 3']}", params={"q": "subject:keep"}).text, "back")
    assert 'href="/?q=subject%3Akeep"' in back and "Results" in back


def test_tags_from_headers_and_plus_addressing_are_editable(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(
        server, make_message(subject="tagged", to="jane+signup@example.com", X_Tags="beta"), mailbox
    )
    (message_id,) = _ids(api, mailbox).values()
    editor = _element(api.get(f"/message/{message_id}").text, "tags")
    assert re.findall(r'class="tag-name">([^<]+)<', editor) == ["beta", "signup"]
    assert 'aria-label="Remove tag signup"' in editor

    headers = {"X-CSRF-Token": _csrf(api), "HX-Request": "true"}
    added = api.post(
        f"/ui/message/{message_id}/tags", data={"add": "vip, needs review"}, headers=headers
    )
    assert added.status_code == 200
    assert re.findall(r'class="tag-name">([^<]+)<', added.text) == [
        "beta",
        "needs review",
        "signup",
        "vip",
    ]
    removed = api.post(f"/ui/message/{message_id}/tags", data={"remove": "SIGNUP"}, headers=headers)
    assert re.findall(r'class="tag-name">([^<]+)<', removed.text) == ["beta", "needs review", "vip"]
    assert messages(api, mailbox)[0]["Tags"] == ["beta", "needs review", "vip"]
    too_long = api.post(f"/ui/message/{message_id}/tags", data={"add": "x" * 101}, headers=headers)
    assert too_long.status_code == 400 and "at most 100 characters" in too_long.text


def test_checks_report_counts_read_right_and_say_what_to_do(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(
        server,
        make_message(
            subject="one of each",
            html="<html><body><a href='https://example.com/a'>a</a><img src='cid:x'></body></html>",
        ),
        mailbox,
    )
    (message_id,) = _ids(api, mailbox).values()
    page = api.get(f"/message/{message_id}").text
    report = _text(page[page.find('id="panel-checks"') :])
    assert "1 link, all https" in report and "1 links" not in report
    assert "1 image without alt text, of 1" in report and "1 images" not in report
    assert "Give every image an alt attribute" in report  # what to do
    assert "no lang attribute" in report
    families = _text(
        _element(page, "compatibility") + page[page.find('class="report stack compatibility"') :]
    )
    for family in ("Gmail", "Outlook", "Apple Mail"):
        assert family in families
    summary = _text(_element(page, "report-summary"))
    assert re.fullmatch(r"\d+ things? to fix, \d+ passed", summary)
    assert f"Checks ({summary.split()[0]} to fix)" in _text(_element(page, "tab-checks"))
    assert 'data-url="/api/v1/message/' in _element(page, "link-check")


def test_a_test_send_to_a_bad_address_says_why(api: httpx.Client) -> None:
    headers = {"X-CSRF-Token": _csrf(api), "HX-Request": "true"}
    form = {"concept": "welcome", "theme": "built-in", "locale": "en-US"}
    for to, why in (("nobody", "not a plain email address"), ("", "say where to send")):
        response = api.post("/ui/preview/send", data={**form, "to": to}, headers=headers)
        assert response.status_code == 400
        assert 'role="alert"' in response.text and why in response.text


def test_a_text_only_message_opens_on_its_text(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="plain", text="Your code is 493021"), mailbox)
    send(server, make_message(subject="both", html="<p>Hi</p>"), mailbox)
    ids = _ids(api, mailbox)
    plain = api.get(f"/message/{ids['plain']}").text
    assert re.search(r'id="tab-text"[^>]*\s+aria-selected="true"', plain)
    assert re.search(r'id="tab-html"[^>]*\s+aria-selected="false"', plain)
    assert re.search(r'id="panel-html"[^>]*\shidden>', plain)
    assert not re.search(r'id="panel-text"[^>]*\shidden', plain)
    both = api.get(f"/message/{ids['both']}").text
    assert re.search(r'id="tab-html"[^>]*\s+aria-selected="true"', both)
    assert re.search(r'id="panel-text"[^>]*\shidden', both)


def test_the_links_tab_shows_a_token_in_the_path(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlLWhlcmUtMTIz"
    link = f"https://app.example.com/confirm/{token}?utm_source=mail"
    send(server, make_message(subject="confirm", html=f'<a href="{link}">Confirm</a>'), mailbox)
    page = api.get(f"/message/{_ids(api, mailbox)['confirm']}").text
    links = page[page.find('id="panel-links"') :]
    assert f'data-copy="{token}"' in links and f"path: {token}" in links
