"""Durations (`30s`, `1.5m`, `2h`, `1d`, `250ms`) and percentages (`1%`, `0.5`) as the
simulator's settings spell them, read without regular expressions and with a length cap, so no
input costs more than a few dozen character checks.
"""

from __future__ import annotations

UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_TEXT = 24  # "604800000ms" is 11; anything longer is a mistake, not a duration


def parse_duration(text: str, *, maximum: float) -> float:
    """Seconds from `<number><unit>`; ValueError says what is wrong, in words a user can act on."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"duration {text[:MAX_TEXT]!r}... is too long")
    number = text.rstrip("msdh")
    unit = text[len(number) :]
    if unit not in UNITS:
        raise ValueError(f"duration {text!r} must be a number followed by ms, s, m, h or d")
    seconds = _decimal(number, what=f"duration {text!r}") * UNITS[unit]
    if not 0 < seconds <= maximum:
        raise ValueError(
            f"duration {text!r} must be above 0 and at most {format_duration(maximum)}"
        )
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling: 30 -> `30s`, 3600 -> `1h`, 0.25 -> `250ms`."""
    for unit in ("d", "h", "m", "s"):
        count = seconds / UNITS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    milliseconds = seconds * 1000
    if milliseconds == int(milliseconds):
        return f"{int(milliseconds)}ms"
    return f"{seconds:g}s"


def parse_percent(text: str) -> float:
    """A percentage from `1%`, `0.5%` or a bare `1`, between 0 and 100 inclusive."""
    number = text.removesuffix("%")
    value = _decimal(number, what=f"percentage {text!r}")
    if not 0 <= value <= 100:
        raise ValueError(f"percentage {text!r} must be between 0 and 100")
    return value


def check_percent(value: object) -> float:
    """A JSON number as a percentage (bool is not a number here, whatever Python thinks)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number between 0 and 100")
    if not 0 <= value <= 100:  # also refuses NaN
        raise ValueError(f"{value!r} must be between 0 and 100")
    return float(value)


def _decimal(text: str, *, what: str) -> float:
    """Digits with at most one point: no signs, exponents, `inf` or `nan` that float() takes."""
    whole, _, fraction = text.partition(".")
    if not (whole or fraction) or not (whole + fraction).isascii():
        raise ValueError(f"{what} needs a number")
    if not (whole + fraction).isdigit() or len(text) > MAX_TEXT:
        raise ValueError(f"{what} needs a plain decimal number")
    return float(text)
