"""The web layer reaches the core only through the curated `__all__` of each package (as httpx
keeps its own honest in tests/test_exported_members.py)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ("sandbox", "renderer", "senders")


@pytest.mark.parametrize("package", CORE)
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(f"mailyard.{package}")
    for name in module.__all__:
        assert getattr(module, name) is not None, name


def test_sandbox_all_matches_its_lazy_table() -> None:
    sandbox = importlib.import_module("mailyard.sandbox")
    assert set(sandbox.__all__) == set(sandbox._WHERE) | set(sandbox._MODULES) | set(
        sandbox._RENAMED
    )
    for name, where in sandbox._WHERE.items():
        defining = importlib.import_module(f"mailyard.sandbox.{where}")
        assert getattr(sandbox, name) is getattr(defining, name), name


def _core_imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "mailyard" and len(parts) > 1 and parts[1] in CORE:
                found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "mailyard" and len(parts) > 2 and parts[1] in CORE:
                    found.append((alias.name, []))
    return found


def test_web_imports_only_the_curated_names() -> None:
    wrong = []
    for path in sorted((ROOT / "web").rglob("*.py")):
        for module, names in _core_imports(path):
            package = module.split(".")[1]
            exported = importlib.import_module(f"mailyard.{package}").__all__
            if module != f"mailyard.{package}" or not set(names) <= set(exported):
                wrong.append(f"{path.relative_to(ROOT)}: from {module} import {', '.join(names)}")
    assert not wrong, "\n".join(wrong)
