"""The inputs every auth flow reads - an email address, a display name - checked with bounds,
each error naming its field."""

from __future__ import annotations

import re

from mailyard.sandbox.errors import InvalidInputError

MAX_EMAIL = 254  # RFC 5321's path limit, less the angle brackets
MAX_NAME = 100
# One @, no spaces or angle brackets, a dot-free or dotted domain: what an auth service takes
# as an address to mail. Linear: no nested quantifiers.
_EMAIL = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def check_email(value: object, field: str = "email") -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"{field} must be an email address", field)
    address = value.strip()
    if len(address) > MAX_EMAIL or not _EMAIL.match(address):
        raise InvalidInputError(f"{field} must be an email address like jane@example.com", field)
    return address


def check_name(value: object, field: str = "name") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{field} must be a string or null", field)
    name = value.strip()
    if len(name) > MAX_NAME or _CONTROL.search(name):
        raise InvalidInputError(f"{field} must be one line of at most {MAX_NAME} characters", field)
    return name or None
