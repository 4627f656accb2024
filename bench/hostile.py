"""Hostile messages against a real `mailyard serve`: does any shape freeze the loop or bloat RSS?

    python bench/hostile.py [--cases ctype_aaa,style,...] [--json out.json]

Each case starts a fresh server (so VmHWM is that case's peak), sends one message over SMTP and
then reads it the ways CI and the inbox do: `GET /api/v1/message/latest`, `.../links`,
`.../codes`, `/view/<id>.html`, and the first attachment when there is one. Meanwhile a probe
thread hits `GET /livez` every 10 ms on its own keep-alive connection; its worst latency is how
long the event loop was blocked (a server-side loop-lag probe is not available, so this measures
from outside). Goals (issue 9): no loop stall over 50 ms, peak RSS at most 3 x size + 100 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import loadgen
from common import Proc, start_mailyard

MB = 1024 * 1024
HEAD = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hostile\r\n"


def ctype_semicolons() -> bytes:
    """The issue's words: a 40 KB Content-Type whose parameters have no `=`."""
    return HEAD + b"Content-Type: text/plain; " + b"a;" * 20_000 + b"\r\n\r\nbody\r\n"


def ctype_one_word() -> bytes:
    """40 KB of one parameter name, no `=` and no `;`: what makes `_PARAM` backtrack."""
    return HEAD + b"Content-Type: text/plain; " + b"a" * 40_000 + b"\r\n\r\nbody\r\n"


def style_tags() -> bytes:
    return HEAD + b"Content-Type: text/html\r\n\r\n" + b"<style " * 8000 + b"\r\n"


def lt_signs() -> bytes:
    return HEAD + b"Content-Type: text/html\r\n\r\n" + b"<" * 20_000 + b"\r\n"


def to_spaces() -> bytes:
    return b"From: a@example.com\r\nTo: " + b" " * 20_000 + b"\r\nSubject: s\r\n\r\nbody\r\n"


def to_spaces_between() -> bytes:
    """20,000 spaces between two words: the simple-address regex backtracks."""
    return b"From: a@example.com\r\nTo: a" + b" " * 20_000 + b"b\r\nSubject: s\r\n\r\nbody\r\n"


def to_20000_addresses() -> bytes:
    addresses = b", ".join(b'"User %d" <u%d@example.com>' % (i, i) for i in range(20_000))
    return b"From: a@example.com\r\nTo: " + addresses + b"\r\nSubject: s\r\n\r\nbody\r\n"


