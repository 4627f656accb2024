"""Input that once answered 500, or did what it did not say: each now a clear 4xx naming the
field, on a connection that stays open (issue 9, breaks 5 and 6). On Mailpit's routes the error
is Mailpit's plain text, still naming the field; on ours it is JSON with a `field`."""

from __future__ import annotations

import httpx
import pytest
from support.mail import Server, make_message, messages, send


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/messages/wait", {"after": "²", "timeout": "0"}, "after"),  # not digits: an ID
    ],
)
def test_a_cursor_that_is_no_number_is_looked_up_as_an_id(
    api: httpx.Client, path: str, params: dict[str, str], field: str
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 404 and response.json()["error"]["field"] == field


def field_of(response: httpx.Response) -> str:
    """The field an error names: JSON's `field`, or the text of Mailpit's plain-text error."""
    if response.headers["content-type"].startswith("application/json"):
        return str(response.json()["error"]["field"])
    return response.text


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/messages/wait", {"after": "9" * 30, "timeout": "0"}, "after"),
        ("/ui/rows", {"before": "9" * 30}, "before"),
    ],
)
def test_absurd_numbers_are_a_400_naming_the_field(
    api: httpx.Client, path: str, params: dict[str, str], field: str
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 400, response.text
    if path.startswith("/api/"):
        assert field in field_of(response)


@pytest.mark.parametrize(
    "params",
    [{"start": "9" * 30}, {"limit": "9" * 30}, {"start": "٣"}, {"start": "-5", "limit": "x"}],
)
def test_absurd_paging_is_read_as_mailpit_reads_it(
    api: httpx.Client, params: dict[str, str]
) -> None:
    """Mailpit never refuses paging: a bad start is 0, a bad limit 50."""
    response = api.get("/api/v1/messages", params=params)
    assert response.status_code == 200
    assert response.json()["start"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/messages"),
        ("PUT", "/api/v1/messages"),
        ("PUT", "/api/v1/tags"),
        ("POST", "/api/v1/send"),
        ("POST", "/api/v1/email-test"),
    ],
)
def test_json_nested_100000_deep_is_refused(api: httpx.Client, method: str, path: str) -> None:
    body = b'{"IDs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = api.request(method, path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and "nested too deeply" in response.text


def test_a_lone_surrogate_in_ids_is_refused(api: httpx.Client) -> None:
    response = api.request(
        "DELETE",
        "/api/v1/messages",
        content=b'{"IDs": ["\\ud800"]}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400 and "surrogate" in response.text


def test_delete_with_lowercase_ids_deletes_only_those(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    """Mailpit matches keys case-insensitively; `{"ids": [...]}` once deleted everything."""
    send(server, make_message(subject="keep me"), mailbox)
    send(server, make_message(subject="delete me"), mailbox)
    doomed = [m["ID"] for m in messages(api, mailbox) if m["Subject"] == "delete me"]
    assert api.request("DELETE", "/api/v1/messages", json={"ids": doomed}).status_code == 200
    assert [m["Subject"] for m in messages(api, mailbox)] == ["keep me"]


def test_put_with_lowercase_ids_marks_only_those(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="one"), mailbox)
    send(server, make_message(subject="two"), mailbox)
    one = next(m["ID"] for m in messages(api, mailbox) if m["Subject"] == "one")
    assert api.put("/api/v1/messages", json={"ids": [one], "read": True}).status_code == 200
    read = {m["Subject"]: m["Read"] for m in messages(api, mailbox)}
    assert read == {"one": True, "two": False}


@pytest.mark.parametrize(
    "body",
    [{"Ids2": ["x"]}, {"IDs": ["x"], "Everything": True}, {}],
    ids=["typo", "extra", "empty"],
)
def test_an_object_without_ids_never_means_all(
    server: Server, api: httpx.Client, mailbox: str, body: dict[str, object]
) -> None:
    send(server, make_message(subject="survivor"), mailbox)
    response = api.request("DELETE", "/api/v1/messages", json=body)
    assert response.status_code == 400
    assert messages(api, mailbox), "nothing may be deleted"


def test_ids_and_search_together_are_refused(api: httpx.Client) -> None:
    response = api.put("/api/v1/messages", json={"IDs": ["a"], "Search": "x", "Read": True})
    assert response.status_code == 400
    assert response.text == "You may specify either IDs or a search query, not both"


def test_a_form_encoded_delete_deletes_those_ids(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    """Mailpit's Python client sends its DELETE as a form."""
    send(server, make_message(subject="form kept"), mailbox)
    send(server, make_message(subject="form deleted"), mailbox)
    doomed = next(m["ID"] for m in messages(api, mailbox) if m["Subject"] == "form deleted")
    response = api.request(
        "DELETE",
        "/api/v1/messages",
        content=f"IDs={doomed}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert [m["Subject"] for m in messages(api, mailbox)] == ["form kept"]
