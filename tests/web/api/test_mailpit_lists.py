"""Listing, read status, deleting and tags as Mailpit does them (issue 14): paging read leniently,
`limit=0`, `before=`, form bodies from Mailpit's Python client, and Mailpit's tag rules."""

from __future__ import annotations

import smtplib

import httpx
import pytest
from support.mail import Server, make_message, messages, send

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _subjects(body: dict[str, object]) -> list[str]:
    return [str(m["Subject"]) for m in body["messages"]]  # type: ignore[attr-defined]


def test_limit_zero_lists_every_message_and_counts_stay_the_mailboxs(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    for i in range(3):
        send(server, make_message(subject=f"m{i}"), mailbox)
    every = api.get("/api/v1/messages", params={"mailbox": mailbox, "limit": 0, "start": 2}).json()
    assert _subjects(every) == ["m2", "m1", "m0"] and every["start"] == 0
    counts_only = api.get(
        "/api/v1/search", params={"mailbox": mailbox, "query": "m1", "limit": 0}
    ).json()
    assert counts_only["messages"] == [] and counts_only["messages_count"] == 1
    past = api.get("/api/v1/messages", params={"mailbox": mailbox, "start": 99}).json()
    assert past["messages"] == [] and past["count"] == 0 and past["total"] == 3


def test_before_lists_only_older_mail(server: Server, api: httpx.Client, mailbox: str) -> None:
    send(server, make_message(subject="old"), mailbox)
    listed = api.get("/api/v1/messages", params={"mailbox": mailbox, "before": "2000-01-01"})
    body = listed.json()
    assert body["messages"] == [] and body["messages_count"] == body["total"] == 1
    later = api.get("/api/v1/messages", params={"mailbox": mailbox, "before": "2999-01-01"})
    assert _subjects(later.json()) == ["old"]
    unreadable = api.get("/api/v1/messages", params={"mailbox": mailbox, "before": "soonish"})
    assert _subjects(unreadable.json()) == ["old"]  # Mailpit ignores a date it cannot read


def test_more_than_a_store_page_is_gathered(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as smtp:
        smtp.login(mailbox, "x")
        for i in range(1005):
            smtp.sendmail("a@example.com", ["b@example.com"], f"Subject: n{i}\r\n\r\nx".encode())
    body = api.get("/api/v1/messages", params={"mailbox": mailbox, "limit": 1003}).json()
    subjects = _subjects(body)
    assert len(subjects) == 1003 and subjects[0] == "n1004" and subjects[-1] == "n2"
    assert len(set(subjects)) == 1003


def test_the_python_clients_forms_mark_and_delete_those_ids(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    for subject in ("a", "b", "c"):
        send(server, make_message(subject=subject), mailbox)
    ids = {str(m["Subject"]): str(m["ID"]) for m in messages(api, mailbox)}
    marked = api.put("/api/v1/messages", content=f"ids={ids['a']}&Read=true", headers=FORM)
    assert marked.text == "ok"
    assert {m["Subject"]: m["Read"] for m in messages(api, mailbox)} == {
        "a": True,
        "b": False,
        "c": False,
    }
    body = f"ids={ids['a']}&ids={ids['b']}"
    assert api.request("DELETE", "/api/v1/messages", content=body, headers=FORM).text == "ok"
    assert [m["Subject"] for m in messages(api, mailbox)] == ["c"]


def test_an_empty_object_marks_every_message_unread(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="x"), mailbox)
    api.put("/api/v1/messages", params={"mailbox": mailbox}, json={"Read": True})
    api.put("/api/v1/messages", params={"mailbox": mailbox}, json={})  # mailpit-api's default
    assert messages(api, mailbox)[0]["Read"] is False


def test_a_client_without_accept_gets_mailhogs_empty_answer(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="x"), mailbox)
    request = api.build_request("DELETE", "/api/v1/messages", params={"mailbox": mailbox})
    del request.headers["accept"]
    response = api.send(request)
    assert response.status_code == 200 and response.content == b""
    assert messages(api, mailbox) == []


def test_tags_are_cleaned_unique_and_ordered_as_mailpit(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="t"), mailbox)
    message_id = messages(api, mailbox)[0]["ID"]
    tags = ["b tag!", "B TAG", "alpha", "Zed", "é-x"]
    assert api.put("/api/v1/tags", json={"IDs": [message_id], "Tags": tags}).text == "ok"
    assert messages(api, mailbox)[0]["Tags"] == ["-x", "alpha", "b tag", "Zed"]
    assert api.get("/api/v1/tags", params={"mailbox": mailbox}).json() == [
        "-x",
        "alpha",
        "b tag",
        "Zed",
    ]
    api.put("/api/v1/tags", json={"IDs": [message_id]})  # no Tags: removes them
    assert messages(api, mailbox)[0]["Tags"] == []


