"""Waiting out a rate limit: a 429 with a Retry-After the checklist can afford is waited for
and the call made again, so that a service that limits its endpoints (rightly) does not fail a
check of something else. Several checklist runs against one mailyard - a CI matrix, a user
running it six times in a row - share the built-in service's per-client limit.

The wait is bounded: at most `BUDGET` seconds in all per call, and only when the service says
how long (Retry-After in seconds or as an HTTP date). A limit that asks for longer, or says
nothing, is reported as what it is: the rate limit, not a fault of the app. Sleeping and the
time are injected, so tests wait no real time.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

TOO_MANY = 429
BUDGET = 10.0  # seconds the checklist waits in all for one call's rate limit
MAX_TRIES = 5  # calls in all, however short the waits


@dataclass(frozen=True)
class Patient:
    """A call's last answer and the waits it took to get it."""

    response: httpx.Response
    waited: float = 0.0  # seconds slept for Retry-After in all
    retries: int = 0

    @property
    def limited(self) -> bool:
        """Still 429 after what the checklist could wait."""
        return self.response.status_code == TOO_MANY

    def note(self) -> str:
        """' (after waiting 2 s for the service's rate limit: 429, Retry-After)' or ''."""
        if not self.retries:
            return ""
        times = "once" if self.retries == 1 else f"{self.retries} times"
        return (
            f" (the service's rate limit answered 429 first; the checklist waited out its "
            f"Retry-After, {self.waited:g} s, and asked again {times})"
        )


def retry_after(response: httpx.Response, now: float) -> float | None:
    """The seconds a 429's Retry-After asks for (0 or more), or None when it names none."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(min(int(value[:12]), 10**9))
    try:
        when = parsedate_to_datetime(value[:64])
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, math.ceil(when.timestamp() - now))


async def patiently(
    call: Callable[[], Awaitable[httpx.Response]],
    sleep: Callable[[float], Awaitable[None]],
    now: Callable[[], float],
    budget: float = BUDGET,
) -> Patient:
    """Make `call`; while it answers 429 with a Retry-After that fits in what is left of
    `budget`, wait that long (at least a tenth of a second) and call again."""
    response = await call()
    waited, retries = 0.0, 0
    while response.status_code == TOO_MANY and retries + 1 < MAX_TRIES:
        wait = retry_after(response, now())
        if wait is None or waited + wait > budget:
            break
        wait = max(wait, 0.1)
        await sleep(wait)
        waited += wait
        retries += 1
        response = await call()
    return Patient(response, waited, retries)


def limit_failure(what: str, patient: Patient, described: str, budget: float = BUDGET) -> str:
    """The reason of a check the service's rate limit stopped: the limit, not the app."""
    longer = (
        f"asks for a wait longer than the {budget:g} s the checklist waits"
        if patient.response.headers.get("retry-after")
        else "names no wait (Retry-After) the checklist could keep to"
    )
    waited = f" after waiting {patient.waited:g} s" if patient.waited else ""
    return (
        f"{what} answered {described}{waited}: this is the service's rate limit, not a fault "
        f"of the app - it {longer}. Run the checklist again once the limit has passed"
    )
