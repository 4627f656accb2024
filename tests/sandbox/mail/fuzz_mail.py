"""Coverage-guided fuzzing of how a captured message is read (issue 9): atheris over the MIME
reader, the summary, the view, part downloads, html_to_text and link and code extraction.

    pip install atheris
    python tests/sandbox/mail/fuzz_mail.py -max_total_time=600 -max_len=65536 CORPUS_DIR
    python tests/sandbox/mail/fuzz_mail.py --replay CORPUS_DIR SLOW_DIR

Half of the inputs are messages as they are; the other half are small programs that expand
into large messages (a piece of the input, or a known hostile run, repeated up to 5,000 times),
so a tiny input reaches the sizes where a super-linear path shows.

Any exception fails the run. Time is judged twice, because atheris' instrumentation makes the
code 10-50x slower: while fuzzing, a call over 400x the budget fails at once (only a quadratic
path gets there) and one over 20x is saved to SLOW_DIR (MAILYARD_FUZZ_SLOW, default
./fuzz-slow); `--replay` then runs every saved input and the corpus uninstrumented and fails any
call over the budget itself, 50 ms per 100 KB (at least 50 ms), times REPLAY_SLACK (the fastest
of three runs is judged).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import atheris

REPLAY_SLACK = 2  # a shared machine; the quadratic paths this hunts miss by far more
CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
PIECES = [
    b"\r\n",
    b"\n",
    b"\r\n\r\n",
    b"--b",
    b"--b--",
    b"--c",
    b"Content-Type: multipart/mixed; boundary=b\r\n",
    b"Content-Type: multipart/alternative; boundary=c\r\n",
    b"Content-Type: text/html; charset=utf-8\r\n",
    b"Content-Type: text/plain; charset=x-unknown\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Disposition: attachment; filename*0*=utf-8''%C3; filename*1*=%A9\r\n",
    b"Content-ID: <a@b>\r\n",
    b"Subject: =?utf-8?q?=C3=A9?= =?utf-8?b?w6k=?=\r\n",
    b'To: "a, b" <a@b>, (c) d@e, g: h@i;\r\n',
    b"Date: Tue, 03 Nov 2026 10:00:00 +0100\r\n",
    b"<style>",
    b"</style>",
    b"<head>",
    b"<body>",
    b"&#x1F600;",
    b"\xff\xfe",
]
RUNS = [b" ", b"a", b"a;", b"<", b"<style ", b"(", b'"', b"=\r\n", b"=?a?q?b?= ", b"\r\n--b"]


def expand(data: bytes) -> bytes:
    """Read `data` as a program: literal bytes, known pieces, runs repeated thousands of times."""
    fdp = atheris.FuzzedDataProvider(data)
    pieces = []
    while fdp.remaining_bytes() and len(pieces) < 64:
        op = fdp.ConsumeIntInRange(0, 3)
        if op == 0:
            pieces.append(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)))
        elif op == 1:
            pieces.append(PIECES[fdp.ConsumeIntInRange(0, len(PIECES) - 1)])
        elif op == 2:
            run = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 16))
            pieces.append(run * fdp.ConsumeIntInRange(1, 5000))
        else:
            run = RUNS[fdp.ConsumeIntInRange(0, len(RUNS) - 1)]
            pieces.append(run * fdp.ConsumeIntInRange(1, 5000))
    return b"".join(pieces)


def message_of(data: bytes) -> bytes:
    return expand(data[1:]) if data[:1] and data[0] & 1 else data


def budget(size: int) -> float:
    return 0.050 * max(1.0, size / 102_400)


class Target:
    """One input through every reader; `judge(seconds, size, what)` decides about time."""

    def __init__(self, judge: Callable[[float, int, str], None], repeats: int = 1) -> None:
        from mailyard.sandbox.mail import mimetree
        from mailyard.sandbox.mail.codes import extract_codes
        from mailyard.sandbox.mail.links import extract_links
        from mailyard.sandbox.mail.summary import html_to_text, summarize
        from mailyard.sandbox.mail.view import message_part, view_message

        self.parse, self.summarize, self.html_to_text = mimetree.parse, summarize, html_to_text
        self.extract_links, self.extract_codes = extract_links, extract_codes
        self.view_message, self.message_part = view_message, message_part
        self.judge, self.repeats = judge, repeats

    def timed(self, size: int, what: str, call: Callable[[], object]) -> None:
        """Judge the fastest of `repeats` runs, in this process's CPU time: other processes on
        the machine do not count, and a pause only ever adds time."""
        took = []
        for _ in range(self.repeats):
            started = time.process_time()
            call()
            took.append(time.process_time() - started)
        self.judge(min(took), size, what)

    def __call__(self, raw: bytes) -> None:
        size = len(raw)
        self.timed(size, "summarize", lambda: self.summarize(raw, ["rcpt@example.com"]))
        self.timed(size, "parse", lambda: self.parse(raw))
        self.timed(size, "view_message", lambda: self.view_message(raw))
        view = self.view_message(raw)
        self.timed(len(view.html), "html_to_text", lambda: self.html_to_text(view.html))
        bodies = len(view.text) + len(view.html)
        self.timed(bodies, "extract_links", lambda: self.extract_links(view.text, view.html))
        self.timed(bodies, "extract_codes", lambda: self.extract_codes("", view.text, view.html))
        for part in (view.attachments + view.inline)[:5]:
            self.timed(size, "message_part", lambda p=part: self.message_part(raw, p.part_id))
            info, content = self.message_part(raw, part.part_id)
            assert info.size == len(content)
            assert re.fullmatch(r"[!-~]+/[!-~]+", info.content_type), info.content_type
            assert not CONTROLS.search(info.filename + info.content_id)


def fuzz(argv: list[str]) -> None:
    slow_dir = Path(os.environ.get("MAILYARD_FUZZ_SLOW", "fuzz-slow"))
    slow_dir.mkdir(parents=True, exist_ok=True)
    current: list[bytes] = [b""]

    def judge(seconds: float, size: int, what: str) -> None:
        if seconds > 400 * budget(size):
            raise AssertionError(f"{what}: {seconds * 1000:.0f} ms for {size} bytes")
        if seconds > 20 * budget(size):
            name = hashlib.sha1(current[0]).hexdigest()
            (slow_dir / name).write_bytes(current[0])

    with atheris.instrument_imports(include=["mailyard.sandbox.mail"]):
        target = Target(judge)

    def one_input(data: bytes) -> None:
        current[0] = data
        target(message_of(data))

    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def replay(folders: list[str]) -> int:
    failures: list[str] = []
    worst = [0.0, ""]

    def judge(seconds: float, size: int, what: str) -> None:
        ratio = seconds / budget(size)
        if ratio > worst[0]:
            worst[:] = [ratio, f"{what}: {seconds * 1000:.1f} ms for {size} bytes"]
        if ratio > REPLAY_SLACK:
            failures.append(f"{what}: {seconds * 1000:.0f} ms for {size} bytes")

    target = Target(judge, repeats=3)
    files = [f for folder in folders for f in sorted(Path(folder).iterdir()) if f.is_file()]
    for file in files:
        before = len(failures)
        target(message_of(file.read_bytes()))
        if len(failures) > before:
            print(f"{file}: {failures[-1]}")
    print(f"replayed {len(files)} inputs; worst {worst[0]:.2f} x budget ({worst[1]})")
    print(f"{len(failures)} over {REPLAY_SLACK} x budget")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--replay"]:
        sys.exit(replay(sys.argv[2:]))
    fuzz(sys.argv)
