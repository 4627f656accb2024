"""Logging for the service: the format, quiet third-party loggers, and a filter that keeps one
misbehaving client (or a full disk, or a file-descriptor limit) from writing megabytes of the
same line."""

from __future__ import annotations

import logging
import sys
import time
from collections import OrderedDict
from collections.abc import Callable

REPEAT_WINDOW = 10.0  # seconds
REPEAT_LIMIT = 5  # the same message at most this often per window, then a count of the rest
_KEYS = 256


class RepeatFilter(logging.Filter):
    """Lets a message through at most `limit` times per `window` seconds; the next one that
    passes after a quiet spell says how many were held back."""

    def __init__(self, limit: int = REPEAT_LIMIT, window: float = REPEAT_WINDOW) -> None:
        super().__init__()
        self.limit = limit
        self.window = window
        self._seen: OrderedDict[tuple[str, str], list[float]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg)[:200])
        now = time.monotonic()  # rate limiting is about real time, not the simulated clock
        entry = self._seen.get(key)
        if entry is None or now - entry[0] > self.window:
            held = int(entry[1]) if entry else 0
            self._seen[key] = [now, 0.0, 1.0]
            self._seen.move_to_end(key)
            while len(self._seen) > _KEYS:
                self._seen.popitem(last=False)
            if held:
                record.msg = f"{record.msg} ({held} more like this in the last {self.window:g} s)"
            return True
        entry[2] += 1
        if entry[2] <= self.limit:
            return True
        entry[1] += 1
        return False


class RedactingFilter(logging.Filter):
    """Replaces configured secrets in every record, whatever logged it and at whatever level."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._redact(message)
        if record.exc_info:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def configure(
    level: str,
    *,
    quiet_smtp_library: bool = True,
    redact: Callable[[str], str] | None = None,
    fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s",
) -> None:
    """Log to stderr at `level`, each repeated line rate-limited, secrets replaced."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    if redact is not None:
        handler.addFilter(RedactingFilter(redact))
    handler.addFilter(RepeatFilter())
    handler.set_name("mailyard")
    root = logging.getLogger()
    # Replace our own handler if configured before; leave others (a test runner's) alone.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "mailyard"] + [handler]
    root.setLevel(level.upper())
    # aiosmtpd logs every command at INFO (and a deprecation warning of its own on each AUTH):
    # noise for a person and measurable CPU under load. Our handler logs what matters.
    if quiet_smtp_library:
        logging.getLogger("mail.log").setLevel(logging.ERROR)
    # botocore logs whole signed requests at DEBUG, credentials included: never below INFO.
    for name in ("botocore", "boto3", "urllib3", "httpcore", "httpx"):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
