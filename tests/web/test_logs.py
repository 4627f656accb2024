"""The log filters: one noisy line cannot fill the log, and a forced stop is one line."""

from __future__ import annotations

import asyncio
import logging

from mailyard.web.logs import ForcedStopFilter, RepeatFilter


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("mailyard", logging.ERROR, __file__, 1, message, None, None)


def test_a_repeated_line_passes_a_few_times_then_is_counted() -> None:
    repeats = RepeatFilter(limit=3, window=60)
    passed = [repeats.filter(_record("accept failed: too many open files")) for _ in range(1000)]
    assert sum(passed) == 3
    assert repeats.filter(_record("a different line"))


def test_after_a_quiet_window_the_count_of_held_lines_is_told() -> None:
    repeats = RepeatFilter(limit=1, window=0)
    first = _record("disk full")
    assert repeats.filter(first)
    repeats.window = 60
    assert not repeats.filter(_record("disk full"))
    repeats.window = 0
    told = _record("disk full")
    assert repeats.filter(told) and "1 more like this" in str(told.msg)


def test_secrets_never_reach_the_log_at_any_level(capsys: object) -> None:
    from mailyard.sandbox import Redactor
    from mailyard.web import logs

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logs.configure("debug", redact=Redactor(["AKIA-secret-token-0042"]))
        logging.getLogger("botocore.endpoint").debug("Authorization: AKIA-secret-token-0042")
        logging.getLogger("mailyard.email").warning("provider said: %s", "AKIA-secret-token-0042")
        try:
            raise ValueError("AKIA-secret-token-0042")
        except ValueError:
            logging.getLogger("mailyard").exception("failed")
    finally:
        root.handlers[:], root.level = saved
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "AKIA-secret-token-0042" not in err
    assert "provider said: [redacted]" in err and "Authorization" not in err


def test_a_forced_stop_is_one_warning_not_a_traceback() -> None:
    def record(msg: str, error: BaseException | None = None) -> logging.LogRecord:
        info = (type(error), error, None) if error else None
        return logging.LogRecord("uvicorn.error", logging.ERROR, "x", 1, msg, None, info)

    cancelled = record("Exception in 'lifespan' protocol\n", asyncio.CancelledError())
    reported = record("Traceback (most recent call last):\n  ...\nasyncio.CancelledError\n")
    for forced in (cancelled, reported):
        assert ForcedStopFilter().filter(forced)
        assert forced.levelno == logging.WARNING and forced.exc_info is None
        assert forced.getMessage().startswith("stopping at once")
    real = record("Exception in 'lifespan' protocol\n", ValueError("broken"))
    assert ForcedStopFilter().filter(real)
    assert real.levelno == logging.ERROR and real.exc_info is not None
