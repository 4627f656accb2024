"""mailyard keeps working when the project around it has top-level `web` and `sandbox`
packages of its own (Django apps, web.py): it only ever imports itself as `mailyard.*`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_project_with_its_own_web_and_sandbox_packages(tmp_path: Path) -> None:
    for name in ("web", "sandbox"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"NAME = 'the user\\'s {name}'\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import web, sandbox\n"
            "from mailyard.web.app import create_app\n"
            "from mailyard.web.settings import Settings\n"
            "create_app(Settings())\n"
            "import mailyard.sandbox, mailyard.renderer\n"
            "print(web.NAME, '|', sandbox.NAME)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "the user's web | the user's sandbox"
    rendered = subprocess.run(
        [sys.executable, "-m", "mailyard.web", "render", "welcome", "--format", "text"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rendered.returncode == 0 and rendered.stdout.startswith("Welcome to mailyard")
