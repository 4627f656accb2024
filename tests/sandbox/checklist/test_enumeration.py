"""What the enumeration check compares besides time: status, body, headers."""

from __future__ import annotations

from mailyard.sandbox.checklist.enumeration import Side, _headers, differences


def side(status: int, body: bytes, **headers: str) -> Side:
    found = Side()
    for _ in range(3):
        found.statuses.append(status)
        found.bodies.append(body)
        found.headers.append(_headers(headers.items()))
    return found


def test_identical_answers_show_nothing() -> None:
    a = side(200, b'{"ok":true}', content_type="application/json")
    assert differences(a, side(200, b'{"ok":true}', content_type="application/json")) == []


def test_status_body_and_header_values_are_named() -> None:
    a = side(200, b'{"sent":true}', content_type="application/json", x_mode="a")
    b = side(404, b'{"sent":false}', content_type="application/json", x_mode="b")
    found = differences(a, b)
    assert found[0] == "status: [200] with an account, [404] without"
    assert found[1] == 'body: {"sent":true} with an account, {"sent":false} without'
    assert found[2] == "header: x_mode is 'a' with an account, 'b' without"


def test_a_header_sent_for_one_kind_only_is_named() -> None:
    a = side(200, b"{}", **{"set-cookie": "session=abc; Path=/"})
    b = side(200, b"{}")
    assert differences(a, b) == ["header: set-cookie is sent only with an account"]


def test_volatile_headers_and_varying_request_ids_are_not_leaks() -> None:
    a, b = Side(), Side()
    for n, target in enumerate([a, b, a, b]):
        target.statuses.append(200)
        target.bodies.append(b'{"ok":true,"requestId":"%d"}' % n)
        target.headers.append(_headers([("Date", f"t{n}"), ("X-Request-Id", str(n))]))
    assert differences(a, b) == []
    assert _headers([("Set-Cookie", "sid=1; HttpOnly")]) == {"set-cookie": "sid"}
