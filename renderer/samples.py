"""Samples for previews and test sends: contexts filled from each variable's declared example,
and the sample themes that ship in `renderer/sample_themes/` (each with a shipped logo).

Links carry the placeholder token `test-preview-token-000`, as the spec's email-test does, so a
preview or a test send can never hold a working token. Sample themes are looked up by name only:
nothing here opens a path it is given.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from mailyard.renderer.concepts import ALIASES, CONCEPTS, Concept, concept_from_vars
from mailyard.renderer.themes import Theme, theme_from_json

PREVIEW_TOKEN = "test-preview-token-000"  # noqa: S105 - a placeholder, by design
_NAME = re.compile(r"^[a-z0-9-]{1,40}$")


def sample(concept: str, overrides: dict[str, Any] | None = None) -> Concept:
    """`concept` filled with its examples (links with the placeholder token), then `overrides`."""
    cls = CONCEPTS[ALIASES.get(concept, concept)]
    values: dict[str, Any] = {}
    for var in cls.variables():
        example = var["example"]
        if var["name"].endswith("_url"):
            example = example.replace("token=opaque", f"token={PREVIEW_TOKEN}")
        values[var["name"]] = example
    values.update(overrides or {})
    return concept_from_vars(cls.name, values)


@cache
def _sample_themes() -> dict[str, Theme]:
    """Every shipped sample theme, read and validated once (they are package data)."""
    folder = resources.files("mailyard.renderer") / "sample_themes"
    themes = {}
    for item in folder.iterdir() if folder.is_dir() else ():  # no package data: no samples
        name = item.name.removesuffix(".json")
        if item.name.endswith(".json") and _NAME.match(name):
            themes[name] = theme_from_json(item.read_bytes(), f"sample_themes/{item.name}")
    return dict(sorted(themes.items()))


def sample_theme_names() -> list[str]:
    """The names of the shipped sample themes, sorted: `acme`, `nordlicht`, `sakura`."""
    return list(_sample_themes())


def sample_theme(name: str) -> Theme:
    """The sample theme `name`; LookupError naming the samples when there is none."""
    theme = _sample_themes().get(name)
    if theme is None:
        known = ", ".join(_sample_themes()) or "none"
        raise LookupError(f"no sample theme {name[:80]!r} (samples: {known})")
    return theme
