"""The SNS oracle (`sns_verify.py`, beside this file) as a fixture.

Tests import with `--import-mode=importlib` and only `tests/` on the path, where a bare
`sandbox.` name would mean the code folder; so the oracle is loaded by path (the lead may move it
to `tests/support/`, the shared helpers, and import it from there).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mailyard_test_sns_verify", Path(__file__).with_name("sns_verify.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SNS_VERIFY = _load()


@pytest.fixture(scope="session")
def sns_verify() -> ModuleType:
    """AWS's documented SNS verification algorithm, written independently of mailyard."""
    return SNS_VERIFY
