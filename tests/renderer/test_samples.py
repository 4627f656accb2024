"""Sample themes ship inside the package (never read from fixtures/), looked up by name only;
theme files name what is wrong with them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailyard.renderer import (
    Theme,
    ThemeError,
    sample_theme,
    sample_theme_names,
    theme_file,
)
from mailyard.renderer.images import SCHEME

ROOT = Path(__file__).resolve().parents[2]


def test_the_samples_are_listed_by_name() -> None:
    assert sample_theme_names() == ["acme", "nordlicht", "sakura"]


@pytest.mark.parametrize("name", ["acme", "nordlicht", "sakura"])
def test_every_sample_has_a_shipped_logo_and_its_fields(name: str) -> None:
    theme = sample_theme(name)
    assert theme.logo_url == f"{SCHEME}{name}.png"
    assert theme.name and theme.primary_color and theme.footer_text and theme.locale
    assert theme.font_family_preset


@pytest.mark.parametrize("name", ["nope", "../fixtures/themes/acme", "acme.json", "", "ACME"])
def test_an_unknown_sample_is_a_lookup_error_naming_the_samples(name: str) -> None:
    with pytest.raises(LookupError) as error:
        sample_theme(name)
    assert "samples: acme, nordlicht, sakura" in str(error.value)


def test_nothing_in_the_renderer_reads_fixtures_at_run_time() -> None:
    for path in (ROOT / "renderer").rglob("*.py"):
        assert "fixtures" not in path.read_text(), path


def test_a_theme_file_is_read_and_validated(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"name": "Mine", "primaryColor": "#123456", "themeId": "x"}))
    assert theme_file(path) == Theme(name="Mine", primary_color="#123456")
    assert theme_file(str(path)) == theme_file(path)


def test_a_users_remote_logo_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"logoUrl": "https://cdn.example.com/logo.png"}))
    assert theme_file(path).logo_url == "https://cdn.example.com/logo.png"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read theme file"),
        (b"{not json", "is not UTF-8 JSON"),
        (b"\xff\xfe{}", "is not UTF-8 JSON"),
        (b"[1, 2]", "must hold a JSON object"),
        (b"[" * 100_000, "larger than"),
        (b"[" * 60_000, "is not UTF-8 JSON"),  # nested too deep for the parser
        (b'{"name": "' + b"x" * 70_000 + b'"}', "larger than"),
    ],
)
def test_a_bad_theme_file_is_a_value_error_saying_what_is_wrong(
    tmp_path: Path, content: bytes | None, says: str
) -> None:
    path = tmp_path / "theme.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=says) as error:
        theme_file(path)
    assert str(path) in str(error.value)


def test_a_bad_value_in_a_theme_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "theme.json"
    path.write_text(json.dumps({"name": "X", "primaryColor": "blue"}))
    with pytest.raises(ThemeError) as error:
        theme_file(path)
    assert error.value.field == "primaryColor"
