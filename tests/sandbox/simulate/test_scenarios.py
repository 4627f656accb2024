"""Scenario addresses at sim.mailyard.test: every row of the table, its refusals, its errors."""

from __future__ import annotations

import pytest

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.simulate.attempts import AttemptCounter
from mailyard.sandbox.simulate.errors import ScenarioError
from mailyard.sandbox.simulate.faults import Stage
from mailyard.sandbox.simulate.outcomes import (
    Bounce,
    Complaint,
    Delay,
    Delivery,
    Kind,
    Outcome,
    Reject,
    Step,
)
from mailyard.sandbox.simulate.scenarios import (
    api_refusal,
    parse_scenario,
    scenario_for,
    smtp_refusal,
)
from mailyard.sandbox.simulate.throttle import Limit

SEND = Step(0.0, Kind.SEND)
DELIVERED = Step(0.0, Kind.DELIVERY, Delivery())
DSN = "dsn; a8-96.smtp-out.amazonses.com"
UNREACHABLE = Delay(
    "TransientCommunicationFailure",
    "4.4.1",
    "smtp; 421 4.4.1 Unable to connect to remote host",
    86400.0,
)
USER_UNKNOWN = Bounce(
    "Permanent", "General", "5.1.1", "smtp; 550 5.1.1 user unknown", "failed", DSN
)
NO_EMAIL = Bounce(
    "Permanent",
    "NoEmail",
    "5.1.1",
    "smtp; 550 5.1.1 The email account that you tried to reach does not exist",
    "failed",
    DSN,
    "The recipient's email address does not exist.",
)
SOFT = Bounce(
    "Transient",
    "General",
    "4.0.0",
    "smtp; 450 4.0.0 Temporary failure, gave up after retrying",
    "failed",
    DSN,
    "The recipient's mail server temporarily rejected the email.",
)
FULL = Bounce(
    "Transient",
    "MailboxFull",
    "4.2.2",
    "smtp; 452 4.2.2 Mailbox full",
    "failed",
    DSN,
    "The recipient's mailbox is full.",
)
TOO_LARGE = Bounce(
    "Transient",
    "MessageTooLarge",
    "5.3.4",
    "smtp; 552 5.3.4 Message size exceeds fixed maximum message size",
    "failed",
    DSN,
    "The email is larger than the recipient's mail server accepts.",
)
CONTENT = Bounce(
    "Transient",
    "ContentRejected",
    "5.7.1",
    "smtp; 550 5.7.1 Message rejected due to content",
    "failed",
    DSN,
    "The recipient's mail server rejected the email's content.",
)
ATTACHMENT = Bounce(
    "Transient",
    "AttachmentRejected",
    "5.7.1",
    "smtp; 550 5.7.1 Message rejected: attachment type not allowed",
    "failed",
    DSN,
    "The recipient's mail server rejected an attachment.",
)


def complained(feedback: str) -> tuple[Step, ...]:
    return (
        SEND,
        DELIVERED,
        Step(0.0, Kind.COMPLAINT, Complaint(feedback, None, "mailyard scenario")),
    )


