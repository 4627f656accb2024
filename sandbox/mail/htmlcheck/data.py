"""caniemail's support data, as shipped in `mailyard/sandbox/mail/caniemail/caniemail.json`.

Read once, on first use, and kept: ~570 KB of JSON that takes ~10 ms to load, so importing the
HTML check costs nothing until a message is checked. `caniemail/SOURCE.md` says which caniemail
commit the file comes from and how it was made.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Support:
    """One row of a feature's support table: a client version and how well it supports it."""

    family: str  # caniemail's key: "gmail", "outlook", ...
    platform: str  # "ios", "desktop-webmail", ...
    version: str
    support: str  # as caniemail writes it: "y", "n", "a", "u", with " #N" notes


@dataclass(frozen=True)
class Feature:
    """A caniemail feature: its page's text (HTML) and its support table."""

    slug: str
    title: str
    description: str
    url: str
    category: str
    tags: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]  # (number, HTML)
    support: tuple[Support, ...]


@dataclass(frozen=True)
class CanIEmail:
    """Every feature, with the display names of client families and platforms."""

    features: dict[str, Feature]
    family_names: dict[str, str]
    platform_names: dict[str, str]

    @functools.cached_property
    def platforms(self) -> dict[str, tuple[str, ...]]:
        """Platform -> the display names of the families tested on it, sorted (Mailpit's
        `Platforms`)."""
        found: dict[str, set[str]] = {}
        for feature in self.features.values():
            for row in feature.support:
                found.setdefault(row.platform, set()).add(self.family_names.get(row.family, ""))
        return {platform: tuple(sorted(names)) for platform, names in found.items()}


def _feature(slug: str, raw: dict[str, object]) -> Feature:
    stats = raw["stats"]
    notes = raw["notes"]
    tags = raw["tags"]
    assert isinstance(stats, dict) and isinstance(notes, dict) and isinstance(tags, list)
    rows = tuple(
        Support(family, platform, version, support)
        for family, platforms in stats.items()
        for platform, versions in platforms.items()
        for version, support in versions.items()
    )
    return Feature(
        slug=slug,
        title=str(raw["title"]),
        description=str(raw["description"]),
        url=str(raw["url"]),
        category=str(raw["category"]),
        tags=tuple(str(tag) for tag in tags),
        notes=tuple((str(k), str(v)) for k, v in notes.items()),
        support=rows,
    )


@functools.cache
def caniemail() -> CanIEmail:
    """The bundled data, loaded on the first call."""
    source = resources.files("mailyard.sandbox.mail") / "caniemail" / "caniemail.json"
    raw = json.loads(source.read_text(encoding="utf-8"))
    return CanIEmail(
        features={slug: _feature(slug, value) for slug, value in raw["features"].items()},
        family_names=dict(raw["families"]),
        platform_names=dict(raw["platforms"]),
    )
