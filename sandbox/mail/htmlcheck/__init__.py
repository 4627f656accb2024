"""Mailpit's HTML compatibility check, from caniemail's data: bounded, offline, pure."""

from __future__ import annotations

from mailyard.sandbox.mail.htmlcheck.check import check_html
from mailyard.sandbox.mail.htmlcheck.result import (
    ClientResult,
    ClientScore,
    Cost,
    FeatureWarning,
    HTMLCheckResult,
    Score,
    Total,
)

__all__ = [
    "ClientResult",
    "ClientScore",
    "Cost",
    "FeatureWarning",
    "HTMLCheckResult",
    "Score",
    "Total",
    "check_html",
]
