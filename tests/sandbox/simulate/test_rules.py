"""User rules: one grammar from a file, CLI/env and the API; seeded draws that reproduce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailyard.sandbox.simulate.errors import RuleError
from mailyard.sandbox.simulate.outcomes import Complaint, Kind
from mailyard.sandbox.simulate.rules import SCHEMA, RuleSet

RECIPIENTS = [f"user{i}@example.com" for i in range(10_000)]


def complaining(rules: RuleSet) -> set[str]:
    picked = set()
    for recipient in RECIPIENTS:
        outcome = rules.decide(recipient)
        if outcome is not None and outcome.final is Kind.COMPLAINT:
            picked.add(recipient)
    return picked


def test_seeded_percentage_picks_the_same_recipients_every_run() -> None:
    first = complaining(RuleSet.parse("seed=42; *@example.com: complaint 1%"))
    again = complaining(RuleSet.parse("seed=42; *@example.com: complaint 1%"))
    other = complaining(RuleSet.parse("seed=43; *@example.com: complaint 1%"))
    assert first == again
    assert 70 <= len(first) <= 130  # 1 % of 10,000: mean 100, sd ~10
    assert 70 <= len(other) <= 130
    assert len(first & other) < 10  # independent picks overlap by ~1


def test_draws_do_not_depend_on_arrival_order_or_other_rules() -> None:
    rules = RuleSet.parse("seed=7; *@example.com: complaint 5%")
    forwards = complaining(rules)
    backwards = {r for r in reversed(RECIPIENTS) if rules.decide(r) is not None}
    crowded = RuleSet.parse("seed=7; a@b.test: bounce; *@example.com: complaint 5%; *: reject")
    assert forwards == backwards == complaining(crowded)


def test_raising_the_percentage_keeps_the_earlier_picks() -> None:
    one = complaining(RuleSet.parse("seed=s; *@example.com: complaint 1%"))
    two = complaining(RuleSet.parse("seed=s; *@example.com: complaint 2%"))
    assert one < two


def test_rule_seed_overrides_the_set_seed() -> None:
    own = complaining(RuleSet.parse("seed=1; *@example.com: complaint 1% seed=9"))
    assert own == complaining(RuleSet.parse("seed=9; *@example.com: complaint 1%"))


def test_per_message_redraws_with_the_ordinal_per_recipient_does_not() -> None:
    per_recipient = RuleSet.parse("*@example.com: complaint 50%")
    per_message = RuleSet.parse("*@example.com: complaint 50% per=message")
    address = "someone@example.com"
    fates = {per_recipient.decide(address, ordinal=n) is not None for n in range(50)}
    assert len(fates) == 1
    fates = {per_message.decide(address, ordinal=n) is not None for n in range(50)}
    assert fates == {True, False}
    assert [per_message.decide(address, ordinal=n) for n in range(20)] == [
        per_message.decide(address, ordinal=n) for n in range(20)
    ]


def test_first_matching_rule_that_hits_decides_and_misses_fall_through() -> None:
    rules = RuleSet.parse(
        "bob@example.com: bounce permanent/noemail; *@example.com: complaint 0%;"
        " *.corp.test: delay 30s then bounce transient/mailboxfull",
        name="mailbox",
    )
    bob = rules.decide("BOB@example.com")
    assert bob is not None
    assert (bob.name, bob.decided_by, bob.suppress) == (
        "bounce permanent/noemail",
        "rule:mailbox[0]",
        "BOUNCE",
    )
    assert rules.decide("alice@example.com") is None  # 0 %: matches, never hits
    delayed = rules.decide("x@eu.corp.test")
    assert delayed is not None
    assert [(s.after, s.kind) for s in delayed.steps] == [
        (0.0, Kind.SEND),
        (0.0, Kind.DELIVERY_DELAY),
        (30.0, Kind.BOUNCE),
    ]
    assert delayed.decided_by == "rule:mailbox[2]" and delayed.suppress is None
    assert rules.decide("x@corp.test") is None


def test_complaint_from_a_rule_names_its_agent_and_joins_suppression() -> None:
    outcome = RuleSet.parse("*: complaint fraud").decide("a@b.test")
    assert outcome is not None and outcome.suppress == "COMPLAINT"
    detail = outcome.steps[-1].detail
    assert isinstance(detail, Complaint)
    assert (detail.feedback_type, detail.user_agent) == ("fraud", "mailyard rule")


ONE_LINE = (
    "seed=ci-42; *@example.com: complaint 1%; bounce@x.test: bounce permanent/noemail;\n"
    "*.corp.test: delay 30s then bounce transient/mailboxfull 5% seed=other per=message;"
    " slow-?@x.test: delay 1.5m; *: reject 0.5%"
)


def test_one_line_json_toml_and_files_read_the_same(tmp_path: Path) -> None:
    rules = RuleSet.parse(ONE_LINE)
    data = rules.as_json()
    assert data == {
        "seed": "ci-42",
        "rules": [
            {
                "match": "*@example.com",
                "outcome": "complaint abuse",
                "percent": 1.0,
                "per": "recipient",
            },
            {
                "match": "bounce@x.test",
                "outcome": "bounce permanent/noemail",
                "percent": 100.0,
                "per": "recipient",
            },
            {
                "match": "*@*.corp.test",
                "outcome": "delay 30s then bounce transient/mailboxfull",
                "percent": 5.0,
                "seed": "other",
                "per": "message",
            },
            {
                "match": "slow-?@x.test",
                "outcome": "delay 90s then deliver",
                "percent": 100.0,
                "per": "recipient",
            },
            {"match": "*", "outcome": "reject", "percent": 0.5, "per": "recipient"},
        ],
    }
    assert RuleSet.from_json(json.loads(json.dumps(data))) == rules
    toml = tmp_path / "rules.toml"
    toml.write_text(
        'seed = "ci-42"\n'
        '[[rules]]\nmatch = "*@example.com"\noutcome = "complaint"\npercent = 1\n'
        '[[rules]]\nmatch = "bounce@x.test"\noutcome = "bounce permanent/noemail"\n'
        '[[rules]]\nmatch = "*.corp.test"\noutcome = "delay 30s then bounce transient/mailboxfull"\n'
        'percent = 5\nseed = "other"\nper = "message"\n'
        '[[rules]]\nmatch = "slow-?@x.test"\noutcome = "delay 1.5m"\n'
        '[[rules]]\nmatch = "*"\noutcome = "reject"\npercent = 0.5\n'
    )
    assert RuleSet.load(toml) == rules
    as_json = tmp_path / "rules.json"
    as_json.write_text(json.dumps(data))
    assert RuleSet.load(as_json) == rules


def test_as_json_validates_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(RuleSet.parse(ONE_LINE).as_json(), SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"rules": [{"match": "*"}]}, SCHEMA)


def test_integer_seed_is_the_same_as_its_text() -> None:
    assert RuleSet.from_json({"seed": 42, "rules": []}).seed == "42"


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (
            "*@x.test: bounce permanent/mailbxfull",
            "rules[0].outcome",
            "unknown Permanent bounce subtype 'mailbxfull'",
        ),
        ("a@x.test: deliver; *@x.test complaint", "rules[1]", "expected '<pattern>: <outcome>'"),
        (
            "a@x.test: deliver; b@@x: deliver",
            "rules[1].match",
            "needs one local part before one '@'",
        ),
        (
            "*@ex*.com: deliver",
            "rules[0].match",
            "a domain takes '*' only alone or as a leading '*.'",
        ),
        ("*@x.test: complaint 101%", "rules[0].percent", "must be between 0 and 100"),
        ("*@x.test: complaint -1%", "rules[0].percent", "needs a plain decimal number"),
        ("*@x.test: delay 3q", "rules[0].outcome", "duration '3q' must be a number followed by"),
        (
            "*@x.test: delay 30s then complaint",
            "rules[0].outcome",
            "a delay ends in deliver or bounce",
        ),
        (
            "*@x.test: delay 30s deliver",
            "rules[0].outcome",
            "expected 'then deliver' or 'then bounce'",
        ),
        ("*@x.test: explode", "rules[0].outcome", "unknown outcome 'explode'"),
        ("*@x.test: ", "rules[0].outcome", "an outcome is needed"),
        ("*@x.test: complaint spam", "rules[0].outcome", "unknown complaint feedback type 'spam'"),
        ("*@x.test: bounce soft", "rules[0].outcome", "unknown bounce type 'soft'"),
        ("*@x.test: deliver per=day", "rules[0].per", "'day' is not recipient or message"),
        ("seed=; *: deliver", "seed", "a seed has 1 to 200 characters"),
    ],
)
def test_one_line_errors_name_the_rule_and_field(text: str, field: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        RuleSet.parse(text)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], "rules", "expected an object"),
        ({"rule": []}, "rule", "unknown field 'rule'"),
        ({"rules": "x"}, "rules", "expected a list"),
        ({"rules": [{"match": "*"}]}, "rules[0].outcome", "required, a string"),
        ({"rules": [{"match": 5, "outcome": "deliver"}]}, "rules[0].match", "required, a string"),
        (
            {"rules": [{"match": "*", "outcome": "deliver", "percent": "5"}]},
            "rules[0].percent",
            "must be a number",
        ),
        (
            {"rules": [{"match": "*", "outcome": "deliver", "percent": True}]},
            "rules[0].percent",
            "must be a number",
        ),
        (
            {"rules": [{"match": "*", "outcome": "deliver", "chance": 5}]},
            "rules[0]",
            "unknown field 'chance'",
        ),
        (
            {"rules": [{"match": "*", "outcome": "deliver", "seed": 1.5}]},
            "rules[0].seed",
            "a string or an integer",
        ),
        ({"rules": [{"match": "*", "outcome": "deliver"}] * 1001}, "rules", "at most 1000"),
        ({"rules": [{"match": "*", "outcome": "deliver"}, "x"]}, "rules[1]", "expected an object"),
    ],
)
def test_json_errors_name_the_rule_and_field(data: object, field: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        RuleSet.from_json(data)
    assert caught.value.field == field
    assert message in str(caught.value)


def test_file_errors_say_which_file(tmp_path: Path) -> None:
    broken = tmp_path / "rules.toml"
    broken.write_text("[[rules]\n")
    with pytest.raises(RuleError, match="rules file: "):
        RuleSet.load(broken)
    with pytest.raises(RuleError, match="cannot read"):
        RuleSet.load(tmp_path / "missing.toml")
    other = tmp_path / "rules.yaml"
    other.write_text("")
    with pytest.raises(RuleError, match=r"ends in \.toml or \.json"):
        RuleSet.load(other)
    bad_json = tmp_path / "rules.json"
    bad_json.write_text('{"rules": [{"match": "*", "outcome": "bounce x"}]}')
    with pytest.raises(RuleError, match=r"rules\[0\]\.outcome: unknown bounce type 'x'"):
        RuleSet.load(bad_json)


def test_oversized_text_is_refused_before_parsing() -> None:
    with pytest.raises(RuleError, match="longer than"):
        RuleSet.parse("*: deliver;" * 30_000)
