"""Logging for the service: the format, quiet third-party loggers, a filter that keeps one
misbehaving client (or a full disk, or a file-descriptor limit) from writing megabytes of the
same line, and the one line per received message."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailyard.sandbox import Bus, MessageStored

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


class ForcedStopFilter(logging.Filter):
    """A second Ctrl-C makes uvicorn stop at once, cancelling the app's lifespan, and uvicorn
    logs that cancellation as an error with a traceback (as its exception, or as the text
    Starlette reports a failed shutdown with). It is the stop the person asked for: one line
    says what it cut short."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.error" and _cancelled(record):
            record.msg = "stopping at once (asked twice): open requests and sessions are cut off"
            record.args, record.exc_info, record.exc_text = None, None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _cancelled(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        return True
    text = str(record.msg)
    return text.startswith("Traceback") and text.rstrip().endswith(
        ("CancelledError", "KeyboardInterrupt")
    )


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
    quiet_http_libraries: bool = False,
) -> None:
    """Log to stderr at `level`, each repeated line rate-limited, secrets replaced.

    `quiet_http_libraries` keeps boto3's and httpx's INFO lines ("Found credentials in
    environment variables", each request) out of a command's output: warnings only.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    handler.addFilter(ForcedStopFilter())  # before the redaction, which formats tracebacks
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
    floor = logging.WARNING if quiet_http_libraries else logging.INFO
    for name in ("botocore", "boto3", "urllib3", "httpcore", "httpx"):
        logging.getLogger(name).setLevel(max(floor, root.level))


# -- one line per received message ------------------------------------------------------------

received_log = logging.getLogger("mailyard.received")
SUBJECT_CHARS = 60  # a subject is cut to this many characters in the line
ADDRESS_CHARS = 100
_SCANNED = 1024  # redact and clean at most this much of a field: the line shows far less
# Cc: controls (CR, LF, ESC, C1's NEL and CSI); Cf: format characters (bidi overrides that
# reorder the line on screen); Zl/Zp: U+2028/U+2029, where some log viewers break lines; the
# rest: surrogates, private use and unassigned code points, which no subject needs to show.
_UNSAFE = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"))
_BLANK = "\t\n\r\x0b\x0c\x85\u2028\u2029"  # line and column breaks read as a space
_REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def printable(text: str, limit: int) -> str:
    """`text` safe for one log line, cut to `limit` characters (an ellipsis marks a cut).

    Nothing in it can end the line, move the cursor or reorder what is shown: breaks become a
    space, every other control or format character U+FFFD. So a hostile subject cannot forge a
    second log line. Bounded: looks at no more than `_SCANNED` characters.
    """
    head = text[:_SCANNED]
    if head.isascii() and head.isprintable():  # nearly every subject: no loop in Python
        return head if len(head) <= limit and len(text) <= _SCANNED else head[: limit - 1] + "…"
    shown = []
    for char in head:
        if char.isascii() and char.isprintable():
            shown.append(char)
        elif char in _BLANK:
            shown.append(" ")
        elif unicodedata.category(char) in _UNSAFE:
            shown.append(_REPLACEMENT)
        else:
            shown.append(char)
    cut = "".join(shown)
    if len(cut) <= limit and len(text) <= _SCANNED:
        return cut
    return cut[: limit - 1] + "…"


def arrival_line(
    event: MessageStored, *, fmt: str = "kv", redact: Callable[[str], str] | None = None
) -> str:
    """The line for one received message: id, mailbox, how it came, sender, recipient count,
    size and subject, as key=value text or a JSON object. Secrets are replaced before the
    subject is cut, so a cut can never leave part of a secret behind."""
    clean = redact or (lambda text: text)
    fields: dict[str, object] = {
        "event": "message.received",
        "id": event.id,
        "mailbox": printable(event.mailbox, ADDRESS_CHARS),
        "via": event.source,
        "from": printable(clean(event.mail_from[:_SCANNED]), ADDRESS_CHARS) or "<>",
        "to": len(event.recipients),
        "size": event.size,
        "subject": printable(clean(event.subject[:_SCANNED]), SUBJECT_CHARS),
    }
    if fmt == "json":
        return json.dumps(fields, ensure_ascii=False)
    return " ".join(f"{key}={_kv(key, value)}" for key, value in fields.items())


def _kv(key: str, value: object) -> str:
    text = str(value)
    quote = key == "subject" or any(c in text for c in ' ="')
    return json.dumps(text, ensure_ascii=False) if quote else text


def log_arrivals(
    bus: Bus, *, fmt: str = "kv", redact: Callable[[str], str] | None = None
) -> Callable[[], None]:
    """Log one INFO line on `mailyard.received` per message the store commits; returns the
    function that stops it.

    A bus listener runs on the event loop right after the commit, so it only formats a short
    line and hands it to logging; it does nothing at all when INFO is not enabled (--quiet).
    """
    from mailyard.sandbox import MessageStored

    def on_stored(event: MessageStored) -> None:
        if received_log.isEnabledFor(logging.INFO):
            received_log.info(arrival_line(event, fmt=fmt, redact=redact))

    return bus.listen(on_stored, MessageStored)
