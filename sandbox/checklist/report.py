"""What the checklist found: one result per check, as a table for people and JSON for CI.

A check passes, fails, is "not verifiable here" (it cannot be checked against this target, and
the reason says what would make it checkable: that is not a failure), or is "not run" (an
earlier check it needs did not give it what it needs; the earlier one explains).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a result, not a password
    FAIL = "fail"
    NOT_VERIFIABLE = "not-verifiable"
    NOT_RUN = "not-run"


LABELS = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.NOT_VERIFIABLE: "N/A",
    Status.NOT_RUN: "NOT RUN",
}


@dataclass(frozen=True)
class Looked:
    """The message a check looked at, as mailyard stores it."""

    id: str
    subject: str
    url: str = ""  # the link in it the check used
    mailbox: str = ""  # where mailyard keeps it (provider mail: the key's mailbox)

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "subject": self.subject, "url": self.url, "mailbox": self.mailbox}

    def __str__(self) -> str:
        where = f" in mailbox {self.mailbox}" if self.mailbox else ""
        return f"{self.id} ({self.subject}){where}"


@dataclass(frozen=True)
class Result:
    number: str  # "1".."6" for the spec's steps, "7".. for the checks teams get wrong
    key: str
    title: str
    status: Status
    reason: str
    message: Looked | None = None
    details: dict[str, object] = field(default_factory=dict)
    duration_ms: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "key": self.key,
            "title": self.title,
            "status": self.status.value,
            "reason": self.reason,
            "message": self.message.as_json() if self.message else None,
            "details": self.details,
            "durationMs": round(self.duration_ms, 1),
        }


@dataclass(frozen=True)
class ChecklistReport:
    target: dict[str, object]
    results: tuple[Result, ...]
    duration_ms: float

    @property
    def ok(self) -> bool:
        return not any(r.status is Status.FAIL for r in self.results)

    @property
    def first_failure(self) -> Result | None:
        return next((r for r in self.results if r.status is Status.FAIL), None)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(r.status is s for r in self.results) for s in Status}

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "target": self.target,
            "summary": self.counts(),
            "durationMs": round(self.duration_ms, 1),
            "checks": [r.as_json() for r in self.results],
        }

    def table(self, width: int = 100) -> str:
        """A pass/fail table: number, result, check; under each, the reason and the message."""
        lines = [
            f"mailyard checklist: {self.target.get('description', '')}",
            "",
            f"{'#':>3}  {'RESULT':<8} CHECK",
        ]
        indent = " " * 14
        for r in self.results:
            lines.append(f"{r.number:>3}  {LABELS[r.status]:<8} {r.title}")
            for line in textwrap.wrap(r.reason, max(40, width - len(indent))):
                lines.append(indent + line)
            if r.message is not None:
                lines.append(f"{indent}message: {r.message}")
        counts = self.counts()
        verdict = "PASS" if self.ok else "FAIL"
        lines += [
            "",
            f"{verdict}: {counts['pass']} passed, {counts['fail']} failed, "
            f"{counts['not-verifiable']} not verifiable here, {counts['not-run']} not run "
            f"({self.duration_ms / 1000:.2f} s)",
        ]
        failure = self.first_failure
        if failure is not None:
            lines.append(f"first failure: step {failure.number}, {failure.title}")
        return "\n".join(lines)
