"""mailyard as a user installs it: a built wheel in a fresh virtual environment, used from a
project that has top-level `web` and `sandbox` packages of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"web and API on (http://127\.0\.0\.1:\d+)/")


def _run(*command: str | Path, cwd: Path, timeout: float = 600) -> str:
    result = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(cwd)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def user_project(folder: Path) -> Path:
    """A project with its own `web` and `sandbox` packages, as Django and web.py apps have."""
    for name in ("web", "sandbox"):
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(f'NAME = "the user\'s {name}"\n')
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the venv's bin folder, a user project) with mailyard installed from its wheel."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
        "-w", dist, ROOT, cwd=work,
    )  # fmt: skip
    (wheel,) = dist.glob("mailyard-*.whl")
    _run(sys.executable, "-m", "venv", work / "venv", cwd=work)
    bin_ = work / "venv" / "bin"
    _run(bin_ / "pip", "install", "-q", "--disable-pip-version-check", wheel, cwd=work)
    yield bin_, user_project(work / "project")


def test_the_wheel_ships_its_data_and_renders_a_sample_theme(installed: tuple[Path, Path]) -> None:
    bin_, project = installed
    text = _run(
        bin_ / "mailyard", "render", "welcome", "--theme", "acme", "--format", "text", cwd=project
    )
    assert "Acme Cloud" in text
    html = _run(bin_ / "mailyard", "render", "invitation", "--theme", "sakura", cwd=project)
    assert "data:image/png;base64," in html  # the shipped logo, inline


def test_the_wheel_serves_with_a_project_that_has_its_own_web_and_sandbox(
    installed: tuple[Path, Path],
) -> None:
    bin_, project = installed
    names = _run(
        bin_ / "python", "-c",
        "import web, sandbox, mailyard.web.app, mailyard.sandbox; print(web.NAME, sandbox.NAME)",
        cwd=project,
    )  # fmt: skip
    assert names.strip() == "the user's web the user's sandbox"
    log = project / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(bin_ / "mailyard"),
                "serve",
                "--smtp-port",
                "0",
                "--http-port",
                "0",
                "--db",
                "m.db",
            ],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(project)},
        )
    try:
        deadline = time.monotonic() + 30
        while not (match := READY.search(log.read_text())) and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)  # bounded wait for the ready line of a child process
        assert match, log.read_text()
        url = match.group(1)
        assert httpx.get(url + "/readyz").status_code == 200
        gallery = httpx.get(url + "/preview")
        assert gallery.status_code == 200 and "sakura" in gallery.text
    finally:
        process.terminate()
        assert process.wait(20) == 0, log.read_text()
