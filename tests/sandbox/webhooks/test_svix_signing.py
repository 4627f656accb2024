"""Svix signatures: the documented test vector, the official `svix` and `standardwebhooks`
libraries verifying what we sign (as resend-python's and resend-node's users do), and our own
verifier agreeing with the official one on every spoilt request."""

from __future__ import annotations

import random
import re
import time

import pytest
import standardwebhooks
import svix

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.webhooks import svix_signing as ours

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_BODY = b'{"test": 2432232314}'


def test_the_documented_test_vector() -> None:
    signature = ours.sign(VECTOR_SECRET, VECTOR_ID, 1614265330, VECTOR_BODY)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = ours.svix_headers(VECTOR_SECRET, VECTOR_ID, 1614265330, VECTOR_BODY)
    ours.verify(VECTOR_SECRET, headers, VECTOR_BODY, now=1614265330 + 299)


def test_new_secret_is_whsec_and_24_bytes_from_the_injected_source() -> None:
    secret = ours.new_secret(lambda n: bytes(range(n)))
    assert secret == "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
    assert len(ours.secret_key(secret)) == 24
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{32}", ours.new_secret())


def test_message_ids_are_ksuid_shaped_deterministic_and_time_ordered() -> None:
    a = ours.message_id(1_700_000_000, random.Random(1))
    assert a == ours.message_id(1_700_000_000, random.Random(1))
    assert re.fullmatch(r"msg_[0-9A-Za-z]{27}", a)
    later = ours.message_id(1_700_000_001, random.Random(0))
    assert later > a  # base62 in ASCII order sorts as the number does


def test_the_official_svix_library_verifies_what_we_sign() -> None:
    secret = ours.new_secret()
    now = int(time.time())  # the library reads the real clock
    body = '{"type":"email.delivered","data":{"to":["délivré@resend.dev"]}}'.encode()
    msg_id = ours.message_id(now, random.Random(2))
    headers = ours.svix_headers(secret, msg_id, now, body)
    assert svix.Webhook(secret).verify(body, headers) is None  # 2.9.1 returns None on success
    with pytest.raises(svix.WebhookVerificationError):
        svix.Webhook(secret).verify(body + b" ", headers)
    with pytest.raises(svix.WebhookVerificationError):
        svix.Webhook(ours.new_secret()).verify(body, headers)


def test_standardwebhooks_verifies_as_resend_node_calls_it() -> None:
    # resend-node's `webhooks.verify` passes the svix-* values as webhook-* headers.
    secret = ours.new_secret()
    now = int(time.time())
    body = b'{"type":"email.sent"}'
    sent = ours.svix_headers(secret, ours.message_id(now, random.Random(3)), now, body)
    renamed = {
        "webhook-id": sent["svix-id"],
        "webhook-timestamp": sent["svix-timestamp"],
        "webhook-signature": sent["svix-signature"],
    }
    assert standardwebhooks.Webhook(secret).verify(body, renamed) == {"type": "email.sent"}


def test_rotation_lists_one_signature_per_secret_and_each_verifies() -> None:
    old, new = ours.new_secret(), ours.new_secret()
    now = int(time.time())
    header = ours.signature_header([old, new], "msg_x", now, b"{}")
    assert header.count("v1,") == 2 and " " in header
    for secret in (old, new):
        svix.Webhook(secret).verify(
            b"{}", {"svix-id": "msg_x", "svix-timestamp": str(now), "svix-signature": header}
        )
        ours.verify(
            secret,
            {"svix-id": "msg_x", "svix-timestamp": str(now), "svix-signature": header},
            b"{}",
            now,
        )


def spoilt(secret: str, now: int) -> dict[str, tuple[dict[str, str], bytes]]:
    body = b'{"type":"email.bounced"}'
    good = ours.svix_headers(secret, "msg_good", now, body)
    sig = good["svix-signature"]
    return {
        "valid": (good, body),
        "tampered": (good, body.replace(b"bounced", b"bounceD")),
        "stale": (ours.svix_headers(secret, "msg_old", now - 301, body), body),
        "future": (ours.svix_headers(secret, "msg_new", now + 301, body), body),
        "edge-old": (ours.svix_headers(secret, "msg_edge", now - 290, body), body),
        "no-comma": ({**good, "svix-signature": "v1"}, body),
        "bad-then-good": ({**good, "svix-signature": "v1,AAAA " + sig}, body),
        "v2-only": ({**good, "svix-signature": sig.replace("v1,", "v2,")}, body),
        "text-stamp": ({**good, "svix-timestamp": "soon"}, body),
        "no-id": ({k: v for k, v in good.items() if k != "svix-id"}, body),
        "other-secret": (ours.svix_headers(ours.new_secret(), "msg_o", now, body), body),
    }


def test_our_verifier_agrees_with_the_official_library() -> None:
    secret = ours.new_secret()
    now = int(time.time())
    for name, (headers, body) in spoilt(secret, now).items():
        try:
            svix.Webhook(secret).verify(body, headers)
            official = True
        except Exception:  # svix raises ValueError, not its own error, for "v1" (measured)
            official = False
        try:
            ours.verify(secret, headers, body, now=time.time())
            mine = True
        except ours.SignatureError:
            mine = False
        assert mine == official, name
        assert mine == (name in ("valid", "edge-old", "bad-then-good")), name


def test_refusals_name_the_header_at_fault() -> None:
    secret = ours.new_secret()
    cases = spoilt(secret, 1_000_000)
    expected = {
        "tampered": "svix-signature",
        "stale": "svix-timestamp",
        "no-comma": "svix-signature",
        "text-stamp": "svix-timestamp",
        "no-id": "svix-id",
    }
    for name, field in expected.items():
        headers, body = cases[name]
        with pytest.raises(ours.SignatureError) as caught:
            ours.verify(secret, headers, body, now=1_000_000)
        assert caught.value.field == field, name
    headers, body = cases["valid"]
    with pytest.raises(ours.SignatureError, match="too long"):
        ours.verify(secret, {**headers, "svix-signature": "v1,x " * 2000}, body, now=1_000_000)


def test_webhook_headers_and_any_case_are_read() -> None:
    secret = ours.new_secret()
    headers = ours.svix_headers(secret, "msg_1", 50, b"{}")
    renamed = {k.replace("svix-", "Webhook-").upper(): v for k, v in headers.items()}
    ours.verify(secret, renamed, b"{}", now=50)


def test_a_secret_that_is_not_base64_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        ours.sign("whsec_not*base64", "msg", 1, b"")
    assert caught.value.field == "secret"
    with pytest.raises(InvalidInputError, match="empty"):
        ours.secret_key("whsec_")