def nested_attachment(levels: int = 49, encoded: int = 47 * MB) -> bytes:
    """The issue's 2.6 GB case: 49 nested multipart/mixed around one big base64 attachment."""
    payload = base64.encodebytes(os.urandom(encoded * 3 // 4)).replace(b"\n", b"\r\n")
    opens = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(levels - 1)
    )
    leaf = (
        b"--b%d\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=big.bin\r\n\r\n" % (levels - 1)
    )
    closes = b"".join(b"--b%d--\r\n" % i for i in reversed(range(levels)))
    return (
        HEAD
        + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
        + opens
        + leaf
        + payload
        + b"\r\n"
        + closes
    )


def deep_nesting() -> bytes:
    """2,000 levels in ~100 KB: CPython's email recurses to a RecursionError."""
    return (
        HEAD
        + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
        + b"".join(
            b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
            for i in range(2000)
        )
    )


def rfc2231_segments() -> bytes:
    segments = b"".join(b";\r\n filename*%d*=%%41%%42" % i for i in range(5000))
    return (
        HEAD + b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment" + segments + b"\r\n\r\n"
        b"%PDF\r\n--x--\r\n"
    )


def encoded_words() -> bytes:
    words = b" ".join(b"=?utf-8?q?w=C3=A9?=" for _ in range(100_000))
    return b"From: a@example.com\r\nSubject: " + words + b"\r\n\r\nbody\r\n"


def long_header() -> bytes:
    return HEAD + b"X-Long: " + b"x" * (10 * MB) + b"\r\n\r\nbody\r\n"


def many_headers() -> bytes:
    return HEAD + b"".join(b"X-H%d: v\r\n" % i for i in range(100_000)) + b"\r\nbody\r\n"


def thousand_parts() -> bytes:
    parts = b"".join(
        b"--x\r\nContent-Type: text/plain; charset=x-unknown-%d\r\n"
        b"Content-Disposition: attachment; filename=f%d.txt\r\n\r\npart %d\r\n" % (i, i, i)
        for i in range(1100)
    )
    return HEAD + b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + parts + b"--x--\r\n"


def base64_junk() -> bytes:
    clean = base64.b64encode(("Grüße aus Köln. " * 400_000).encode())
    junk = b"!".join(clean[i : i + 3] for i in range(0, len(clean), 3))
    return (
        HEAD
        + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + junk
        + b"\r\n"
    )


def qp_soft_breaks() -> bytes:
    chars = b"<p>hello</p>" * 200_000
    body = b"=\r\n".join(chars[i : i + 1] for i in range(len(chars)))
    return (
        HEAD
        + b"Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + body
        + b"\r\n"
    )


def big_html() -> bytes:
    """40 MB of HTML with one emoji: decoded to str it is 4 bytes a character."""
    return (
        HEAD
        + b"Content-Type: text/html; charset=utf-8\r\n\r\n\xf0\x9f\x98\x80"
        + b"<p>Your code is 123456</p>\r\n" * (40 * MB // 28)
    )


def cr_content_type() -> bytes:
    """Issue 9, break 10: a bare CR in an attachment's Content-Type broke its download."""
    return (
        HEAD + b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain"
        b"\r\n\r\nhello\r\n--x\r\nContent-Type: application/pdf\rX-Injected: yes\r\n"
        b"Content-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF\r\n--x--\r\n"
    )


def char_refs() -> bytes:
    return HEAD + b"Content-Type: text/html\r\n\r\n<p>&#" + b"1" * 5000 + b";</p>\r\n"


CASES: dict[str, Callable[[], bytes]] = {
    "ctype_semicolons": ctype_semicolons,
    "ctype_one_word": ctype_one_word,
    "style_x8000": style_tags,
    "lt_x20000": lt_signs,
    "to_20000_spaces": to_spaces,
    "to_a_spaces_b": to_spaces_between,
    "to_20000_addrs": to_20000_addresses,
    "nested49_48MB": nested_attachment,
    "nested_2000": deep_nesting,
    "rfc2231_x5000": rfc2231_segments,
    "words_x100000": encoded_words,
    "header_10MB": long_header,
    "headers_x100000": many_headers,
    "parts_x1100": thousand_parts,
    "base64_junk": base64_junk,
    "qp_soft_breaks": qp_soft_breaks,
    "html_40MB_emoji": big_html,
    "charref_5000": char_refs,
    "cr_content_type": cr_content_type,
}


class Probe(threading.Thread):
    """GET /livez every 10 ms; `worst()` is the slowest answer since the last `reset()`."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=url, timeout=600)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.worst_s = 0.0
        self.failures = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                self.client.get("/livez").raise_for_status()
            except httpx.HTTPError:
                self.failures += 1
            took = time.perf_counter() - started
            with self.lock:
                self.worst_s = max(self.worst_s, took)
            self.stopping.wait(0.01)

    def reset(self) -> float:
        with self.lock:
            worst, self.worst_s = self.worst_s, 0.0
        return worst * 1000

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=600)
        self.client.close()


@dataclass
class Result:
    case: str
    size_mb: float
    ingest_ms: float
    probe_ingest_ms: float
    views_ms: dict[str, float]
    probe_views_ms: float
    rss_base_mb: float
    rss_ingest_mb: float
    rss_peak_mb: float
    statuses: dict[str, int]


async def send(port: int, message: bytes) -> float:
    session = await loadgen.Session.open(port)
    try:
        return await session.send(loadgen.data_block(message))
    finally:
        await session.close()


def run_case(name: str, message: bytes, folder: Path) -> Result:
    proc: Proc = start_mailyard(folder / "m.db")
    url = f"http://127.0.0.1:{proc.http_port}"
    probe = Probe(url)
    try:
        with httpx.Client(base_url=url, timeout=600) as api:
            api.get("/api/v1/messages").raise_for_status()  # warm: imports, first queries
            proc.settle()  # and what the server loads after its start (web/warmup.py)
            base = proc.status("VmRSS")
            probe.start()
            ingest = asyncio.run(send(proc.smtp_port, message)) * 1000
            probe_ingest = probe.reset()
            peak_ingest = proc.status("VmHWM")
            views: dict[str, float] = {}
            statuses: dict[str, int] = {}

            def timed(label: str, path: str) -> httpx.Response:
                started = time.perf_counter()
                try:
                    response = api.get(path)
                except httpx.TransportError:  # the server dropped the connection
                    response = httpx.Response(599)
                views[label] = (time.perf_counter() - started) * 1000
                statuses[label] = response.status_code
                return response

            latest = timed("latest", "/api/v1/message/latest")
            message_id = latest.json()["ID"] if latest.is_success else "latest"
            timed("links", f"/api/v1/message/{message_id}/links")
            timed("codes", f"/api/v1/message/{message_id}/codes")
            timed("view", f"/view/{message_id}.html")
            attachments = latest.json().get("Attachments") if latest.is_success else None
            if attachments:
                timed("part", f"/api/v1/message/{message_id}/part/{attachments[0]['PartID']}")
            probe_views = probe.reset()
            peak = proc.status("VmHWM")
    finally:
        probe.stop()
        proc.stop()
    return Result(
        name,
        len(message) / MB,
        ingest,
        probe_ingest,
        views,
        probe_views,
        base,
        peak_ingest,
        peak,
        statuses,
    )


def row(r: Result) -> str:
    goal = 3 * r.size_mb + 100
    worst_view = max(r.views_ms.values(), default=0.0)
    slowest = max(r.views_ms, key=lambda k: r.views_ms[k], default="")
    bad = {k: v for k, v in r.statuses.items() if v != 200}
    return (
        f"{r.case:18} {r.size_mb:8.2f} {r.ingest_ms:10.0f} {r.probe_ingest_ms:9.0f} "
        f"{worst_view:8.0f} {slowest:>6} {r.probe_views_ms:9.0f} "
        f"{r.rss_base_mb:5.0f}/{r.rss_ingest_mb:4.0f}/{r.rss_peak_mb:<5.0f} {goal:8.0f}  "
        f"{bad or 'all 200'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    print(
        f"{'case':18} {'size MB':>8} {'ingest ms':>10} {'probe ms':>9} {'view ms (max)':>15} "
        f"{'probe ms':>9} {'RSS base/ingest/peak':>20} {'goal MB':>8}  statuses",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="mailyard-hostile-") as tmp:
        for name in args.cases.split(","):
            folder = Path(tmp) / name
            folder.mkdir()
            result = run_case(name, CASES[name](), folder)
            results.append(result)
            print(row(result), flush=True)
            if args.json:
                args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    print(
        "probe ms: worst GET /livez latency (every 10 ms) during ingest, then during the views;"
        " status 599: the server dropped the connection."
        " goal 50 ms.\nview ms: the slowest of latest, links, codes, view (and part). RSS goal:"
        " 3 x size + 100 MB, against the server's VmHWM\n(base: before the message; ingest: peak"
        " after the SMTP ingest; peak: after every view)."
    )


if __name__ == "__main__":
    main()
