"""Mailpit's chaos API over our fault plans: its JSON, its validation texts, its triggers."""

from __future__ import annotations

import json
import random

import pytest

from mailyard.sandbox.simulate import chaos
from mailyard.sandbox.simulate.chaos import ChaosError, ChaosTriggers, Trigger
from mailyard.sandbox.simulate.faults import FaultContext, FaultPlan, Stage

DEFAULTS = (
    b'{"Sender":{"ErrorCode":451,"Probability":0},"Recipient":{"ErrorCode":451,"Probability":0},'
    b'"Authentication":{"ErrorCode":535,"Probability":0}}\n'
)


def test_defaults_encode_byte_for_byte_as_mailpit() -> None:
    assert ChaosTriggers().encode() == DEFAULTS


@pytest.mark.parametrize("body", [b"{}", b"null", b"  {}  ", b'{"Unknown": 1, "Sender": null}'])
def test_a_blank_put_resets_every_trigger(body: bytes) -> None:
    assert chaos.decode_put(body).encode() == DEFAULTS


def test_put_round_trips_through_a_fault_plan() -> None:
    body = {
        "Sender": {"ErrorCode": 550, "Probability": 50},
        "Authentication": {"ErrorCode": 454, "Probability": 5},
    }
    triggers = chaos.decode_put(json.dumps(body).encode())
    assert triggers == ChaosTriggers(Trigger(550, 50), Trigger(451, 0), Trigger(454, 5))
    plan = chaos.apply(FaultPlan.parse("data latency=1s"), triggers)
    assert chaos.read(plan) == triggers
    assert json.loads(chaos.read(plan).encode()) == json.loads(triggers.encode())
    # Our own rules survive; a second PUT replaces only the chaos ones.
    again = chaos.apply(plan, ChaosTriggers())
    assert [r.stage for r in again.rules if r.source is None] == [Stage.DATA]
    assert chaos.read(again) == ChaosTriggers()
    assert chaos.read(FaultPlan()) == ChaosTriggers()


def test_keys_match_case_insensitively_and_duplicates_merge_as_in_go() -> None:
    body = b'{"sender":{"errorcode":500},"SENDER":{"probability":5}} trailing text is ignored'
    assert chaos.decode_put(body).sender == Trigger(500, 5)


def test_triggers_reply_with_mailpits_texts_at_their_stages() -> None:
    plan = chaos.apply(
        FaultPlan(), ChaosTriggers(Trigger(451, 100), Trigger(550, 100), Trigger(535, 100))
    )
    rng, nobody = random.Random(0), FaultContext()
    replies = {
        stage: plan.decide(stage, nobody, rng) for stage in (Stage.MAIL, Stage.RCPT, Stage.AUTH)
    }
    assert {s: f.reply for s, f in replies.items() if f} == {
        Stage.MAIL: "451 Chaos sender error",
        Stage.RCPT: "550 Chaos recipient error",
        Stage.AUTH: "535 Chaos authentication error",
    }
    assert plan.decide(Stage.DATA, nobody, rng) is None


def test_zero_probability_never_fires() -> None:
    plan = chaos.apply(FaultPlan(), ChaosTriggers(Trigger(550, 0)))
    rng = random.Random(0)
    assert all(plan.decide(Stage.MAIL, FaultContext(), rng) is None for _ in range(200))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "EOF"),
        (b'{"Sender":{"ErrorCode":200}}', "error code must be between 400 and 599"),
        (b'{"Recipient":{"ErrorCode":600}}', "error code must be between 400 and 599"),
        (b'{"Authentication":{"Probability":101}}', "probability must be between 0 and 100"),
        (b'{"Sender":{"Probability":-1}}', "probability must be between 0 and 100"),
        # Mailpit checks the code before the probability, Sender before Recipient.
        (
            b'{"Recipient":{"ErrorCode":1},"Sender":{"Probability":500}}',
            "probability must be between 0 and 100",
        ),
        (
            b'{"Sender":{"ErrorCode":"451"}}',
            "json: cannot unmarshal string into Go struct field Trigger.Sender.ErrorCode of type int",
        ),
        (
            b'{"Sender":{"Probability":2.5}}',
            "json: cannot unmarshal number 2.5 into Go struct field Trigger.Sender.Probability of type int",
        ),
        (
            b'{"Sender":{"ErrorCode":1e3}}',
            "json: cannot unmarshal number 1e3 into Go struct field Trigger.Sender.ErrorCode of type int",
        ),
        (
            b'{"Recipient":{"ErrorCode":true}}',
            "json: cannot unmarshal bool into Go struct field Trigger.Recipient.ErrorCode of type int",
        ),
        (
            b'{"Sender":5}',
            "json: cannot unmarshal number into Go struct field Triggers.Sender of type chaos.Trigger",
        ),
        (
            b'{"Sender":[]}',
            "json: cannot unmarshal array into Go struct field Triggers.Sender of type chaos.Trigger",
        ),
        (b"[]", "json: cannot unmarshal array into Go value of type chaos.Triggers"),
        (b'"x"', "json: cannot unmarshal string into Go value of type chaos.Triggers"),
        (b'{"Sender":', "unexpected EOF"),
        (b'{"Sender":"abc', "unexpected EOF"),
        (b"x", "invalid character 'x' looking for beginning of value"),
        (b'{"Sender":}', "invalid character '}' looking for beginning of value"),
        (b"{'Sender':{}}", "invalid character '\\'' looking for beginning of object key string"),
        (b'{"Sender" {}}', "invalid character '{' after object key"),
        (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
        (b'{"a":[1 2]}', "invalid character '2' after array element"),
        (b'{"a":1,}', "invalid character '}' looking for beginning of object key string"),
        (b'{"a":NaN}', "invalid character 'N' looking for beginning of value"),
        (b'{"a":"\x01"}', "invalid character '\\x01' in string literal"),
        (b'{"a":"\\q"}', "invalid character 'q' in string escape code"),
        ("é".encode(), "invalid character 'Ã' looking for beginning of value"),
    ],
)
def test_put_errors_are_mailpits_texts(body: bytes, message: str) -> None:
    with pytest.raises(ChaosError) as caught:
        chaos.decode_put(body)
    assert str(caught.value) == message
    assert caught.value.field == "chaos"


def test_cli_triggers_parse_as_mailpit_does() -> None:
    triggers = chaos.parse_triggers("Sender:451:5, recipients:550:10,Auth:535:50")
    assert triggers == ChaosTriggers(Trigger(451, 5), Trigger(550, 10), Trigger(535, 50))
    assert chaos.parse_triggers("sender:452:1", triggers).recipient == Trigger(550, 10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Sender:451", "invalid argument: Sender:451"),
        ("Sender:4510:5", "invalid argument: Sender:4510:5"),
        ("Send-er:451:5", "invalid argument: Send-er:451:5"),
        ("Sender:451:5.5", 'strconv.Atoi: parsing "5.5": invalid syntax'),
        ("Sender:200:5", "error code must be between 400 and 599"),
        ("Sender:451:101", "probability must be between 0 and 100"),
        ("Foo:451:5", "unknown key foo"),
        ("Foo:200:5", "error code must be between 400 and 599"),
    ],
)
def test_cli_trigger_errors_are_mailpits_texts(text: str, message: str) -> None:
    with pytest.raises(ChaosError) as caught:
        chaos.parse_triggers(text)
    assert str(caught.value) == message


def test_not_enabled_text() -> None:
    assert chaos.NOT_ENABLED == "Chaos is not enabled"
