"""The bundled caniemail table: derived from caniemail's sources as SOURCE.md says, and shipped
with its licence."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from mailyard.sandbox.mail.htmlcheck.data import caniemail
from mailyard.sandbox.mail.htmlcheck.rules import (
    ATTRIBUTE_TESTS,
    ELEMENT_TESTS,
    IMAGE_TESTS,
    PROPERTIES,
    STYLESHEET_TESTS,
    UNIT_TESTS,
    VALUE_TESTS,
)

ROOT = Path(__file__).resolve().parents[3]
FOLDER = ROOT / "sandbox" / "mail" / "caniemail"
SOURCE = ROOT.parent / "shared" / "data" / "caniemail"


def test_licence_and_source_ship_beside_the_data() -> None:
    assert "MIT License" in (FOLDER / "LICENSE").read_text()
    source = (FOLDER / "SOURCE.md").read_text()
    assert "6b086a3" in source and "derive.py" in source


def test_bundled_table_is_what_derive_makes_of_the_source() -> None:
    if not (SOURCE / "_features").is_dir():
        pytest.skip(f"{SOURCE} not present")
    spec = importlib.util.spec_from_file_location("derive", FOLDER / "derive.py")
    assert spec is not None and spec.loader is not None
    derive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive)
    shipped = json.loads((FOLDER / "caniemail.json").read_text(encoding="utf-8"))
    assert derive.derive(SOURCE) == shipped


def test_every_test_mailpit_can_report_has_its_feature_but_one() -> None:
    slugs = {
        *ELEMENT_TESTS,
        *IMAGE_TESTS,
        *ATTRIBUTE_TESTS,
        *PROPERTIES.values(),
        *VALUE_TESTS,
        *UNIT_TESTS,
        *STYLESHEET_TESTS,
    }
    missing = slugs - set(caniemail().features)
    assert missing == {"image-ppm"}  # in Mailpit's list, not in caniemail: skipped


def test_families_and_platforms_have_display_names() -> None:
    data = caniemail()
    for feature in data.features.values():
        for row in feature.support:
            assert row.family in data.family_names, row
            assert row.platform in data.platform_names, row