@pytest.mark.parametrize(
    ("method", "path", "body", "text"),
    [
        ("PUT", "/api/v1/tags/Zed", {"Name": "alpha"}, "tag already exists: alpha"),
        ("PUT", "/api/v1/tags/nope-{m}", {"Name": "x"}, "tag not found: nope-{m}"),
        ("DELETE", "/api/v1/tags/nope-{m}", None, "tag not found: nope-{m}"),
        ("PUT", "/api/v1/tags/Zed", {"Name": "!!"}, "invalid tag name: "),
    ],
)
def test_tag_renames_and_deletes_refused_as_mailpit_refuses_them(
    server: Server,
    api: httpx.Client,
    mailbox: str,
    method: str,
    path: str,
    body: dict[str, str] | None,
    text: str,
) -> None:
    send(server, make_message(subject="t"), mailbox)
    message_id = messages(api, mailbox)[0]["ID"]
    api.put("/api/v1/tags", json={"IDs": [message_id], "Tags": ["alpha", "Zed"]})
    response = api.request(method, path.format(m=mailbox), json=body)
    assert response.status_code == 400 and response.text == text.format(m=mailbox)


def test_a_rename_of_case_only_works_and_delete_is_case_insensitive(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="t"), mailbox)
    message_id = messages(api, mailbox)[0]["ID"]
    api.put("/api/v1/tags", json={"IDs": [message_id], "Tags": [f"case-{mailbox}"]})
    assert api.put(f"/api/v1/tags/case-{mailbox}", json={"Name": f"CASE-{mailbox}"}).text == "ok"
    assert messages(api, mailbox)[0]["Tags"] == [f"CASE-{mailbox}"]
    assert api.delete(f"/api/v1/tags/case-{mailbox}").text == "ok"
    assert messages(api, mailbox)[0]["Tags"] == []


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_a_json_body_under_another_content_type_is_read_as_json_like_mailpit(
    server: Server, api: httpx.Client, mailbox: str, content_type: str
) -> None:
    # `curl -X PUT $URL/api/v1/messages -d '{"IDs": [...]}'` sends a form content type;
    # Mailpit decodes every body as JSON, and so do shell CI helpers' expectations.
    for subject in ("a", "b"):
        send(server, make_message(subject=subject), mailbox)
    ids = {str(m["Subject"]): str(m["ID"]) for m in messages(api, mailbox)}
    plain = {"content-type": content_type}
    marked = api.put(
        "/api/v1/messages", content=f'{{"IDs":["{ids["a"]}"],"Read":true}}', headers=plain
    )
    assert marked.status_code == 200, marked.text
    tagged = api.put(
        "/api/v1/tags", content=f'{{"IDs":["{ids["b"]}"],"Tags":["x"]}}', headers=plain
    )
    assert tagged.status_code == 200, tagged.text
    assert {m["Subject"]: (m["Read"], m["Tags"]) for m in messages(api, mailbox)} == {
        "a": (True, []),
        "b": (False, ["x"]),
    }
    gone = api.request(
        "DELETE", "/api/v1/messages", content=f'{{"IDs":["{ids["a"]}"]}}', headers=plain
    )
    assert gone.status_code == 200 and [m["Subject"] for m in messages(api, mailbox)] == ["b"]


def test_a_browsers_json_under_another_content_type_is_still_refused(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    # A browser sends Origin with every write: a text/plain body from a page is a CORS simple
    # request (no preflight), so it stays refused even from this server's own origin.
    send(server, make_message(subject="a"), mailbox)
    (message,) = messages(api, mailbox)
    refused = api.put(
        "/api/v1/messages",
        content=f'{{"IDs":["{message["ID"]}"],"Read":true}}',
        headers={"content-type": "text/plain", "origin": str(api.base_url).rstrip("/")},
    )
    assert refused.status_code == 415
    assert messages(api, mailbox)[0]["Read"] is False


def test_search_and_snippet_read_the_html_part_and_its_links_like_mailpit(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    # Mailpit's createSearchText: with an HTML part, its text and its http links (includeLinks),
    # not the text part; CreateSnippet: from the HTML too.
    msg = make_message(subject="alt")
    msg.set_content("textonlyword")
    msg.add_alternative(
        "<p>htmlonlyword <a href='https://hrefonly.example/reset?token=a&amp;b=1'>click</a></p>",
        subtype="html",
    )
    send(server, msg, mailbox)

    def found(query: str) -> int:
        params = {"mailbox": mailbox, "query": query}
        return int(api.get("/api/v1/search", params=params).json()["messages_count"])

    assert [found(q) for q in ("htmlonlyword", "hrefonly", "click", "token=a&b=1")] == [1] * 4
    assert found("textonlyword") == 0
    assert messages(api, mailbox)[0]["Snippet"] == "htmlonlyword click"
