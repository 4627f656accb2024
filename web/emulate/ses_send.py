"""One SES send, from a parsed request to a stored message: the checks SES makes, in the order
providers.md A4 gives, then the message built (or taken raw) and stored durably.

1. The account: suspended (`AccountSuspendedException`) or sending disabled
   (`SendingPausedException`).
2. The configuration set: exists (`NotFoundException`), sending enabled.
3. The addresses: 1 to 50 recipients, each an address; a mailyard scenario address that is not a
   scenario is refused (`MessageRejected`, naming it).
4. `--ses-sandbox`: the sender and every recipient verified, the mailbox simulator and
   mailyard's scenario addresses excepted (`MessageRejected` with SES's text).
5. Scenario addresses that fail N times (`TooManyRequestsException`, as a throttled send).
6. The send rate and daily quota (`TooManyRequestsException` / `LimitExceededException`):
   recipients count, except the mailbox simulator's toward the quota.
7. Store: the message is durable before the MessageId is returned; the simulator takes it
   from there (events carry the MessageId).

A template whose variable is missing is accepted and not sent, as SES does (it would publish a
Rendering Failure event); nothing is stored then.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from mailyard.sandbox import (
    Envelope,
    Parts,
    ScenarioError,
    Throttled,
    api_refusal,
    compose_message,
    composed_summary,
    non_ascii_address,
    provider_address,
    scenario_for,
    ses_message_id,
)
from mailyard.web.emulate.ses_account import (
    CONFIGURATION_SET,
    account,
    address_of,
    split_address,
    verified_identity,
)
from mailyard.web.emulate.ses_errors import (
    SESError,
    bad_request,
    configuration_set_missing,
    message_rejected,
)
from mailyard.web.emulate.ses_wire import Caller
from mailyard.web.services import Services

MAX_RECIPIENTS = 50
REGION_PREFIX = {"us-east-1": "0100", "eu-west-1": "0102"}


@dataclass(frozen=True)
class Outgoing:
    """A send as the SES APIs describe it, whichever protocol carried it."""

    operation: str  # SendEmail, SendRawEmail, SendBulkEmail, SendTemplatedEmail, ...
    source: str  # "ses" (v2) or "ses-v1": how the inbox says it came
    sender: str  # as given: `Name <addr>` or `addr`
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    configuration_set: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    parts: Parts | None = None  # Simple or rendered Template content (its people unset)
    raw: bytes | None = None  # Raw content, stored as given
    not_sent: bool = False  # a Rendering Failure: accepted, never sent
    template: str | None = None
    extra: dict[str, object] = field(default_factory=dict)  # more facts for provider_json

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(address_of(a) for a in (*self.to, *self.cc, *self.bcc)))


def region_prefix(region: str) -> str:
    return REGION_PREFIX.get(region, "0101")


def message_id_domain(region: str) -> str:
    """Where SES's delivered Message-ID lives (providers.md A4)."""
    return "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"


# The model's MessageTag: "ASCII letters (a-z, A-Z), numbers (0-9), underscores (_), or dashes
# (-)", at most 256 characters, for the name and the value alike.
_TAG = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _check_tag(part: str, text: str) -> None:
    if not _TAG.fullmatch(text):
        raise bad_request(
            f"Invalid tag {part} {text[:300]!r}: a message tag's {part} may contain only ASCII "
            "letters, numbers, underscores (_) and dashes (-), at most 256 characters."
        )


def not_verified(region: str, identities: list[str]) -> SESError:
    return message_rejected(
        "Email address is not verified. The following identities failed the check in region "
        f"{region.upper()}: {', '.join(identities)}"
    )


def _person(value: str, field_name: str) -> tuple[str, str]:
    name, address = split_address(value)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise bad_request(f"Missing final '@domain' in {field_name}: {value[:200]}")
    if not address.isascii():
        raise bad_request(f"{field_name}: {non_ascii_address(address)}")
    return name, address


