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

A service that rate-limits the endpoint may answer some calls 429. When both kinds of address
get 429s (the client's limit), the comparison lacks answers and the check is not verifiable
this time, unless the 429s themselves differ; when only one kind gets them and one more call
for the other kind is answered, the limit tells accounts apart (a per-account resend interval,
as GoTrue's, is an enumeration leak) and the check fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

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


TOO_MANY = 429
LIMIT_HEADERS = ("retry-after", "ratelimit", "x-ratelimit")


def _record(side: Side, response: httpx.Response, elapsed_ms: float) -> None:
    side.times.append(elapsed_ms)
    side.statuses.append(response.status_code)
    side.bodies.append(response.content)
    side.headers.append(_headers(response.headers.multi_items()))


def _limited_answers(side: Side) -> Side:
    """A side's 429 answers, with what changes from one to the next as the limit runs down
    (Retry-After and RateLimit-* headers, the wait a message names) reduced to their shape."""
    keep = [i for i, s in enumerate(side.statuses) if s == TOO_MANY]
    return Side(
        [TOO_MANY] * len(keep),
        [_shape(side.bodies[i]).encode() for i in keep],
        [
            {k: v for k, v in side.headers[i].items() if not k.startswith(LIMIT_HEADERS)}
            for i in keep
        ],
    )


async def _limited(run: Run, known: Side, unknown: Side, nobody: str) -> Result | None:
    """The verdict when the service rate-limited some samples, or None when it did not (or
    when the limit is one-sided and the usual comparison must report it)."""
    k, u = known.statuses.count(TOO_MANY), unknown.statuses.count(TOO_MANY)
    if not k and not u:
        return None
    n = run.target.samples
    if not (k and u):
        # The limit may have begun with the last calls, all of one kind: ask once more for
        # the other kind. Answered: the limit tells the two apart (compared as usual).
        probe = await run.request_reset(nobody if k else run.user)
        if probe.status_code != TOO_MANY:
            return None
        _record(unknown if k else known, probe, 0.0)
    found = differences(_limited_answers(known), _limited_answers(unknown))
    statuses = {"account": sorted(set(known.statuses)), "none": sorted(set(unknown.statuses))}
    if found:
        return ENUMERATION.failed(
            "while rate-limited, an observer can tell whether an address has an account - "
            + "; ".join(found),
            statuses=statuses,
        )
    return ENUMERATION.not_verifiable(
        f"the service rate-limited the checklist's calls ({k} of {n} with an account, {u} of "
        f"{n} without answered 429, alike for both). That is right, but the comparison needs "
        f"{n}+{n} answers: run the checklist again once the limit has passed (Retry-After), "
        "or with fewer --samples",
        statuses=statuses,
    )


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
        _record(sides[exists], response, elapsed)
    known, unknown = sides[True], sides[False]
    limited = await _limited(run, known, unknown, nobody)
    if limited is not None:
        return limited
    found = differences(known, unknown)
    if TOO_MANY in known.statuses or TOO_MANY in unknown.statuses:
        found.append(
            "429 for one kind of address only: a rate limit must count requests per address "
            "alike, whether or not it has an account (a resend interval per account tells)"
        )
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
