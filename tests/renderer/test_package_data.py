"""Every file the renderer reads at run time is listed in pyproject's package-data, so a built
wheel (`pip install .`, not `-e`) carries its templates, catalogues, sample themes and logos."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "renderer"
SOURCES_ONLY = {".py", ".pyc", ".svg"}  # code is packaged as code; SVGs are the logos' sources


def test_runtime_data_is_listed_in_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["mailyard.renderer"]
    listed = {p for g in globs for p in PACKAGE.glob(g) if p.is_file()}
    needed = {
        p
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in SOURCES_ONLY and "__pycache__" not in p.parts
    }
    assert {p.relative_to(PACKAGE).as_posix() for p in needed - listed} == set()
    assert {p.relative_to(ROOT).as_posix() for p in needed} >= {
        "renderer/sample_themes/acme.json",
        "renderer/logos/acme.png",
        "renderer/templates/email.html.j2",
    }
