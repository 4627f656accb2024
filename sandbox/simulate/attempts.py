"""How many times a client has tried one "fail N times then succeed" scenario address.

The engine keeps one `AttemptCounter`. A key is (mailbox, recipient, scenario): the same address
in two mailboxes, or two labels of one scenario, count apart. `attempt()` is called each time the
refusal could apply (RCPT or DATA over SMTP, each API request) and returns the attempt's number;
`settle()` is called once the message is accepted, so the next message to that address fails N
times again. That makes the scenario hold per message, run after run, without a reset call.

Kept in memory, on purpose: the count lives only for one client's retry dance (seconds, or the
minutes of an MTA's backoff), it is read on every RCPT so a database round trip would tax the hot
path, and after a restart starting the cycle over is what a client would see from any server that
restarted. Bounded: an entry idle for `idle` seconds (on the injected clock) is forgotten, and
past `max_entries` the least recently used go first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from mailyard.sandbox.clock import Clock


@dataclass(frozen=True)
class AttemptKey:
    mailbox: str
    recipient: str  # lower-cased by `key()`, label included
    scenario: str  # the scenario's canonical word, e.g. "fail-2x-451-rcpt"


def key(mailbox: str, recipient: str, scenario: str) -> AttemptKey:
    return AttemptKey(mailbox, recipient.lower(), scenario)


class AttemptCounter:
    """Attempts per key, forgotten when settled, idle for a day, or crowded out."""

    def __init__(self, clock: Clock, *, idle: float = 86400.0, max_entries: int = 10_000) -> None:
        # A day of idleness: MTAs back off for minutes to hours between tries, and a shorter
        # window would restart the cycle under a slow retrier so it never got through.
        self.clock = clock
        self.idle = idle
        self.max_entries = max_entries
        self._entries: OrderedDict[AttemptKey, tuple[int, float]] = OrderedDict()

    def attempt(self, attempt_key: AttemptKey) -> int:
        """Count one more attempt and return its number, 1 for the first."""
        now = self.clock.now()
        self._prune(now)
        count, _ = self._entries.pop(attempt_key, (0, now))
        self._entries[attempt_key] = (count + 1, now)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return count + 1

    def settle(self, attempt_key: AttemptKey) -> None:
        """The message got through: the next one to this address starts from attempt 1."""
        self._entries.pop(attempt_key, None)

    def reset(self, mailbox: str | None = None) -> None:
        """Forget every count (of one mailbox), e.g. when a test clears its mailbox."""
        if mailbox is None:
            self._entries.clear()
            return
        for stale in [k for k in self._entries if k.mailbox == mailbox]:
            del self._entries[stale]

    def __len__(self) -> int:
        return len(self._entries)

    def _prune(self, now: float) -> None:
        # Oldest use first, so the loop stops at the first entry still in use.
        while self._entries:
            oldest, (_, used) = next(iter(self._entries.items()))
            if now - used < self.idle:
                return
            del self._entries[oldest]
