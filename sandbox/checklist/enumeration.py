"""Check 12: the reset endpoint does not reveal whether an account exists.

The spec: "The handler always returns 200 - even when the address does not match a user - to
prevent account enumeration." Status alone is not enough; the body, the headers and the time
taken can each tell. So the endpoint is called `samples` times for the test user's address and
as many times for an address without an account, in a random order (so that anything slow in
the background - a send started by an earlier request - falls on both kinds alike), after a
few unmeasured warm-up calls. Then:

- status: the same set of statuses for both;
- body: the same body for both (or, when a body varies from call to call - a request id - the
  same JSON shape);
- headers: the same header names, and the same value for each header whose value is constant;
  headers that vary by nature (Date, request ids) are left out, Set-Cookie is compared by
  cookie name;
- timing: the Mann-Whitney U test and the Hodges-Lehmann shift (`stats`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from mailyard.sandbox.checklist.report import Result
from mailyard.sandbox.checklist.state import Run, Spec
from mailyard.sandbox.checklist.stats import compare

ENUMERATION = Spec(
    "12", "enumeration", "The reset endpoint does not reveal whether an account exists"
)
WARM_UP = 2
VOLATILE = frozenset(
    {
        "date",
        "age",
        "etag",
        "x-request-id",
        "x-correlation-id",
        "x-trace-id",
        "traceparent",
        "server-timing",
        "x-runtime",
        "x-response-time",
        "cf-ray",
        "x-amzn-requestid",
        "x-amz-cf-id",
        "report-to",
        "nel",
    }
)


@dataclass
class Side:
    """The answers for one kind of address."""

    statuses: list[int] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # milliseconds


def _headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        lowered = name.lower()
        if lowered in VOLATILE:
            continue
        if lowered == "set-cookie":
            value = value.split("=", 1)[0].strip()  # the cookie's name; its value varies
        found.setdefault(lowered, []).append(value)
    return {name: ", ".join(sorted(values)) for name, values in found.items()}


def _shape(body: bytes) -> str:
    """A body's JSON structure (keys and value types), or its length class for non-JSON."""
    try:
        value = json.loads(body)
    except ValueError:
        return f"non-JSON, {len(body) // 16 * 16} bytes"

    def walk(v: object) -> object:
        if isinstance(v, dict):
            return {k: walk(x) for k, x in sorted(v.items())}
        if isinstance(v, list):
            return [walk(x) for x in v[:3]]
        return type(v).__name__

    return json.dumps(walk(value), sort_keys=True)


def _clip(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return text if len(text) <= 80 else text[:77] + "..."


def differences(known: Side, unknown: Side) -> list[str]:
    """What an observer could tell the two kinds of address apart by, apart from time."""
    found = []
    if set(known.statuses) != set(unknown.statuses):
        found.append(
            f"status: {sorted(set(known.statuses))} with an account, "
            f"{sorted(set(unknown.statuses))} without"
        )
    a, b = set(known.bodies), set(unknown.bodies)
    if len(a) == 1 and len(b) == 1:
        if a != b:
            found.append(
                f"body: {_clip(next(iter(a)))} with an account, {_clip(next(iter(b)))} without"
            )
    elif {_shape(x) for x in a}.isdisjoint({_shape(x) for x in b}):
        found.append("body: its JSON shape differs with and without an account")
    names_a = set().union(*(h.keys() for h in known.headers)) if known.headers else set()
    names_b = set().union(*(h.keys() for h in unknown.headers)) if unknown.headers else set()
    for name in sorted(names_a ^ names_b):
        side = "with" if name in names_a else "without"
        found.append(f"header: {name} is sent only {side} an account")
    for name in sorted(names_a & names_b):
        values_a = {h.get(name) for h in known.headers}
        values_b = {h.get(name) for h in unknown.headers}
        if len(values_a) == 1 and len(values_b) == 1 and values_a != values_b:
            found.append(
                f"header: {name} is {next(iter(values_a))!r} with an account, "
                f"{next(iter(values_b))!r} without"
            )
    return found


async def enumeration(run: Run) -> Result:
    if not run.signed_up:
        return ENUMERATION.not_run("needs the test user of step 2")
    domain = run.user.rpartition("@")[2]
    nobody = f"nobody-{run.rng.getrandbits(48):012x}@{domain}"
    n = run.target.samples
    order = [True] * n + [False] * n
    run.rng.shuffle(order)
    for exists in [True, False] * WARM_UP:
        await run.request_reset(run.user if exists else nobody)
    sides = {True: Side(), False: Side()}
    for exists in order:
        started = run.timer()
        response = await run.request_reset(run.user if exists else nobody)
        elapsed = (run.timer() - started) * 1000
        side = sides[exists]
        side.times.append(elapsed)
        side.statuses.append(response.status_code)
        side.bodies.append(response.content)
        side.headers.append(_headers(response.headers.multi_items()))
    known, unknown = sides[True], sides[False]
    found = differences(known, unknown)
    timing = compare(known.times, unknown.times)
    if timing.leak:
        found.append(
            f"timing: {timing.median_a:.1f} ms with an account, {timing.median_b:.1f} ms "
            f"without (median); the shift is {timing.shift:.1f} ms, Mann-Whitney p = "
            f"{timing.p:.2g} over {n}+{n} calls"
        )
    statuses = {"account": sorted(set(known.statuses)), "none": sorted(set(unknown.statuses))}
    if found:
        return ENUMERATION.failed(
            "an observer can tell whether an address has an account - " + "; ".join(found),
            statuses=statuses,
            timing=timing.as_json(),
        )
    return ENUMERATION.passed(
        f"{n}+{n} calls: the same status ({', '.join(map(str, sorted(set(known.statuses))))}), "
        f"body and headers with and without an account; timing {timing.median_a:.1f} vs "
        f"{timing.median_b:.1f} ms median, shift {timing.shift:+.2f} ms, Mann-Whitney p = "
        f"{timing.p:.2g} (a leak needs p < 0.001 and a shift of {timing.threshold:.1f} ms or "
        "more)",
        statuses=statuses,
        timing=timing.as_json(),
    )
