"""The sample themes in fixtures/themes/: one loader for the CLI, the preview gallery and the
email-test API. The API and the gallery look up names only; only the CLI also reads a file path."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mailyard.renderer import Theme, theme_from_dict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def sample_theme_names() -> list[str]:
    folder = FIXTURES / "themes"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def theme_file(path: Path) -> Theme:
    """A theme from a JSON file; ValueError says what is wrong, ThemeError which field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return theme_from_dict(data)


def sample_theme(name: str) -> Theme:
    """The sample theme `name`; LookupError when there is none."""
    path = FIXTURES / "themes" / f"{name}.json"
    if not _NAME.match(name) or not path.is_file():
        known = ", ".join(sample_theme_names()) or "none found"
        raise LookupError(f"no sample theme {name!r} (samples: {known})")
    return theme_file(path)
