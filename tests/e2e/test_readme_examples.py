"""Every shell example in README.md runs as written, against a live `mailyard serve`.

The convention (the README follows it; this test reads whatever examples are there):

- Every fenced block tagged `sh`, `bash`, `shell` or `console` is an example. Each block runs as
  one bash script (`set -euo pipefail`, so a failing line or pipe fails it), blocks in README
  order, each in a fresh empty folder, all against one `mailyard serve` this test started on
  free ports with an empty store.
- In a `console` block only lines starting with `$ ` are commands; the rest is shown output.
- Ports: examples are written with the defaults (SMTP 1025, HTTP 8025). The test exports
  MAILYARD_SMTP_PORT and MAILYARD_HTTP_PORT with the live ports, as the README tells a user to
  do, and writes the live ports for the literal 1025 and 8025 in other commands (curl, python).
- Set-up lines are not run here, each replaced by `:` (test_packaging and CI run them):
  installing (`pip`, `pipx`, `uv`, `python3 -m venv`, activating a venv), `mailyard serve` (the
  live server stands in for it) and the development tools (`bash .ci/...`, `pytest`, `mypy`,
  `ruff`, `pybabel`). A line joining set-up and use with `&&` keeps the use.
- A block directly preceded by `<!-- not run: REASON -->` is skipped (say why).
- An example passes when its script exits 0 and its output says nothing went wrong: no
  traceback, no line starting `Error:`, `warning:` or `not sent`, no API error object. One that
  shows a refusal on purpose belongs in a `<!-- not run: ... -->` block.

The environment is clean (no provider keys from the developer's shell): what an example needs
is written in the example.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.servers import Process, start_process

README = Path(__file__).resolve().parents[2] / "README.md"
SHELLS = ("sh", "bash", "shell", "console")
FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
SKIP_MARK = re.compile(r"<!--\s*not run:\s*\S")
SETUP = re.compile(
    r"""^\s*(
        (sudo\s+)?(python3?\s+-m\s+)?(pip|pipx|uv|npm)\s |   # installers
        python3?\s+-m\s+venv\b | (\.|source)\s+\S*activate\b |
        mailyard\s+serve\b |                                  # the live server stands in
        bash\s+\.ci/ | (python3?\s+-m\s+)?(pytest|mypy|ruff|pybabel)\b
    )""",
    re.VERBOSE,
)
FAILED = re.compile(
    r'Traceback \(most recent call last\)|^Error:|^warning:|^not sent|\{"error"', re.M
)
TIMEOUT = 120.0


@dataclass(frozen=True)
class Example:
    """One shell block of the README: where it starts, and its commands."""

    line: int
    script: str


def examples(text: str) -> list[Example]:
    """The README's shell examples, by the convention above (blocks marked not run left out)."""
    found = []
    for match in FENCE.finditer(text):
        language, body = match.group(1).lower(), match.group(2)
        if language not in SHELLS or _marked_not_run(text[: match.start()]):
            continue
        lines = _joined(body.splitlines())
        if language == "console":
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        commands = [_without_setup(line) for line in lines]
        found.append(Example(text.count("\n", 0, match.start()) + 1, "\n".join(commands)))
    return found


def _marked_not_run(before: str) -> bool:
    """Whether the text before a block ends with a `<!-- not run: REASON -->` comment."""
    before = before.rstrip()
    start = before.rfind("<!--")
    return before.endswith("-->") and start >= 0 and bool(SKIP_MARK.match(before, start))


def _joined(lines: list[str]) -> list[str]:
    """Lines with their backslash continuations joined: one command per entry."""
    joined: list[str] = []
    pending = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [*joined, pending] if pending else joined


def _without_setup(command: str) -> str:
    parts = [part for part in command.split("&&") if not SETUP.match(part)]
    return " && ".join(p.strip() for p in parts) if parts else ":"


def with_ports(script: str, smtp_port: int, http_port: int) -> str:
    """The literal default ports of non-mailyard commands, replaced by the live ones."""
    return re.sub(r"\b1025\b", str(smtp_port), re.sub(r"\b8025\b", str(http_port), script))


def _bin(folder: Path) -> Path:
    """A PATH folder where `mailyard`, `python3` and `python` are this test's interpreter."""
    folder.mkdir()
    (folder / "mailyard").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mailyard.web "$@"\n')
    (folder / "mailyard").chmod(0o755)
    for name in ("python3", "python"):
        (folder / name).symlink_to(sys.executable)
    return folder


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    srv = start_process(tmp_path_factory.mktemp("readme-server"))
    yield srv
    assert srv.stop() == 0, srv.output()


def test_the_readme_has_shell_examples() -> None:
    assert examples(README.read_text(encoding="utf-8")), "README.md has no shell examples"


def test_the_convention_reads_blocks_as_documented() -> None:
    text = (
        "```sh\npip install -e . && mailyard serve     # start\nmailyard render --list\n```\n"
        "<!-- not run: installs things -->\n```bash\nsudo apt-get install x\n```\n"
        "```console\n$ curl -s http://127.0.0.1:8025/livez \\\n  -o x\nok\n```\n"
        "```python\nprint(1)\n```\n"
    )
    found = examples(text)
    assert [e.script for e in found] == [
        ":\nmailyard render --list",
        "curl -s http://127.0.0.1:8025/livez    -o x",
    ]
    assert [e.line for e in found] == [1, 9]
    assert (
        with_ports(found[1].script, 40001, 40002) == "curl -s http://127.0.0.1:40002/livez    -o x"
    )


def _ids() -> list[str]:
    try:
        return [f"README.md:{e.line}" for e in examples(README.read_text(encoding="utf-8"))]
    except OSError:
        return []


@pytest.mark.parametrize("index", range(len(_ids())), ids=_ids())
def test_each_readme_example_runs_as_written(live: Process, tmp_path: Path, index: int) -> None:
    example = examples(README.read_text(encoding="utf-8"))[index]
    bin_ = _bin(tmp_path / "bin")
    work = tmp_path / "work"
    work.mkdir()
    env = {
        "PATH": f"{bin_}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(work),
        "LANG": "C.UTF-8",
        "MAILYARD_SMTP_PORT": str(live.smtp_port),
        "MAILYARD_HTTP_PORT": str(live.http_port),
    }
    script = with_ports(example.script, live.smtp_port, live.http_port)
    result = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-c", "set -euo pipefail\n" + script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    output = result.stdout + result.stderr
    told = f"README.md:{example.line}\n$ {script}\n--- exit {result.returncode}\n{output}"
    assert result.returncode == 0, told
    assert not FAILED.search(output), told
