"""The dates of `before:` and `after:`, read as Mailpit reads them (araddon/dateparse `ParseIn`).

Mailpit hands the cleaned, upper-cased value to dateparse, which guesses the layout. These are
the layouts read here (each with optional time `15:04[:05[.000]]`, `AM`/`PM`, and an offset
`Z`, `+02:00`, `+0200`, `-07` or a `UTC`/`GMT` name):

    2026-12-01  2026/12/1  2026.12.01  2026:12:01  2026-12-01T10:00:00Z  2026-12  2026.12
    12/01/2026  12/1/26  12.01.2026 (month first, as dateparse without a hint)
    1 Dec 2026  Dec 1 2026  Tue 1 Dec 2026 10:00:00 +0000  2026-Dec-01  01/Dec/2026
    Mon Jan 2 15:04:05 2006 (ANSI C)  2014年04月08日
    2026 (a year)  20261201 (yyyymmdd)  20261201103000 (yyyymmddhhmmss)
    unix time in seconds (10 digits), ms (13), us (16) or ns (19)

A value without an offset is in `tz` (`zone()`; the server's zone when it is absent or unknown,
as Mailpit). mailyard also reads an age before now, `30m 2h 7d 1w`, which Mailpit ignores.
Anything else is unreadable, and Mailpit then ignores the term: `parse_when` returns None.
All patterns are anchored and free of nested repetition: linear in the (capped) value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

MAX_VALUE = 80

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("JAN", "JANUARY"),
            ("FEB", "FEBRUARY"),
            ("MAR", "MARCH"),
            ("APR", "APRIL"),
            ("MAY",),
            ("JUN", "JUNE"),
            ("JUL", "JULY"),
            ("AUG", "AUGUST"),
            ("SEP", "SEPT", "SEPTEMBER"),
            ("OCT", "OCTOBER"),
            ("NOV", "NOVEMBER"),
            ("DEC", "DECEMBER"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>[A-Z]{3,9})\.?"
_WEEKDAY = r"(?:(?:MON|TUE|WED|THU|FRI|SAT|SUN)[A-Z]{0,6}\.? )?"
_DAY = r"(?P<d>\d{1,2})(?:ST|ND|RD|TH)?"
_TIME = (
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,:](?P<F>\d{1,9}))?)?"
    r"(?: ?(?P<ampm>AM|PM))?)?"
)
_ZONE = r"(?: ?(?P<z>Z|[+-]\d{2}(?::?\d{2})?))?(?: ?(?P<name>[A-Z]{1,5}))?"
_HMS = r"(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})"
_YEAR = r"(?P<y>\d{4}|\d{2})"
_LAYOUTS = [
    re.compile(p)
    for p in (
        rf"^(?P<y>\d{{4}})(?P<sep>[-/.:])(?P<m>\d{{1,2}})(?P=sep){_DAY}{_TIME}{_ZONE}$",
        r"^(?P<y>\d{4})[-.](?P<m>\d{1,2})$",
        rf"^(?P<m>\d{{1,2}})(?P<sep>[/.])(?P<d>\d{{1,2}})(?P=sep){_YEAR}{_TIME}{_ZONE}$",
        rf"^{_WEEKDAY}{_DAY}[ -]{_MONTH}[ -]{_YEAR}{_TIME}{_ZONE}$",
        rf"^{_WEEKDAY}{_MONTH} {_DAY} (?P<y>\d{{4}}){_TIME}{_ZONE}$",
        rf"^(?P<y>\d{{4}})-{_MONTH}-{_DAY}$",
        rf"^{_DAY}/{_MONTH}/(?P<y>\d{{4}})(?::{_HMS})?{_ZONE}$",
        rf"^{_WEEKDAY}{_MONTH} +{_DAY} {_HMS}{_ZONE} (?P<y>\d{{4}})$",
        r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$",
    )
]
_RELATIVE_RE = re.compile(r"^(\d{1,9})([SMHDW])$")
_UNITS = {"S": 1, "M": 60, "H": 3600, "D": 86400, "W": 604800}


def zone(tz: str | None) -> tzinfo | None:
    """The zone `tz` names (IANA, or `UTC`); None, the server's zone, when it is empty,
    `Local` or unknown: Mailpit warns and uses the local zone rather than refuse."""
    if not tz or tz == "Local" or len(tz) > 64:
        return None
    # Imported here: zoneinfo brings sysconfig; only a query with a zone needs it, not the start.
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(tz)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None


def parse_when(value: str, where: tzinfo | None, now: float) -> int | None:
    """`value` (cleaned, upper-cased) as Unix milliseconds, or None when unreadable."""
    value = value.strip()
    if not value or len(value) > MAX_VALUE:
        return None
    relative = _RELATIVE_RE.match(value)
    if relative:
        age = int(relative.group(1)) * _UNITS[relative.group(2)]
        return int((now - age) * 1000)
    if value.isascii() and value.isdigit():
        return _digits(value, where)
    for layout in _LAYOUTS:
        match = layout.match(value)
        if match:
            return _millis(match.groupdict(), where)
    return None


def _digits(value: str, where: tzinfo | None) -> int | None:
    number = int(value)
    if len(value) == 10:  # seconds
        return number * 1000
    divisor = {13: 1, 16: 1000, 19: 1_000_000}.get(len(value))  # ms, us, ns
    if divisor is not None:
        return number // divisor
    layouts = {4: "%Y", 8: "%Y%m%d", 14: "%Y%m%d%H%M%S"}
    if len(value) not in layouts:
        return None
    try:
        naive = datetime.strptime(value, layouts[len(value)])
    except ValueError:
        return None
    return _epoch_millis(naive, where)


def _millis(parts: dict[str, str | None], where: tzinfo | None) -> int | None:
    try:
        year = int(parts["y"] or 0)
        if len(parts["y"] or "") == 2:
            year += 1900 if year >= 69 else 2000  # Go's two-digit years
        month = _MONTHS.get(parts["mon"] or "") if parts.get("mon") else int(parts["m"] or 1)
        if month is None:
            return None
        hour = int(parts.get("H") or 0)
        if parts.get("ampm"):
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if parts["ampm"] == "PM" else 0)
        fraction = (parts.get("F") or "").ljust(6, "0")[:6]
        naive = datetime(
            year,
            month,
            int(parts.get("d") or 1),
            hour,
            int(parts.get("M") or 0),
            int(parts.get("S") or 0),
            int(fraction or 0),
        )
    except ValueError:
        return None
    offset = _offset(parts.get("z"), parts.get("name"))
    if offset is not None:
        return _epoch_millis(naive.replace(tzinfo=offset), None)
    return _epoch_millis(naive, where)


def _offset(numeric: str | None, name: str | None) -> tzinfo | None:
    """The offset written in the value: numeric, else a zone name (UTC, GMT, Z, or any other,
    which Go's time.Parse reads as offset 0 when it does not know it)."""
    if numeric == "Z":
        return UTC
    if numeric:
        digits = numeric[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
        return timezone(timedelta(minutes=-minutes if numeric[0] == "-" else minutes))
    if name and name not in ("AM", "PM"):
        return UTC
    return None


def _epoch_millis(moment: datetime, where: tzinfo | None) -> int | None:
    """Whole milliseconds since the epoch (Go's UnixMilli); a naive `moment` is in `where`,
    or in the server's zone."""
    if moment.tzinfo is None and where is not None:
        moment = moment.replace(tzinfo=where)
    try:
        whole = int(moment.replace(microsecond=0).timestamp())
    except (OverflowError, OSError, ValueError):
        return None
    return whole * 1000 + moment.microsecond // 1000
