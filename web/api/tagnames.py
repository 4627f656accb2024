"""Tag names as Mailpit keeps them (`internal/tools/tags.go`, `config.ValidTagRegexp`).

A tag is cleaned before it is set: every character outside `[a-zA-Z0-9-_ .@]` becomes a space,
runs of spaces become one, the ends are trimmed and the result is cut at 100 characters; an
empty result is dropped. Tags are unique case-insensitively: within a request the first spelling
wins, and a tag that already exists keeps its spelling (Mailpit's `tags.Name` is `COLLATE
NOCASE` with a unique index).
"""

from __future__ import annotations

import re

MAX_TAG = 100
_INVALID = re.compile(r"[^a-zA-Z0-9\-_ .@]")
_SPACES = re.compile(r"\s+")


def clean_tag(name: str) -> str:
    return _SPACES.sub(" ", _INVALID.sub(" ", name)).strip()[:MAX_TAG]


def same(a: str, b: str) -> bool:
    """Equal under SQLite's NOCASE: ASCII letters folded, nothing else."""
    return a.encode("utf-8").lower() == b.encode("utf-8").lower()


def clean_tags(names: list[str], existing: list[str]) -> list[str]:
    """`names` cleaned, empty ones dropped, one per case-insensitive name, in the spelling of
    an existing tag where there is one."""
    known = {t.encode("utf-8").lower(): t for t in reversed(existing)}
    result: dict[bytes, str] = {}
    for name in names:
        cleaned = clean_tag(name)
        key = cleaned.encode("utf-8").lower()
        if cleaned and key not in result:
            result[key] = known.get(key, cleaned)
    return list(result.values())


def spellings(name: str, existing: list[str]) -> list[str]:
    """Every existing tag that is `name` case-insensitively."""
    return [t for t in existing if same(t, name)]
