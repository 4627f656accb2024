"""Running the checklist: the spec's six steps, then the checks teams get wrong.

    async with httpx.AsyncClient(timeout=30) as http:
        report = await Checklist(ChecklistTarget("http://127.0.0.1:8025"), http).run()
    print(report.table())

Steps run in the spec's order; the expiry check runs last because it moves mailyard's clock
(with --clock-control), and the report lists everything by number. A step that cannot do its
work because an earlier one failed reports "not run"; a failure of one check never stops the
others that can still run. The HTTP client is injected (tests pass one bound to in-process
apps); so are the timer used for response times, the sleep that waits out a rate limit's
Retry-After (`patience`) and the random source (test addresses, the order of the enumeration
samples).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx

from mailyard.sandbox.checklist import pitfalls, steps
from mailyard.sandbox.checklist.enumeration import ENUMERATION, enumeration
from mailyard.sandbox.checklist.inbox import Inbox, MailyardError
from mailyard.sandbox.checklist.report import ChecklistReport, Result, Status
from mailyard.sandbox.checklist.state import Run, Spec
from mailyard.sandbox.checklist.target import ChecklistTarget
from mailyard.sandbox.clock import Clock

Step = Callable[[Run], Awaitable[Result] | Result]
# (the spec of a check, the function, the checks it cannot run without)
ORDER: tuple[tuple[Spec, Step, tuple[str, ...]], ...] = (
    (steps.ENABLED, steps.enabled, ()),
    (steps.SIGNUP, steps.signup, ("1",)),
    (steps.RESET, steps.reset, ("2",)),
    (steps.NOT_CONFIGURED, steps.not_configured, ("3",)),
    (steps.ACCEPTED, steps.provider_accepted, ("3",)),
    (steps.CONFIRM, steps.confirm, ("3",)),
    (pitfalls.ORIGIN, pitfalls.link_origin, ()),
    (pitfalls.TEXT, pitfalls.plain_text, ()),
    (pitfalls.HTML, pitfalls.html, ()),
    (pitfalls.PREFETCH, pitfalls.prefetch, ()),
    (ENUMERATION, enumeration, ()),
    (pitfalls.EXPIRY, pitfalls.expiry, ()),
)


class Checklist:
    def __init__(
        self,
        target: ChecklistTarget,
        http: httpx.AsyncClient,
        *,
        clock: Clock | None = None,
        timer: Callable[[], float] = time.perf_counter,
        rng: random.Random | None = None,
        reset_subject: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.target = target
        self._http = http
        self._clock = clock or Clock()
        self._timer = timer
        self._rng = rng or random.Random()
        self._reset_subject = reset_subject
        self._sleep = sleep

    def _run(self) -> Run:
        tag = f"{self._rng.getrandbits(40):010x}"
        return Run(
            target=self.target,
            http=self._http,
            inbox=Inbox(self._http, self.target.mailyard_url, self.target.mailbox),
            timer=self._timer,
            rng=self._rng,
            user=self.target.email or f"checklist-{tag}@example.com",
            password=f"Checklist-{tag}-pw",
            new_password=f"Checklist-{tag}-new",
            reset_subject=self._reset_subject,
            reset_ttl=self.target.reset_ttl,
            sleep=self._sleep,
            now=self._clock.now,
        )

    async def run(self) -> ChecklistReport:
        run = self._run()
        started = self._timer()
        results: dict[str, Result] = {}
        for spec, step, needs in ORDER:
            missing = [n for n in needs if results[n].status is not Status.PASS]
            began = self._timer()
            if missing:
                result = spec.not_run(f"needs step {missing[0]} to pass")
            else:
                result = await self._one(spec, step, run)
            result = replace(result, title=titled(result.title, self.target))
            results[result.number] = _timed(result, (self._timer() - began) * 1000)
        ordered = tuple(sorted(results.values(), key=lambda r: int(r.number)))
        return ChecklistReport(
            {**self.target.as_json(), "user": run.user, "startedAt": self._clock.stamp()[0]},
            ordered,
            (self._timer() - started) * 1000,
        )

    async def _one(self, spec: Spec, step: Step, run: Run) -> Result:
        try:
            outcome = step(run)
            return await outcome if not isinstance(outcome, Result) else outcome
        except MailyardError as exc:
            return spec.failed(str(exc))
        except httpx.HTTPError as exc:
            return spec.failed(
                f"the auth service at {self.target.base} did not answer: "
                f"{type(exc).__name__}: {exc}"
            )


def titled(title: str, target: ChecklistTarget) -> str:
    """A check's title with the spec's placeholders filled in: `{AUTH_URL}/signup` becomes
    the URL the checklist called (the built-in service's, or --auth-url with its paths)."""
    paths = (
        ("/password-reset/confirm", target.confirm_path),
        ("/password-reset", target.reset_path),
        ("/signup", target.signup_path),
    )
    for spec_path, path in paths:
        title = title.replace("{AUTH_URL}" + spec_path, target.url(path))
    return title.replace("{AUTH_URL}", target.base)


def _timed(result: Result, duration_ms: float) -> Result:
    return replace(result, duration_ms=duration_ms)
