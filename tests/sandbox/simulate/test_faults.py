"""SMTP fault plans: decisions under a seeded RNG, the JSON and one-line forms, their errors."""

from __future__ import annotations

import random

import pytest

from mailyard.sandbox.simulate.errors import FaultPlanError
from mailyard.sandbox.simulate.faults import SCHEMA, Fault, FaultContext, FaultPlan, Stage

NOBODY = FaultContext()


def test_a_certain_rule_always_answers_with_its_reply() -> None:
    plan = FaultPlan.parse("rcpt 451")
    fault = plan.decide(Stage.RCPT, FaultContext(recipients=("a@b.test",)), random.Random(0))
    assert fault == Fault(Stage.RCPT, "451 4.0.0 mailyard fault injected at rcpt")
    assert not fault.closes
    assert plan.decide(Stage.MAIL, NOBODY, random.Random(0)) is None


def test_probability_is_drawn_from_the_injected_rng_reproducibly() -> None:
    plan = FaultPlan.parse("mail 550 25%")

    def run(seed: int) -> list[bool]:
        rng = random.Random(seed)
        return [plan.decide(Stage.MAIL, NOBODY, rng) is not None for _ in range(2000)]

    assert run(1) == run(1)
    assert run(1) != run(2)
    assert 400 <= sum(run(1)) <= 600


def test_zero_and_hundred_percent_rules_leave_the_rng_alone() -> None:
    rng = random.Random(5)
    before = rng.getstate()
    FaultPlan.parse("data 451 100%; data 452 0%").decide(Stage.DATA, NOBODY, rng)
    assert rng.getstate() == before


def test_latencies_add_up_and_the_first_reply_wins() -> None:
    plan = FaultPlan.parse("data latency=2s; data latency=500ms 421; data 554")
    fault = plan.decide(Stage.DATA, NOBODY, random.Random(0))
    assert fault is not None
    assert (fault.latency, fault.reply, fault.closes) == (
        2.5,
        "421 4.0.0 mailyard fault injected at data",
        True,
    )
    slow = FaultPlan.parse("connect latency=10m; connect latency=10m").decide(
        Stage.CONNECT, NOBODY, random.Random(0)
    )
    assert slow == Fault(Stage.CONNECT, None, 600.0)


def test_drop_closes_without_a_reply() -> None:
    fault = FaultPlan.parse("connect drop").decide(Stage.CONNECT, NOBODY, random.Random(0))
    assert fault == Fault(Stage.CONNECT, None, 0.0, True) and fault.closes


def test_connect_replies_have_no_enhanced_code_and_text_can_be_set() -> None:
    assert FaultPlan.parse("connect 554").rules[0].reply == "554 mailyard fault injected at connect"
    plan = FaultPlan.from_json(
        {
            "rules": [
                {"stage": "auth", "code": 454, "text": "4.7.0 Temporary authentication failure"}
            ]
        }
    )
    assert plan.rules[0].reply == "454 4.7.0 Temporary authentication failure"


def test_match_targets_the_sender_at_mail_and_recipients_at_rcpt_and_data() -> None:
    plan = FaultPlan.parse(
        "mail 550 match=*@spam.test; rcpt 550 match=*@spam.test; data 554 match=*@spam.test"
    )
    rng = random.Random(0)
    assert plan.decide(Stage.MAIL, FaultContext(sender="x@spam.test"), rng) is not None
    assert plan.decide(Stage.MAIL, FaultContext(sender="x@ok.test"), rng) is None
    assert plan.decide(Stage.MAIL, FaultContext(), rng) is None
    assert plan.decide(Stage.RCPT, FaultContext(recipients=("x@spam.test",)), rng) is not None
    assert (
        plan.decide(Stage.DATA, FaultContext(recipients=("a@ok.test", "b@spam.test")), rng)
        is not None
    )
    assert plan.decide(Stage.DATA, FaultContext(recipients=("a@ok.test",)), rng) is None


