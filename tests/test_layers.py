"""The import direction of DESIGN.md: web -> sandbox -> renderer, senders; leaves import nothing of ours."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"web", "sandbox", "renderer", "senders"}
ALLOWED = {
    "web": {"web", "sandbox", "renderer", "senders"},
    "sandbox": {"sandbox", "renderer", "senders"},
    "renderer": {"renderer"},
    "senders": {"senders"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    for path in files:
        wrong = _imports(path) - ALLOWED[package]
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_fixtures_is_data_only() -> None:
    assert not list((ROOT / "fixtures").rglob("*.py"))
