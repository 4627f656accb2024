"""`mailyard webhook-check URL --format resend|sns`: what a webhook receiver wrongly accepts.

The check sends the receiver a genuine event and then the mistakes' test cases
(`receiver_probes`), in order, and judges each from the status code alone, since that is all
that can be seen from outside:

- a probe a correct receiver refuses passes on 4xx and fails on 2xx; a 5xx fails too (an
  exception escaped, and a 5xx asks the provider to retry a forgery);
- a probe it must accept (the genuine event, a provider's retry of it, events out of order)
  passes only if every request is answered 2xx;
- once the genuine event itself is refused, every refusal proves nothing: those verdicts are
  `unknown`, and so is a refusal probe that got no answer (the receiver hung or the connection
  failed; a provider would retry);
- what no status code can tell (whether a duplicate was processed twice, whether a bounce that
  came early was applied once its send arrived ...) is listed in `Report.unobservable`.

**Trust for SNS.** AWS's verifiers accept only certificates from
`https://sns.<region>.amazonaws.com/`; mailyard's certificate lives on mailyard's own URL (say
`http://127.0.0.1:8025/_sns/SimpleNotificationService-mailyard.pem`). A receiver under test is
configured to trust that one URL in addition (a test-only setting, never a switch that turns
host checks off), and to expect the topic ARN mailyard uses. The check then proves the receiver
still refuses any other certificate URL and any other topic.

The HTTP client is injected (`httpx.AsyncClient`), as are the time and the randomness.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import httpx

from mailyard.sandbox.webhooks.receiver_probes import (
    Expect,
    Probe,
    SNSTarget,
    SvixTarget,
    sns_probes,
    svix_probes,
)

CRASH = (
    "answered 5xx: an exception escaped; answer 400 to requests you refuse, since a 5xx asks"
    " the provider to retry it"
)
NO_ANSWER = "no answer in time (or the connection failed): a provider would retry"
MEANINGLESS = "the genuine event was refused too, so this refusal proves nothing"
UNOBSERVABLE = {
    "resend": (
        "whether a duplicate svix-id was processed twice (deduplicate on svix-id)",
        "whether the early bounce was applied correctly once its send arrived",
        "whether the receiver answers quickly and does the work later (Svix times out)",
    ),
    "sns": (
        "whether a re-delivered MessageId was processed twice (deduplicate on MessageId)",
        "whether SigningCertURL was fetched before its host was checked",
        "whether the receiver would visit the SubscribeURL of a topic it does not expect",
        "whether the early bounce was applied correctly once its send arrived",
    ),
}


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Check:
    """One probe's result: what was sent, the status it got (None: no answer, and `error` says
    why), the verdict."""

    name: str
    sent: str
    status: int | None
    verdict: Verdict
    advice: str
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "sent": self.sent,
            "status": self.status,
            "verdict": self.verdict.value,
            "advice": self.advice,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Check:
        """A check as `as_json` wrote it (a report that came over HTTP)."""
        status = data.get("status")
        error = data.get("error")
        return cls(
            str(data["name"]),
            str(data["sent"]),
            status if isinstance(status, int) else None,
            Verdict(str(data["verdict"])),
            str(data["advice"]),
            error if isinstance(error, str) else None,
        )


@dataclass(frozen=True)
class Report:
    url: str
    format: str
    checks: tuple[Check, ...]
    unobservable: tuple[str, ...]

    @property
    def failed(self) -> bool:
        """True if any check failed (the CLI then exits non-zero)."""
        return any(c.verdict is Verdict.FAIL for c in self.checks)

    @property
    def unreachable(self) -> str | None:
        """Why the genuine event got no HTTP answer at all (connection refused, a name that
        does not resolve, a timeout), or None: then the verdicts are about the receiver."""
        first = self.checks[0] if self.checks else None
        if first is None or first.status is not None:
            return None
        return first.error or "no answer"

    def verdicts(self) -> dict[str, Verdict]:
        return {c.name: c.verdict for c in self.checks}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Report:
        """A report as `as_json` wrote it."""
        checks = data.get("checks")
        unobservable = data.get("unobservable")
        return cls(
            str(data["url"]),
            str(data["format"]),
            tuple(Check.from_json(c) for c in checks if isinstance(c, Mapping))
            if isinstance(checks, list)
            else (),
            tuple(str(u) for u in unobservable) if isinstance(unobservable, list) else (),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "format": self.format,
            "failed": self.failed,
            "checks": [c.as_json() for c in self.checks],
            "unobservable": list(self.unobservable),
        }

    def table(self) -> str:
        """A plain-text table: one row per check, its advice below it unless it passed."""
        name_width = max(len("check"), *(len(c.name) for c in self.checks))
        lines = [f"webhook-check {self.url} ({self.format})", ""]
        lines.append(f"{'check':<{name_width}}  status  verdict  sent")
        for c in self.checks:
            status = "-" if c.status is None else str(c.status)
            lines.append(f"{c.name:<{name_width}}  {status:<6}  {c.verdict.value:<7}  {c.sent}")
            if c.verdict is not Verdict.PASS:
                lines.append(f"{'':<{name_width}}  -> {c.advice}")
        counts = {v: sum(c.verdict is v for c in self.checks) for v in Verdict}
        lines += ["", "Cannot be seen from outside:"]
        lines += [f"  - {item}" for item in self.unobservable]
        lines += [
            "",
            f"{counts[Verdict.FAIL]} failed, {counts[Verdict.PASS]} passed,"
            f" {counts[Verdict.UNKNOWN]} unknown",
        ]
        return "\n".join(lines) + "\n"


async def check_receiver(
    client: httpx.AsyncClient,
    url: str,
    target: SvixTarget | SNSTarget,
    *,
    now: float,
    rng: random.Random,
    timeout: float = 10.0,
) -> Report:
    """Run every probe against `url`, one request at a time, and judge the answers."""
    if isinstance(target, SvixTarget):
        fmt, probes = "resend", svix_probes(target, now, rng)
    else:
        fmt, probes = "sns", sns_probes(target, now, rng)
    checks: list[Check] = []
    genuine_accepted = True
    for probe in probes:
        answers = [await _post(client, url, r.body, r.headers, timeout) for r in probe.requests]
        check = judge(probe, [status for status, _ in answers], genuine_accepted=genuine_accepted)
        error = next((error for _, error in answers if error is not None), None)
        if error is not None:
            check = replace(check, error=error)
        if probe.name == "valid":
            genuine_accepted = check.verdict is Verdict.PASS
        checks.append(check)
    return Report(url, fmt, tuple(checks), UNOBSERVABLE[fmt])


def judge(probe: Probe, statuses: Sequence[int | None], *, genuine_accepted: bool) -> Check:
    """The verdict on one probe from the statuses its requests got."""

    def result(status: int | None, verdict: Verdict, advice: str) -> Check:
        return Check(probe.name, probe.sent, status, verdict, advice)

    if not statuses:
        return result(None, Verdict.UNKNOWN, probe.unknown)
    if probe.expect is Expect.ACCEPT:
        for status in statuses:
            if status is None or not 200 <= status < 300:
                advice = probe.fail if status is not None else NO_ANSWER
                return result(status, Verdict.FAIL, advice)
        return result(statuses[-1], Verdict.PASS, probe.ok)
    status = statuses[0]
    if status is None:
        return result(None, Verdict.UNKNOWN, NO_ANSWER)
    if 200 <= status < 300:
        if probe.expect is Expect.EITHER:
            return result(status, Verdict.UNKNOWN, probe.unknown)
        return result(status, Verdict.FAIL, probe.fail)
    if status >= 500:
        return result(status, Verdict.FAIL, CRASH)
    if not genuine_accepted:
        return result(status, Verdict.UNKNOWN, MEANINGLESS)
    if 400 <= status < 500:
        return result(status, Verdict.PASS, probe.ok)
    return result(status, Verdict.FAIL, f"answered {status}: refuse with 400 or 401 instead")


async def _post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: Mapping[str, str], timeout: float
) -> tuple[int | None, str | None]:
    """(the status, None), or (None, why there was no answer)."""
    try:
        response = await client.post(url, content=body, headers=dict(headers), timeout=timeout)
    except httpx.TimeoutException:
        return None, f"no answer within {timeout:g} s"
    except httpx.HTTPError as exc:
        return None, _reason(exc)
    return response.status_code, None


def _reason(exc: httpx.HTTPError) -> str:
    """What stopped the request, in words: `connection refused`, `the host name does not
    resolve`, else the error's own text."""
    cause: BaseException | None = exc
    for _ in range(8):  # the chain is short (httpx -> httpcore -> anyio -> OSError); bounded
        if cause is None:
            break
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "the host name does not resolve"
        cause = cause.__cause__ or cause.__context__
    text = str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]
