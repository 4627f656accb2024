"""schemathesis against the real `mailyard serve`, bounded for CI (a few examples per operation,
a fixed seed): with Mailpit's own API description (tests/data/mailpit), and with ours.

Mailpit's description: every answer must be one it describes (status, schema, headers), and
none may be a server error. Three checks are left out because Mailpit itself fails them against
its own description: it declares JSON for errors it writes as plain text
(`content_type_conformance`), refuses requests its schemas allow, such as an empty `query`
(`positive_data_acceptance`), and accepts ones they forbid, such as an overflowing `start`
(`negative_data_rejection`). mailyard follows Mailpit's behaviour there, not its description.

Ours: every check. `positive_data_acceptance` is off only where Mailpit answers a well-formed
request for something that does not exist with 400 (a tag's rename or deletion, a thumbnail),
which mailyard keeps; the long poll (`/messages/wait`) is left out of a bounded run.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.servers import Process, start_process

MAILPIT_SWAGGER = Path(__file__).parent.parent / "data" / "mailpit" / "swagger.json"
RUN = [sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()"]
BOUNDS = [
    "--generation-codec",
    "utf-8",
    "--max-examples",
    "5",
    "--workers",
    "1",
    "--seed",
    "1",
    "--no-color",
    "--phases",
    "examples,coverage,fuzzing",
    "--request-timeout",
    "20",
]
# The routes issue 14 shaped (Mailpit's, MailHog's, Inbucket's and mailyard's CI extensions);
# the emulators and the simulator are tested on their own.
OURS = (
    r"^/(api/v1/(messages|search|message/|tags|send|info|webui|swagger|openapi|mailbox)"
    r"|api/v2/|view/|metrics|livez|readyz)"
)
OWN_CONFIG = """\
[[operations]]
include-path-regex = '^/api/v1/tags/\\{tag\\}$|/thumb$'
checks.positive_data_acceptance.enabled = false
"""


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    server = start_process(tmp_path_factory.mktemp("schemas"))
    yield server
    assert server.stop() == 0, server.output()


def _schemathesis(*args: str, cwd: Path) -> None:
    result = subprocess.run([*RUN, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]


def test_mailpits_description_holds(target: Process, tmp_path: Path) -> None:
    _schemathesis(
        "run",
        str(MAILPIT_SWAGGER),
        "--url",
        target.url,
        "--checks",
        "all",
        "--exclude-checks",
        "content_type_conformance,positive_data_acceptance,negative_data_rejection",
        *BOUNDS,
        cwd=tmp_path,
    )


def test_our_description_holds(target: Process, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(OWN_CONFIG)
    _schemathesis(
        "--config-file",
        str(config),
        "run",
        f"{target.url}/api/v1/openapi.json",  # every check: schemathesis's default
        "--include-path-regex",
        OURS,
        "--exclude-path-regex",
        r"/messages/wait$",
        *BOUNDS,
        cwd=tmp_path,
    )