async def send(svc: Services, caller: Caller, out: Outgoing) -> str:
    """Check, build and store one message; its SES MessageId. `SESError` if SES would refuse."""
    for name, value in out.tags:
        _check_tag("name", name)
        _check_tag("value", value)
    emulators = svc.emulators
    repo, mailbox = emulators.repo, caller.mailbox
    state = account(repo, mailbox)
    if state.enforcement_status == "SHUTDOWN":
        raise SESError(
            "AccountSuspendedException",
            400,
            "The message can't be sent because the account's ability to send email has been "
            "permanently restricted.",
            v1_code="MessageRejected",
        )
    if not state.sending_enabled:
        raise SESError(
            "SendingPausedException",
            400,
            "Email sending is disabled for this account.",
            v1_code="AccountSendingPausedException",
        )
    if out.configuration_set:
        config = repo.get(mailbox, CONFIGURATION_SET, out.configuration_set)
        if config is None:
            raise configuration_set_missing(out.configuration_set)
        if not config.get("SendingOptions", {}).get("SendingEnabled", True):
            raise SESError(
                "SendingPausedException",
                400,
                f"Email sending for the configuration set {out.configuration_set} is paused.",
                v1_code="ConfigurationSetSendingPausedException",
            )
    sender_name, sender = _person(out.sender, "Source")
    recipients = out.recipients
    if not recipients:
        raise bad_request("Recipient address list must not be empty.")
    if len(recipients) > MAX_RECIPIENTS:
        raise message_rejected(f"Recipient count exceeds {MAX_RECIPIENTS}.")
    scenarios = []
    for recipient in recipients:
        _person(recipient, "Destination")
        try:
            scenario = scenario_for(recipient)
        except ScenarioError as exc:
            raise message_rejected(str(exc)) from None
        if scenario is not None:
            scenarios.append((recipient, scenario))
    _check_verified(svc, caller, sender, out.sender, recipients, {r for r, _ in scenarios})
    rate = emulators.ses_limits.rate or 1.0
    for recipient, scenario in scenarios:
        refused = api_refusal(
            scenario, mailbox=mailbox, recipient=recipient, counter=svc.attempts, rate=rate
        )
        if refused is not None:
            raise _throttled(refused)
    # Charged with no limits set too: the count is GetAccount's and GetSendQuota's
    # SentLast24Hours, which an app may read (unlimited, nothing is ever refused).
    counted = sum(
        1 for r in recipients if (p := provider_address(r)) is None or p.provider != "ses"
    )
    answer = svc.throttle.acquire(
        "ses:" + mailbox, emulators.ses_limits, rate_cost=len(recipients), quota_cost=counted
    )
    if isinstance(answer, Throttled):
        raise _throttled(answer)
    now = svc.clock.now()
    message_id = ses_message_id(now, emulators.rng, region_prefix(caller.region))
    if out.not_sent:
        return message_id
    raw = out.raw
    summary = None  # a raw message is read as SMTP mail is
    if raw is None:
        assert out.parts is not None
        parts = Parts(
            sender=(sender_name, sender),
            to=tuple(_person(a, "ToAddresses") for a in out.to),
            cc=tuple(_person(a, "CcAddresses") for a in out.cc),
            reply_to=tuple(_person(a, "ReplyToAddresses") for a in out.reply_to),
            subject=out.parts.subject,
            text=out.parts.text,
            html=out.parts.html,
            headers=out.parts.headers,
            attachments=out.parts.attachments,
        )
        written_id = f"{message_id}@{message_id_domain(caller.region)}"
        try:
            raw = compose_message(parts, message_id=written_id, date=now)
        except ValueError as exc:  # InvalidInputError: a header SES would refuse
            raise bad_request(str(exc)) from None
        summary = composed_summary(parts, recipients, message_id=written_id, date=now)
    facts = {
        "region": caller.region,
        "account": emulators.account_id,
        "identity": verified_identity(repo, mailbox, sender) or sender.rpartition("@")[2],
        "source": out.sender,
        "configuration_set": out.configuration_set,
        "tags": [list(t) for t in out.tags],
        "caller_identity": caller.access_key_id,
        "source_ip": caller.client_addr.rpartition(":")[0] or None,
        "operation": out.operation,
        "destination": {
            key: list(value)
            for key, value in (
                ("ToAddresses", out.to),
                ("CcAddresses", out.cc),
                ("BccAddresses", out.bcc),
            )
            if value
        },
        **({"raw": True} if out.raw is not None else {}),
        **({"template": out.template} if out.template else {}),
        **out.extra,
    }
    envelope = Envelope(
        mail_from=sender,
        rcpt_to=recipients,
        mailbox=mailbox,
        source=out.source,
        client_addr=caller.client_addr,
        provider_id=message_id,
        provider_json=json.dumps(facts, separators=(",", ":")),
    )
    await svc.store.messages.ingest(raw, envelope, summary)
    for recipient, scenario in scenarios:
        if scenario.failures:
            svc.attempts.settle(scenario.attempt_key(mailbox, recipient))
    return message_id


def _check_verified(
    svc: Services,
    caller: Caller,
    sender: str,
    sender_as_given: str,
    recipients: tuple[str, ...],
    scenario_addresses: set[str],
) -> None:
    """`--ses-sandbox`: every identity involved verified, or the probe nodemailer's
    `verify()` sends (`invalid@invalid`), which no SES would accept either."""
    repo, mailbox = svc.emulators.repo, caller.mailbox
    failed = []
    domain = sender.rpartition("@")[2].lower()
    if domain == "invalid" or domain.endswith(".invalid"):
        raise not_verified(caller.region, [sender_as_given])
    if not svc.emulators.ses_sandbox:
        return
    if verified_identity(repo, mailbox, sender) is None:
        failed.append(sender_as_given)
    for recipient in recipients:
        if recipient in scenario_addresses or provider_address(recipient) is not None:
            continue
        if verified_identity(repo, mailbox, recipient) is None:
            failed.append(recipient)
    if failed:
        raise not_verified(caller.region, failed)


def _throttled(refused: Throttled) -> SESError:
    status, code, message = refused.ses_error
    return SESError(code, status, message, v1_code="Throttling", v1_status=400)
