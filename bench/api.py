"""API latency with a large store: list newest 50, get one, search, at 10,000 and 100,000 messages.

    python bench/api.py [--sizes 10000,100000] [--requests 300]

The store is seeded in-process through the same ingest path SMTP uses (grouped commits), then a
fresh `mailyard serve` opens it and each endpoint is timed from a keep-alive HTTP client
(2 warm-up calls, then --requests timed calls). Prints p50/p99 in ms and the server's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import ROOT, percentile, start_mailyard

sys.path.insert(0, str(ROOT))
from mailyard.sandbox import Envelope, Store

WORDS = [
    "account",
    "password",
    "reset",
    "verify",
    "email",
    "invoice",
    "order",
    "shipped",
    "welcome",
    "team",
    "project",
    "update",
    "security",
    "notice",
    "sign",
    "login",
    "code",
    "confirm",
    "address",
    "billing",
    "receipt",
    "payment",
    "report",
    "weekly",
    "meeting",
    "schedule",
    "review",
    "approve",
    "request",
    "access",
    "invite",
    "member",
    "workspace",
    "release",
    "notes",
]
RARE = "zebra-quokka"


def message(rng: random.Random, i: int) -> tuple[bytes, Envelope]:
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))).capitalize()
    sender = rng.choice(
        [
            "Billing <billing@shop.example>",
            "Auth <no-reply@auth.example>",
            "Team <team@work.example>",
            "Alerts <alerts@ops.example>",
        ]
    )
    to = f"user{rng.randint(1, 5000)}@example.com"
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 160)))
    if i % 10_000 == 7:
        body += f" {RARE}"
    raw = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject} #{i}\r\nMessage-ID: <m{i}@bench>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()
    return raw, Envelope("bench@example.com", (to,), mailbox=f"box{i % 4}")


def seed(db: Path, start: int, stop: int) -> None:
    rng = random.Random(start)
    store = Store(str(db))
    store.open()

    async def go() -> None:
        for base in range(start, stop, 500):
            batch = [message(rng, i) for i in range(base, min(stop, base + 500))]
            await asyncio.gather(*(store.messages.ingest(raw, env) for raw, env in batch))

    asyncio.run(go())
    store.close()


def timed(client: httpx.Client, path: str, params: dict[str, object], n: int) -> list[float]:
    for _ in range(2):
        client.get(path, params=params)
    out = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path, params=params)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return out


def measure(db: Path, n: int) -> list[tuple[str, list[float]]]:
    proc = start_mailyard(db)
    results = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{proc.http_port}", timeout=30) as client:
            ids = [
                m["ID"]
                for m in client.get(
                    "/api/v1/messages", params={"limit": 1000, "start": 500}
                ).json()["messages"]
            ]
            results.append(("list newest 50", timed(client, "/api/v1/messages", {"limit": 50}, n)))
            results.append(
                (
                    "list newest 50, one mailbox",
                    timed(client, "/api/v1/messages", {"limit": 50, "mailbox": "box2"}, n),
                )
            )
            get_times = []
            for message_id in random.Random(1).sample(ids, min(n, len(ids))):
                get_times += timed(client, f"/api/v1/message/{message_id}", {}, 1)
            results.append(("get one message (JSON)", get_times))
            results.append(
                ("get raw source", timed(client, f"/api/v1/message/{ids[3]}/raw", {}, n))
            )
            for label, query in [
                (f"search rare body term ({RARE})", RARE),
                ("search common word, 50 newest", "invoice"),
                ("search from: field", "from:billing"),
                ("search two terms + negation", "security -notice"),
                ("search, no hit", "nothing-matches-this"),
            ]:
                results.append(
                    (label, timed(client, "/api/v1/search", {"query": query, "limit": 50}, n))
                )
            results.append(
                (
                    "wait, match already there",
                    timed(client, "/api/v1/messages/wait", {"query": RARE, "timeout": 1}, n),
                )
            )
            # The web inbox, rendered on the server (issue 5's budget: 100 ms at p99).
            results.append(("inbox page (HTML)", timed(client, "/", {}, n)))
            results.append(("inbox search page (HTML)", timed(client, "/", {"q": "invoice"}, n)))
            results.append(
                (
                    "inbox older rows, 99% deep (HTML)",
                    timed(client, "/ui/rows", {"before": "1000"}, n),
                )
            )
            results.append(("message page (HTML)", timed(client, f"/message/{ids[7]}", {}, n)))
        rss, peak = proc.status("VmRSS"), proc.status("VmHWM")
    finally:
        proc.stop()
    results.append((f"server RSS now / peak, MB: {rss:.1f} / {peak:.1f}", []))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="mailyard-api-bench-") as tmp:
        db = Path(tmp) / "api.db"
        have = 0
        for size in sizes:
            started = time.perf_counter()
            seed(db, have, size)
            print(
                f"seeded {size - have} messages in {time.perf_counter() - started:.1f} s "
                f"(database {db.stat().st_size / 1e6:.0f} MB)",
                flush=True,
            )
            have = size
            print(f"\n{size:,} stored messages: {'p50 ms':>8} {'p99 ms':>8}")
            for label, values in measure(db, args.requests):
                if values:
                    print(
                        f"  {label:42} {percentile(values, 50):8.2f} {percentile(values, 99):8.2f}"
                    )
                else:
                    print(f"  {label}")


if __name__ == "__main__":
    main()
