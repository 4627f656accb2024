"""Every simulator parser, fed generated text, answers with its own error or a value, quickly."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st
from support.budget import cpu_budget

from mailyard.sandbox.simulate import chaos
from mailyard.sandbox.simulate.decide import decide
from mailyard.sandbox.simulate.errors import (
    FaultPlanError,
    RuleError,
    ScenarioError,
    SimulateError,
)
from mailyard.sandbox.simulate.faults import FaultPlan
from mailyard.sandbox.simulate.patterns import parse_pattern
from mailyard.sandbox.simulate.rules import RuleSet

WORDS = [
    "delay",
    "-",
    "30s",
    "1h",
    "hardbounce",
    "softbounce",
    "mailboxfull",
    "noemail",
    "complaint",
    "not-spam",
    "fail",
    "2x",
    "451",
    "data",
    "rcpt",
    "throttle",
    "reject",
    "deliver",
    "+",
    "@",
    "sim.mailyard.test",
    "simulator.amazonses.com",
    "resend.dev",
    "*",
    "?",
    ".",
    ":",
    ";",
    "%",
    "seed=",
    "per=message",
    "then",
    "bounce",
    "transient/",
    "permanent/general",
    " ",
    "\x00",
    "é",
    "{",
    "}",
    "[",
    "]",
    '"',
    "Sender",
    "ErrorCode",
    "Probability",
    "1e9",
    "null",
    "latency=",
    "drop",
    "match=",
]
TEXT = st.lists(st.sampled_from(WORDS) | st.text(max_size=4), max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_addresses_decide_or_raise_scenario_error(text: str) -> None:
    try:
        decide(text)
    except ScenarioError as exc:
        assert exc.smtp_reply.isascii() and len(exc.smtp_reply) < 512


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_rule_text_parses_or_raises_rule_error(text: str) -> None:
    try:
        rules = RuleSet.parse(text)
    except RuleError:
        return
    assert RuleSet.from_json(rules.as_json()) == rules


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_fault_text_parses_or_raises_fault_plan_error(text: str) -> None:
    try:
        plan = FaultPlan.parse(text)
    except FaultPlanError:
        return
    assert FaultPlan.from_json(plan.as_json()) == plan


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_chaos_bodies_decode_or_raise_chaos_error(text: str) -> None:
    try:
        triggers = chaos.decode_put(text.encode())
    except chaos.ChaosError as exc:
        assert str(exc)
        return
    assert chaos.decode_put(triggers.encode()) == triggers


@settings(max_examples=200, deadline=None)
@given(TEXT, TEXT)
def test_patterns_parse_or_raise_value_error_and_match_any_text(pattern: str, address: str) -> None:
    try:
        parsed = parse_pattern(pattern)
    except ValueError:
        return
    parsed.matches(address)


def test_large_inputs_stay_fast() -> None:
    blobs = ["a" * 100_000, "*@x.test: delay 30s;" * 5000, "{" * 100_000, "[" * 5000 + "]" * 5000]
    parsers = (
        RuleSet.parse,
        FaultPlan.parse,
        parse_pattern,
        lambda t: chaos.decode_put(t.encode()),
        decide,
    )
    with cpu_budget(5, "parsing hostile rules"):
        for blob in blobs:
            for parse in parsers:
                with contextlib.suppress(ValueError, SimulateError):
                    parse(blob)
