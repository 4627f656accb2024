"""`mailyard.renderer` loads its modules on first use, and its exported names stay what they
are whichever module loads first (the submodule `render` never hides the function `render`).

Each case runs in a fresh interpreter: this test process may have loaded the renderer already."""

from __future__ import annotations

import subprocess
import sys

import mailyard.renderer as renderer


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_importing_the_package_loads_none_of_its_modules() -> None:
    loaded = _run(
        "import sys, mailyard.renderer\n"
        "print(sorted(m for m in sys.modules if m.startswith('mailyard.renderer.')))"
    )
    assert loaded == "[]"


def test_a_name_loads_only_its_own_module() -> None:
    loaded = _run(
        "import sys\n"
        "from mailyard.renderer import ThemeError\n"
        "print(sorted(m for m in sys.modules if m.startswith('mailyard.renderer.')))"
    )
    assert loaded == "['mailyard.renderer.errors']"


def test_render_stays_the_function_after_its_module_is_imported() -> None:
    kinds = _run(
        "import types\n"
        "import mailyard.renderer.message  # imports the submodule mailyard.renderer.render\n"
        "import mailyard.renderer as renderer\n"
        "from mailyard.renderer import render\n"
        "print(type(render).__name__, type(renderer.render).__name__)"
    )
    assert kinds == "function function"


def test_every_exported_name_is_the_defining_modules() -> None:
    import importlib

    for name, where in renderer._WHERE.items():
        defining = importlib.import_module(f"mailyard.renderer.{where}")
        assert getattr(renderer, name) is getattr(defining, name), name
    assert set(renderer.__all__) == set(renderer._WHERE)
    assert set(renderer.__all__) <= set(dir(renderer))