# local part -> (canonical word, steps, suppression reason)
TABLE: dict[str, tuple[str, tuple[Step, ...], str | None]] = {
    "deliver": ("deliver", (SEND, DELIVERED), None),
    "delay-30s": (
        "delay-30s-deliver",
        (SEND, Step(0.0, Kind.DELIVERY_DELAY, UNREACHABLE), Step(30.0, Kind.DELIVERY, Delivery())),
        None,
    ),
    "delay-2h-deliver": (
        "delay-2h-deliver",
        (
            SEND,
            Step(0.0, Kind.DELIVERY_DELAY, UNREACHABLE),
            Step(7200.0, Kind.DELIVERY, Delivery()),
        ),
        None,
    ),
    "delay-2d": (
        "delay-2d-deliver",
        (
            SEND,
            Step(
                0.0,
                Kind.DELIVERY_DELAY,
                Delay("TransientCommunicationFailure", "4.4.1", UNREACHABLE.diagnostic, 172800.0),
            ),
            Step(172800.0, Kind.DELIVERY, Delivery()),
        ),
        None,
    ),
    "delay-90s-hardbounce": (
        "delay-90s-hardbounce-general",
        (
            SEND,
            Step(
                0.0,
                Kind.DELIVERY_DELAY,
                Delay("TransientCommunicationFailure", "4.4.1", UNREACHABLE.diagnostic, 90.0),
            ),
            Step(90.0, Kind.BOUNCE, USER_UNKNOWN),
        ),
        "BOUNCE",
    ),
    "delay-1m-hardbounce-noemail": (
        "delay-1m-hardbounce-noemail",
        (
            SEND,
            Step(
                0.0,
                Kind.DELIVERY_DELAY,
                Delay("TransientCommunicationFailure", "4.4.1", UNREACHABLE.diagnostic, 60.0),
            ),
            Step(60.0, Kind.BOUNCE, NO_EMAIL),
        ),
        "BOUNCE",
    ),
    "delay-1h-softbounce-mailboxfull": (
        "delay-1h-softbounce-mailboxfull",
        (
            SEND,
            Step(
                0.0,
                Kind.DELIVERY_DELAY,
                Delay("MailboxFull", "4.2.2", "smtp; 452 4.2.2 Mailbox full", 3600.0),
            ),
            Step(3600.0, Kind.BOUNCE, FULL),
        ),
        None,
    ),
    "delay-5m-softbounce": (
        "delay-5m-softbounce-general",
        (
            SEND,
            Step(
                0.0,
                Kind.DELIVERY_DELAY,
                Delay("TransientCommunicationFailure", "4.4.1", UNREACHABLE.diagnostic, 300.0),
            ),
            Step(300.0, Kind.BOUNCE, SOFT),
        ),
        None,
    ),
    "hardbounce": ("hardbounce-general", (SEND, Step(0.0, Kind.BOUNCE, USER_UNKNOWN)), "BOUNCE"),
    "hardbounce-noemail": (
        "hardbounce-noemail",
        (SEND, Step(0.0, Kind.BOUNCE, NO_EMAIL)),
        "BOUNCE",
    ),
    "softbounce": ("softbounce-general", (SEND, Step(0.0, Kind.BOUNCE, SOFT)), None),
    "softbounce-mailboxfull": (
        "softbounce-mailboxfull",
        (SEND, Step(0.0, Kind.BOUNCE, FULL)),
        None,
    ),
    "softbounce-toolarge": ("softbounce-toolarge", (SEND, Step(0.0, Kind.BOUNCE, TOO_LARGE)), None),
    "softbounce-content": ("softbounce-content", (SEND, Step(0.0, Kind.BOUNCE, CONTENT)), None),
    "softbounce-attachment": (
        "softbounce-attachment",
        (SEND, Step(0.0, Kind.BOUNCE, ATTACHMENT)),
        None,
    ),
    "complaint": ("complaint-abuse", complained("abuse"), "COMPLAINT"),
    "complaint-auth-failure": ("complaint-auth-failure", complained("auth-failure"), "COMPLAINT"),
    "complaint-fraud": ("complaint-fraud", complained("fraud"), "COMPLAINT"),
    "complaint-not-spam": ("complaint-not-spam", complained("not-spam"), "COMPLAINT"),
    "complaint-other": ("complaint-other", complained("other"), "COMPLAINT"),
    "complaint-virus": ("complaint-virus", complained("virus"), "COMPLAINT"),
    "reject": ("reject", (SEND, Step(0.0, Kind.REJECT, Reject("Bad content"))), None),
    "fail-2x-451": ("fail-2x-451-rcpt", (SEND, DELIVERED), None),
    "fail-3x-421-data": ("fail-3x-421-data", (SEND, DELIVERED), None),
    "throttle-3x": ("throttle-3x", (SEND, DELIVERED), None),
}


@pytest.mark.parametrize("local", sorted(TABLE))
def test_every_scenario_gives_its_exact_plan(local: str) -> None:
    word, steps, suppress = TABLE[local]
    scenario = scenario_for(f"{local}+case-17@sim.mailyard.test")
    assert scenario is not None
    assert scenario.word == word
    assert scenario.outcome() == Outcome(word, steps, "scenario", suppress)
    # The canonical word is itself a scenario address, with the same plan.
    assert parse_scenario(word) == scenario


def test_scenario_words_are_case_insensitive_and_labels_free() -> None:
    assert scenario_for("Delay-30S+Whatever.You+Like@SIM.mailyard.test") == parse_scenario(
        "delay-30s"
    )


def test_other_domains_are_not_scenarios() -> None:
    assert scenario_for("hardbounce@example.com") is None
    assert scenario_for("hardbounce@x.sim.mailyard.test") is None