def test_mailbox_plan_comes_before_the_global_one() -> None:
    mailbox, overall = FaultPlan.parse("rcpt 452"), FaultPlan.parse("rcpt 451")
    fault = mailbox.then(overall).decide(Stage.RCPT, NOBODY, random.Random(0))
    assert fault is not None and fault.reply is not None and fault.reply.startswith("452")


def test_json_round_trip() -> None:
    plan = FaultPlan.parse(
        "rcpt 451 5%; data latency=2s; connect drop 1%; mail 550 match=*@spam.test"
    )
    data = plan.as_json()
    assert data["rules"][1] == {
        "stage": "data",
        "code": None,
        "text": None,
        "percent": 100.0,
        "latency": 2.0,
        "drop": False,
        "match": None,
        "source": None,
    }
    assert FaultPlan.from_json(data) == plan


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"rules": [{"stage": "helo", "code": 451}]},
            "rules[0].stage",
            "'helo' is not one of connect, auth, mail, rcpt, data",
        ),
        (
            {"rules": [{"stage": "rcpt", "code": 399}]},
            "rules[0].code",
            "must be a number from 400 to 599",
        ),
        (
            {"rules": [{"stage": "rcpt", "code": "451"}]},
            "rules[0].code",
            "must be a number from 400 to 599",
        ),
        ({"rules": [{"stage": "rcpt"}]}, "rules[0]", "needs a code, drop or latency"),
        (
            {"rules": [{"stage": "rcpt", "code": 451, "drop": True}]},
            "rules[0]",
            "replies (code) or drops, not both",
        ),
        (
            {"rules": [{"stage": "rcpt", "code": 451, "percent": 150}]},
            "rules[0].percent",
            "between 0 and 100",
        ),
        ({"rules": [{"stage": "rcpt", "latency": "11m"}]}, "rules[0].latency", "at most 10m"),
        (
            {"rules": [{"stage": "rcpt", "latency": -1}]},
            "rules[0].latency",
            "from 0 to 600 seconds",
        ),
        (
            {"rules": [{"stage": "rcpt", "code": 451, "text": "ok\r\n250 forged"}]},
            "rules[0].text",
            "printable ASCII on one line",
        ),
        (
            {"rules": [{"stage": "rcpt", "text": "x", "latency": 1}]},
            "rules[0].text",
            "a text needs a code",
        ),
        (
            {"rules": [{"stage": "connect", "code": 421, "match": "*"}]},
            "rules[0].match",
            "at mail, rcpt and data only",
        ),
        (
            {"rules": [{"stage": "rcpt", "code": 451, "match": "a@@b"}]},
            "rules[0].match",
            "needs one local part",
        ),
        (
            {"rules": [{"stage": "rcpt", "code": 451, "source": "x"}]},
            "rules[0].source",
            "only 'mailpit-chaos'",
        ),
        (
            {"rules": [{"stage": "rcpt", "code": 451, "oops": 1}]},
            "rules[0]",
            "unknown field 'oops'",
        ),
        ({"rules": [{"stage": "rcpt", "code": 451}] * 101}, "rules", "at most 100"),
        ({"rules": ["x"]}, "rules[0]", "must be an object"),
        ({"plan": []}, "rules", "a fault plan is an object"),
    ],
)
def test_json_errors_name_the_rule_and_field(data: object, field: str, message: str) -> None:
    with pytest.raises(FaultPlanError) as caught:
        FaultPlan.from_json(data)
    assert caught.value.field == field
    assert message in str(caught.value)


def test_one_line_errors_name_the_rule() -> None:
    with pytest.raises(FaultPlanError, match=r"rules\[1\]: unexpected 'boom'"):
        FaultPlan.parse("rcpt 451; data boom")
    with pytest.raises(FaultPlanError, match=r"rules\[0\]\.percent: "):
        FaultPlan.parse("rcpt 451 5x%")


def test_as_json_validates_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    plan = FaultPlan.parse(
        "rcpt 451 5%; data latency=2s; connect drop 1%; mail 550 match=*@spam.test"
    )
    jsonschema.validate(plan.as_json(), SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"rules": [{"stage": "helo"}]}, SCHEMA)
