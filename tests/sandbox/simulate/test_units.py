"""Durations and percentages as settings spell them."""

from __future__ import annotations

import pytest

from mailyard.sandbox.simulate.units import format_duration, parse_duration, parse_percent


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [
        ("30s", 30, "30s"),
        ("1.5m", 90, "90s"),
        ("2h", 7200, "2h"),
        ("1d", 86400, "1d"),
        ("250ms", 0.25, "250ms"),
        ("120m", 7200, "2h"),
        (".5s", 0.5, "500ms"),
    ],
)
def test_durations(text: str, seconds: float, canonical: str) -> None:
    assert parse_duration(text, maximum=86400) == seconds
    assert format_duration(seconds) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "",
        "30",
        "s",
        "-1s",
        "1e3s",
        "infs",
        "nans",
        "3 s",
        "1.2.3s",
        "٣s",
        "0s",
        "2d",
        "9" * 30 + "s",
    ],
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text, maximum=86400)


def test_percentages() -> None:
    assert parse_percent("1%") == 1.0
    assert parse_percent("0.5") == 0.5
    for bad in ["", "%", "101%", "-1%", "1e1%", "nan%"]:
        with pytest.raises(ValueError):
            parse_percent(bad)