@pytest.mark.parametrize(
    ("local", "message"),
    [
        (
            "bouncy",
            "unknown mailyard scenario 'bouncy'; see 'Scenario addresses' in mailyard's README",
        ),
        ("", "unknown mailyard scenario ''"),
        ("delay", "mailyard scenario 'delay': duration '' must be a number"),
        ("delay-30x", "duration '30x' must be a number followed by ms, s, m, h or d"),
        ("delay-8d", "duration '8d' must be above 0 and at most 7d"),
        ("delay-30s-reject", "a delay ends in deliver, hardbounce or softbounce, not 'reject'"),
        ("hardbounce-mailboxfull", "hardbounce takes general, noemail, not 'mailboxfull'"),
        (
            "softbounce-noemail",
            "softbounce takes general, mailboxfull, toolarge, content, attachment",
        ),
        ("complaint-spam", "unknown complaint feedback type 'spam'"),
        ("reject-now", "unknown mailyard scenario 'reject-now'"),
        ("fail-2x", "expected fail-<n>x-<code>[-rcpt|-data]"),
        ("fail-2-451", "count '2' must be a number followed by x"),
        ("fail-0x-451", "count '0x' must be from 1x to 99x"),
        ("fail-100x-451", "count '100x' must be from 1x to 99x"),
        ("fail-2x-550", "code '550' is not one of 421, 450, 451, 452, 454"),
        ("fail-2x-451-mail", "stage 'mail' is not rcpt or data"),
        ("throttle", "count '' must be a number followed by x"),
        ("x" * 65, "longer than 64 characters"),
    ],
)
def test_unknown_or_malformed_scenarios_are_refused_by_name(local: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_for(f"{local}@sim.mailyard.test")
    assert message in str(caught.value)
    assert caught.value.field == "recipient"
    assert caught.value.smtp_reply.startswith("550 5.1.1 ")


def test_scenario_error_echoes_client_text_as_bounded_ascii() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario("bögus\x07")
    reply = caught.value.smtp_reply
    assert reply.isascii() and reply.isprintable()
    assert "'b\\xf6gus\\x07'" in reply


def test_fail_n_times_at_rcpt_then_succeed_each_message() -> None:
    counter = AttemptCounter(Clock.frozen())
    address = "fail-2x-451+t1@sim.mailyard.test"
    scenario = scenario_for(address)
    assert scenario is not None

    def rcpt() -> str | None:
        refusal = smtp_refusal(
            scenario, Stage.RCPT, mailbox="m", recipient=address, counter=counter
        )
        return None if refusal is None else refusal.reply

    assert (
        rcpt()
        == "451 4.3.0 Temporary local problem, try again later (mailyard scenario fail-2x-451-rcpt, attempt 1 of 2)"
    )
    assert rcpt() is not None and rcpt() is None
    # Accepted: the engine settles, and the next message is refused twice again.
    counter.settle(scenario.attempt_key("m", address))
    assert [rcpt() is None for _ in range(3)] == [False, False, True]
    # No settle (the message never got through): the count goes on.
    assert rcpt() is None


def test_refusals_count_per_mailbox_and_per_label() -> None:
    counter = AttemptCounter(Clock.frozen())
    scenario = parse_scenario("fail-1x-450")
    for mailbox, address in [
        ("a", "fail-1x-450+1@sim.mailyard.test"),
        ("b", "fail-1x-450+1@sim.mailyard.test"),
        ("a", "fail-1x-450+2@sim.mailyard.test"),
    ]:
        refusal = smtp_refusal(
            scenario, Stage.RCPT, mailbox=mailbox, recipient=address, counter=counter
        )
        assert refusal is not None and refusal.reply.startswith("450 4.2.1 ")
    assert len(counter) == 3


def test_data_stage_scenarios_refuse_at_data_only_and_421_closes() -> None:
    counter = AttemptCounter(Clock.frozen())
    address = "fail-1x-421-data@sim.mailyard.test"
    scenario = parse_scenario("fail-1x-421-data")
    assert (
        smtp_refusal(scenario, Stage.RCPT, mailbox="m", recipient=address, counter=counter) is None
    )
    refusal = smtp_refusal(scenario, Stage.DATA, mailbox="m", recipient=address, counter=counter)
    assert refusal is not None and refusal.closes
    assert refusal.reply.startswith("421 4.3.2 Service not available, closing transmission channel")
    assert (
        smtp_refusal(scenario, Stage.DATA, mailbox="m", recipient=address, counter=counter) is None
    )


def test_throttle_refuses_with_ses_throttling_text_over_smtp() -> None:
    counter = AttemptCounter(Clock.frozen())
    scenario = parse_scenario("throttle-1x")
    refusal = smtp_refusal(
        scenario,
        Stage.RCPT,
        mailbox="m",
        recipient="throttle-1x@sim.mailyard.test",
        counter=counter,
    )
    assert refusal is not None and not refusal.closes
    assert refusal.reply.startswith("454 Throttling failure: Maximum sending rate exceeded (")


@pytest.mark.parametrize("word", ["throttle-3x", "fail-3x-451-data"])
def test_api_refusal_is_a_429_n_times_then_accepted(word: str) -> None:
    counter = AttemptCounter(Clock.frozen())
    scenario = parse_scenario(word)
    answers = [
        api_refusal(
            scenario, mailbox="m", recipient=f"{word}@sim.mailyard.test", counter=counter, rate=2.0
        )
        for _ in range(4)
    ]
    assert [a is None for a in answers] == [False, False, False, True]
    first = answers[0]
    assert first is not None and first.limit is Limit.RATE
    assert first.ses_error == (429, "TooManyRequestsException", "Maximum sending rate exceeded.")
    assert first.resend_error == (
        429,
        "rate_limit_exceeded",
        "Too many requests. You can only make 2 requests per second.",
    )
    assert first.resend_headers() == {
        "retry-after": "1",
        "ratelimit-limit": "2",
        "ratelimit-remaining": "0",
        "ratelimit-reset": "1",
    }


def test_plain_scenarios_never_refuse_and_never_count() -> None:
    counter = AttemptCounter(Clock.frozen())
    scenario = parse_scenario("hardbounce")
    assert (
        smtp_refusal(
            scenario,
            Stage.RCPT,
            mailbox="m",
            recipient="hardbounce@sim.mailyard.test",
            counter=counter,
        )
        is None
    )
    assert (
        api_refusal(
            scenario, mailbox="m", recipient="hardbounce@sim.mailyard.test", counter=counter, rate=1
        )
        is None
    )
    assert len(counter) == 0
