"""Keeping configured secrets out of everything mailyard logs, stores or returns.

A provider's error text can echo the key it was given ("Invalid API key re_123..."); botocore
at DEBUG logs signed requests. Whatever the path, text leaving mailyard passes a `Redactor`
that knows the secrets in use and replaces each with `[redacted]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[redacted]"
MIN_SECRET = 6  # shorter values would redact ordinary words


class Redactor:
    """Replaces every configured secret (and its URL-encoded form) in a text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True)
        variants = {v for s in values for v in (s, s.replace("/", "%2F").replace("+", "%2B"))}
        self._pattern = (
            re.compile("|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True)))
            if variants
            else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __repr__(self) -> str:
        return "Redactor(...)"  # never the secrets themselves
