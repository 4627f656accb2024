"""The providers' time formats, exact to their unit and stable across float noise."""

from __future__ import annotations

from mailyard.sandbox.simulate.stamps import epoch_ms, iso_micro, iso_ms, iso_seconds


def test_each_form() -> None:
    at = 1509370931.941  # stored as 1509370931.9409999...
    assert iso_ms(at) == "2017-10-30T13:42:11.941Z"
    assert iso_micro(1795390871.894719) == "2026-11-22T23:41:11.894719+00:00"
    assert iso_seconds(at) == "2017-10-30T13:42:11Z"
    assert epoch_ms(at) == 1509370931941


def test_rounding_carries_into_the_second() -> None:
    assert iso_ms(59.9996) == "1970-01-01T00:01:00.000Z"
    assert iso_micro(0.0000004) == "1970-01-01T00:00:00.000000+00:00"
    assert iso_seconds(59.9996) == "1970-01-01T00:00:59Z"
