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


def _package(module: str) -> str:
    """`mailyard.sandbox.store` -> `sandbox`; a bare top-level `sandbox` is ours too (and wrong)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "mailyard" and len(parts) > 1 else parts[0]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(_package(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(_package(node.module))
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_itself_by_its_installed_name(package: str) -> None:
    """A bare `import sandbox` would pick up a user's own `sandbox` package instead of ours."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            for name in names:
                assert name.split(".")[0] not in OURS, f"{path.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    for path in files:
        wrong = _imports(path) - ALLOWED[package]
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_fixtures_is_data_only() -> None:
    assert not list((ROOT / "fixtures").rglob("*.py"))


def test_every_code_folder_is_installed() -> None:
    """A subpackage missing from pyproject's list would be missing from the wheel."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        "mailyard." + ".".join(init.parent.relative_to(ROOT).parts)
        for package in ALLOWED
        for init in (ROOT / package).rglob("__init__.py")
    }
    assert found == listed
