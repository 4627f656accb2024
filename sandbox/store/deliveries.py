"""The simulator's repository, `Deliveries`: per-recipient plans (deliveries), the provider
events that tell them (scheduled, then occurred), and the account-level suppression list. It
joins three parts, each in a module of its own: recording plans and events
(`delivery_writes`), looking them up (`delivery_lookups`) and the suppression list
(`suppressions`); the stored shapes are in `event_records`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from mailyard.sandbox.store.delivery_lookups import DeliveryLookups
from mailyard.sandbox.store.delivery_writes import DeliveryWrites
from mailyard.sandbox.store.suppressions import SuppressionList
from mailyard.sandbox.store.writer import Writer


class Deliveries(DeliveryWrites, DeliveryLookups, SuppressionList):
    """Plans, events and the suppression list."""

    def __init__(self, reader: Callable[[], sqlite3.Connection], writer: Writer) -> None:
        self._reader = reader
        self._writer = writer
