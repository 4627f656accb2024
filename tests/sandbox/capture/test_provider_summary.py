"""`composed_summary` must be exactly what parsing the composed message gives, or None."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailyard.sandbox.capture.compose import Attachment, Parts
from mailyard.sandbox.capture.provider_mail import compose_message
from mailyard.sandbox.capture.provider_summary import composed_summary
from mailyard.sandbox.mail.summary import summarize

MESSAGE_ID = "0100018c-1f2e-4d5a-9b8c-7d6e5f4a3b2c-000000@email.amazonses.com"
WHEN = 1_796_000_000.75

PLAIN_NAME = "abcXYZ09 .,'&!_-"
PLAIN_PIECES = ["a", "B", " ", "\n", "\r\n", "\r", "\t", "<p>", "</p>", "&amp;", "<br>", "x" * 50]
locals_ = st.text(st.sampled_from("abcXYZ09._+-"), min_size=1, max_size=12)
domains = st.sampled_from(["example.com", "mail.example.org", "x-y.example.net", "EXAMPLE.COM"])
addresses = st.builds(lambda local, domain: f"{local}@{domain}", locals_, domains)


@st.composite
def sends(draw: st.DrawFn, wide: bool) -> tuple[Parts, list[str]]:
    """A send and its envelope recipients: of the plain forms, or (`wide`) also outside them,
    so that the fallback is reached too."""
    names = st.text(st.sampled_from(PLAIN_NAME + ('"<>@é\t()' if wide else "")), max_size=24)
    people = st.tuples(names, addresses)
    pieces = [*PLAIN_PIECES, "é", "x" * 999] if wide else PLAIN_PIECES
    bodies = st.lists(st.sampled_from(pieces), max_size=60).map("".join)
    to = draw(st.lists(people, min_size=1, max_size=3))
    cc = draw(st.lists(people, max_size=2))
    bcc = draw(st.lists(addresses, max_size=2))
    parts = Parts(
        sender=draw(people),
        to=tuple(to),
        cc=tuple(cc),
        reply_to=tuple(draw(st.lists(people, max_size=1))),
        subject=draw(
            st.text(st.sampled_from("ab Z9-:!?=_" + ("\té" if wide else "")), max_size=40)
        ),
        text=draw(bodies),
        html=draw(bodies),
    )
    return parts, list(dict.fromkeys([a for _, a in to] + [a for _, a in cc] + bcc))


def _check(parts: Parts, rcpt_to: list[str]) -> bool:
    """True when the fast path applied (and agreed with the parser)."""
    raw = compose_message(parts, message_id=MESSAGE_ID, date=WHEN)
    built = composed_summary(parts, rcpt_to, message_id=MESSAGE_ID, date=WHEN)
    if built is None:
        return False
    assert built == summarize(raw, rcpt_to)
    return True


@settings(max_examples=400, deadline=None)
@given(send=sends(wide=False))
def test_plain_sends_agree_with_the_parser(send: tuple[Parts, list[str]]) -> None:
    _check(*send)


@settings(max_examples=400, deadline=None)
@given(send=sends(wide=True))
def test_any_send_agrees_with_the_parser_or_is_left_to_it(send: tuple[Parts, list[str]]) -> None:
    parts, rcpt_to = send
    try:
        compose_message(parts, message_id=MESSAGE_ID, date=WHEN)
    except ValueError:  # a header provider_mail refuses: no message, nothing to summarise
        return
    _check(parts, rcpt_to)


PLAIN = Parts(
    sender=("Acme Inc.", "noreply@example.com"),
    to=(("Jane Doe", "jane+signup@example.com"),),
    subject="Your sign-in code",
    text="Hello Jane,\n\nYour sign-in code is 493021.\n" * 4,
    html="<html><body><p>Hello Jane,</p><p>Your code is <b>493021</b>.</p></body></html>",
)


@pytest.mark.parametrize(
    "parts",
    [
        PLAIN,
        Parts(sender=("", "a@example.com"), to=(("", "b@example.com"),), subject="s", text="t"),
        Parts(sender=("", "a@example.com"), to=(("", "b@example.com"),), html="<p>only</p>"),
        Parts(sender=("Doe, Jane", "a@example.com"), subject="", text="  ", html="<p>x</p>"),
    ],
)
def test_plain_sends_take_the_fast_path(parts: Parts) -> None:
    assert _check(parts, ["jane+signup@example.com", "hidden@example.org"])


@pytest.mark.parametrize(
    "change",
    [
        {"attachments": (Attachment("a.txt", b"x"),)},
        {"headers": (("X-Tags", "one"),)},
        {"subject": "Caf\u00e9"},
        {"subject": "=?utf-8?q?x?="},
        {"subject": " padded "},
        {"sender": ("J\u00e9r\u00f4me", "noreply@example.com")},
        {"to": (("Jane", "jane@b\u00fccher.example"),)},
        {"text": "caf\u00e9"},
        {"html": "<p>" + "x" * 1200 + "</p>"},
    ],
)
def test_other_sends_are_left_to_the_parser(change: dict[str, object]) -> None:
    parts = Parts(**{**PLAIN.__dict__, **change})  # type: ignore[arg-type]
    assert composed_summary(parts, ["x@example.com"], message_id=MESSAGE_ID, date=WHEN) is None
