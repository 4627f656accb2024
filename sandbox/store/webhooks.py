"""The webhooks repository: endpoints, one delivery per (endpoint, event) with its state, and
every attempt with its status code, latency and the first bytes of the answer."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace

from mailyard.sandbox.store.writer import Tx, Writer

FORMATS = ("sns", "eventbridge", "resend", "mailpit", "auth")


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    format: str  # sns | eventbridge | resend | mailpit | auth
    secret: str  # the whsec_ signing secret (resend, auth); "" for the others
    events: tuple[str, ...]  # event names in the format's vocabulary; empty: every event
    mailbox: str | None  # only this mailbox's events; None: every mailbox
    enabled: bool
    created: float
    confirmed: bool  # SNS: the receiver has visited the SubscribeURL

    def as_json(self, *, with_secret: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id,
            "url": self.url,
            "format": self.format,
            "events": list(self.events),
            "mailbox": self.mailbox,
            "enabled": self.enabled,
            "created": self.created,
            "confirmed": self.confirmed,
        }
        if with_secret and self.secret:
            out["secret"] = self.secret
        return out


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook: str
    event: int  # events.id, or for the mailpit format the message's seq
    message_key: str  # the id a retry repeats (svix-id, SNS MessageId)
    status: str  # pending | succeeded | failed | unconfirmed
    attempts: int
    next_attempt: float
    created: float
    payload: str = ""  # the body itself, for events not stored as simulator events (auth)


@dataclass(frozen=True)
class Attempt:
    at: float
    status_code: int | None
    latency_ms: float
    response: str
    error: str | None


def _endpoint(row: sqlite3.Row) -> Endpoint:
    return Endpoint(
        row["id"],
        row["url"],
        row["format"],
        row["secret"],
        tuple(json.loads(row["events"])),
        row["mailbox"],
        bool(row["enabled"]),
        float(row["created"]),
        bool(row["confirmed"]),
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        int(row["id"]),
        row["webhook"],
        int(row["event"]),
        row["message_key"],
        row["status"],
        int(row["attempts"]),
        float(row["next_attempt"]),
        float(row["created"]),
        row["payload"],
    )


_ROWS_PER_INSERT = 100  # 8 values a row: well under SQLite's 32,766 variables
_DELIVERY_COLUMNS = (
    "id, webhook, event, message_key, status, attempts, next_attempt, created, payload"
)


class Webhooks:
    """Endpoints and deliveries: reads on the reader, writes through the writer."""

    def __init__(self, reader: Callable[[], sqlite3.Connection], writer: Writer) -> None:
        self._reader = reader
        self._writer = writer

    # -- endpoints ---------------------------------------------------------------------------

    async def add(self, endpoint: Endpoint) -> Endpoint:
        def job(tx: Tx) -> Endpoint:
            tx.execute(
                "INSERT INTO webhooks (id, url, format, secret, events, mailbox, enabled, "
                "created, confirmed) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    endpoint.id,
                    endpoint.url,
                    endpoint.format,
                    endpoint.secret,
                    json.dumps(list(endpoint.events)),
                    endpoint.mailbox,
                    int(endpoint.enabled),
                    endpoint.created,
                    int(endpoint.confirmed),
                ),
            )
            return endpoint

        return await self._writer.run(job)

    async def remove(self, webhook_id: str) -> bool:
        def job(tx: Tx) -> bool:
            tx.execute(
                "DELETE FROM webhook_attempts WHERE delivery IN "
                "(SELECT id FROM webhook_deliveries WHERE webhook = ?)",
                (webhook_id,),
            )
            tx.execute("DELETE FROM webhook_deliveries WHERE webhook = ?", (webhook_id,))
            return bool(tx.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount)

        return await self._writer.run(job)

    async def confirm(self, webhook_id: str) -> bool:
        """An SNS receiver confirmed its subscription: deliveries held for it go out."""

        def job(tx: Tx) -> bool:
            changed = tx.execute(
                "UPDATE webhooks SET confirmed = 1 WHERE id = ? AND confirmed = 0", (webhook_id,)
            ).rowcount
            return bool(changed)

        return await self._writer.run(job)

    def endpoints(self) -> list[Endpoint]:
        rows = self._reader().execute(
            "SELECT id, url, format, secret, events, mailbox, enabled, created, confirmed "
            "FROM webhooks ORDER BY created, id"
        )
        return [_endpoint(r) for r in rows]

    def endpoint(self, webhook_id: str) -> Endpoint | None:
        return next((e for e in self.endpoints() if e.id == webhook_id), None)

    # -- deliveries --------------------------------------------------------------------------

    async def create(
        self, items: list[tuple[str, int, str, str]], now: float, payload: str = ""
    ) -> list[Delivery]:
        """New deliveries: (webhook, event, message key, status), due now; `payload` is the
        body when it is not rendered from a stored event."""

        def job(tx: Tx) -> list[Delivery]:
            made = []
            # One statement per 100 rows (an event fanned out to ten endpoints is one). Rows
            # are inserted in order, each id above the last; RETURNING (SQLite 3.35+) gives
            # them in no promised order, so they are sorted back into the rows' order.
            for at in range(0, len(items), _ROWS_PER_INSERT):
                chunk = items[at : at + _ROWS_PER_INSERT]
                ids = tx.execute(
                    "INSERT INTO webhook_deliveries (webhook, event, message_key, status, "
                    "attempts, next_attempt, created, payload) VALUES "
                    + ",".join(["(?,?,?,?,0,?,?,?)"] * len(chunk))
                    + " RETURNING id",
                    [v for w, e, k, st in chunk for v in (w, e, k, st, now, now, payload)],
                ).fetchall()
                made += [
                    Delivery(made_id, w, e, k, st, 0, now, now, payload)
                    for made_id, (w, e, k, st) in zip(
                        sorted(int(i) for (i,) in ids), chunk, strict=True
                    )
                ]
            return made

        return await self._writer.run(job) if items else []

    async def attempted(
        self, delivery: Delivery, attempt: Attempt, status: str, next_attempt: float
    ) -> Delivery:
        """Record an attempt and what follows it (succeeded, failed, pending again)."""
        (updated,) = await self.attempted_many([(delivery, attempt, status, next_attempt)])
        return updated

    async def attempted_many(
        self, items: list[tuple[Delivery, Attempt, str, float]]
    ) -> list[Delivery]:
        """Record attempts in one job (the dispatcher gathers those of one loop iteration)."""

        def job(tx: Tx) -> list[Delivery]:
            tx.conn.executemany(
                "INSERT INTO webhook_attempts (delivery, at, status_code, latency_ms, response, "
                "error) VALUES (?,?,?,?,?,?)",
                [
                    (d.id, a.at, a.status_code, a.latency_ms, a.response, a.error)
                    for d, a, _, _ in items
                ],
            )
            tx.conn.executemany(
                "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, "
                "next_attempt = ? WHERE id = ?",
                [(status, after, d.id) for d, _, status, after in items],
            )
            # The payload goes with it: a retry of an auth event re-sends the stored body.
            return [
                replace(d, status=status, attempts=d.attempts + 1, next_attempt=after)
                for d, _, status, after in items
            ]

        return await self._writer.run(job) if items else []

    async def requeue(self, ids: list[int], now: float) -> list[Delivery]:
        """Send these again now (a manual redelivery, or an SNS subscription just confirmed)."""

        def job(tx: Tx) -> list[Delivery]:
            marks = ",".join("?" * len(ids))
            tx.execute(
                f"UPDATE webhook_deliveries SET status = 'pending', next_attempt = ? "
                f"WHERE id IN ({marks})",
                (now, *ids),
            )
            rows = tx.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id IN ({marks})", ids
            )
            return [_delivery(r) for r in rows]

        return await self._writer.run(job) if ids else []

    def pending(self) -> list[Delivery]:
        rows = self._reader().execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status = 'pending' "
            "ORDER BY next_attempt, id"
        )
        return [_delivery(r) for r in rows]

    def held(self, webhook_id: str) -> list[Delivery]:
        rows = self._reader().execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook = ? AND "
            "status = 'unconfirmed' ORDER BY id",
            (webhook_id,),
        )
        return [_delivery(r) for r in rows]

    def delivery(self, delivery_id: int) -> Delivery | None:
        row = (
            self._reader()
            .execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?", (delivery_id,)
            )
            .fetchone()
        )
        return _delivery(row) if row else None

    def count(self, webhook_id: str) -> int:
        """How many deliveries a webhook has had."""
        row = (
            self._reader()
            .execute("SELECT count(*) FROM webhook_deliveries WHERE webhook = ?", (webhook_id,))
            .fetchone()
        )
        return int(row[0])

    def recent(self, webhook_id: str, limit: int = 50) -> list[tuple[Delivery, list[Attempt]]]:
        """A webhook's newest deliveries, newest first, each with its attempts (oldest first):
        two queries, whatever `limit` (at most 1000)."""
        reader = self._reader()
        found = [
            _delivery(row)
            for row in reader.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook = ? "
                "ORDER BY id DESC LIMIT ?",
                (webhook_id, min(limit, 1000)),
            )
        ]
        attempts: dict[int, list[Attempt]] = {d.id: [] for d in found}
        if found:
            marks = ",".join("?" * len(found))
            for a in reader.execute(
                "SELECT delivery, at, status_code, latency_ms, response, error FROM "
                f"webhook_attempts WHERE delivery IN ({marks}) ORDER BY id",
                [d.id for d in found],
            ):
                attempts[int(a[0])].append(Attempt(float(a[1]), a[2], float(a[3]), a[4], a[5]))
        return [(d, attempts[d.id]) for d in found]

    def deliveries(
        self, webhook_id: str, *, after: int = 0, limit: int = 100
    ) -> list[tuple[Delivery, list[Attempt]]]:
        """A webhook's deliveries after a cursor, oldest first, each with its attempts."""
        reader = self._reader()
        rows = reader.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook = ? AND id > ? "
            "ORDER BY id LIMIT ?",
            (webhook_id, after, min(limit, 1000)),
        ).fetchall()
        out = []
        for row in rows:
            delivery = _delivery(row)
            attempts = [
                Attempt(float(a[0]), a[1], float(a[2]), a[3], a[4])
                for a in reader.execute(
                    "SELECT at, status_code, latency_ms, response, error FROM webhook_attempts "
                    "WHERE delivery = ? ORDER BY id",
                    (delivery.id,),
                )
            ]
            out.append((delivery, attempts))
        return out
