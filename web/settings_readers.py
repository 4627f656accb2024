"""The value readers of the settings: each turns the text of a flag or an environment variable
into a setting's value, or raises ValueError saying why it cannot and which forms it accepts.
The CLI's click types and `load_settings` use the same readers, so a flag and its variable
always agree; every reader caps its input, so no value makes it do unbounded work.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw]?)$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)b?$")
_BYTES = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
MAX_SECONDS = 100 * 365 * 86400.0
MAX_BYTES = 1 << 40


def parse_duration(text: str) -> float:
    """`90`, `30m`, `12h`, `7d`, `2w` as seconds; ValueError with the accepted forms."""
    match = _DURATION_RE.match(text.strip().lower())
    if not match or len(text) > 32:
        raise ValueError(f"{text!r} is not a duration; use e.g. 3600, 30m, 12h, 7d or 2w")
    seconds = float(match.group(1)) * _SECONDS[match.group(2)]
    if seconds > MAX_SECONDS:
        raise ValueError(f"{text!r} is longer than a hundred years")
    return seconds


def parse_size(text: str) -> int:
    """`1048576`, `512k`, `50M`, `1G` as bytes; ValueError with the accepted forms."""
    match = _SIZE_RE.match(text.strip().lower())
    if not match or len(text) > 32:
        raise ValueError(f"{text!r} is not a size; use e.g. 52428800, 512k, 50M or 1G")
    size = int(float(match.group(1)) * _BYTES[match.group(2)])
    if size > MAX_BYTES:
        raise ValueError(f"{text!r} is larger than 1 TiB")
    return size


def size_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        size = parse_size(text)
        if size < low:
            raise ValueError(f"{text!r} is less than the least allowed, {low} bytes")
        return size

    return parse


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"{text!r} is not true or false; use 1/0, true/false, yes/no or on/off")


def parse_port(text: str) -> int:
    if not text.strip().isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError(f"{text!r} is not a port (0-65535; 0 picks any free port)")
    return int(text)


def whole(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit() or len(text) > 18 or int(text) < low:
            raise ValueError(f"{text!r} is not a whole number of at least {low}")
        return int(text)

    return parse


def float_at_least(low: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text) if len(text) <= 32 and text.isascii() else float("nan")
        except ValueError:
            value = float("nan")
        if not value >= low or value == float("inf"):
            raise ValueError(f"{text!r} is not a number of at least {low:g}")
        return value

    return parse


def one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip().lower() not in choices:
            raise ValueError(f"{text!r} is not one of {', '.join(choices)}")
        return text.strip().lower()

    return parse


def csv(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.replace(";", ",").split(",") if item.strip())


def words(text: str) -> tuple[str, ...]:
    """Items separated by commas or white space (Mailpit's lists: `--api-cors`)."""
    return tuple(text.replace(",", " ").split())


def text(value: str) -> str | None:
    return value.strip() or None
