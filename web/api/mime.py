"""A stored message as Mailpit presents it: its parts sorted into `Inline` and `Attachments`,
and its header block as `/headers` gives it.

Parts are sorted by `sandbox.mail.partkinds` (enmime's rules, as Mailpit uses them; the
summary's counts use the same): `Inline` is the inline parts then the other parts, breadth
first, and both lists keep only parts with a file name or a Content-ID (Mailpit's filter).

Headers (`net/mail.ReadMessage`, Go's textproto): names in canonical case (`Message-Id`,
`Mime-Version`), values raw (encoded words stay encoded), a folded header joined with one space
between its trimmed lines; plus what Mailpit writes into a message it receives (its `Return-Path`,
a generated `Message-Id`, a `Bcc` for envelope recipients no header names). mailyard never writes
those into the stored bytes; they are shown here as Mailpit would show them.
"""

from __future__ import annotations

from mailyard.sandbox import (
    ATTACHMENT,
    INLINE,
    OTHER,
    MessageRecord,
    MessageView,
    Part,
    mimetree,
    part_kinds,
)

MAX_HEADER_BLOCK = 1024 * 1024
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def mailpit_parts(root: mimetree.Node, view: MessageView) -> tuple[list[Part], list[Part]]:
    """(Inline, Attachments) as Mailpit lists them, from the part tree and the view's described
    parts (both of one parse: `view_tree`)."""
    described = {p.part_id: p for p in (*view.inline, *view.attachments)}
    kinds = part_kinds(root)

    def of(kind: str) -> list[Part]:
        ids = sorted((pos, pid) for pid, (k, pos) in kinds.items() if kind in k)
        parts = [described[pid] for _, pid in ids if pid in described]
        return [p for p in parts if p.filename or p.content_id]

    return of(INLINE) + of(OTHER), of(ATTACHMENT)


def canonical_key(name: str) -> str:
    """Go's `textproto.CanonicalMIMEHeaderKey`: `message-ID` -> `Message-Id`; a name with a
    character that is not a token character is left as it is."""
    if not name or any(c not in _TOKEN for c in name):
        return name
    out, upper = [], True
    for c in name:
        out.append(c.upper() if upper else c.lower())
        upper = c == "-"
    return "".join(out)


def _text(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def raw_headers(raw: bytes) -> list[tuple[str, str]]:
    """The header block as Go's textproto reads it (lines it cannot read are skipped).

    A folded header's lines are gathered and joined once, at its end: appending each line to
    the value so far copied it again per line (quadratic: 20,000 folded lines in 1 MB)."""
    end = len(raw)
    for blank in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(blank, 0, MAX_HEADER_BLOCK)
        if at >= 0:
            end = min(end, at)
    if raw.startswith((b"\r\n", b"\n")):
        return []
    headers: list[tuple[str, list[str]]] = []
    for line in raw[: min(end, MAX_HEADER_BLOCK)].split(b"\n"):
        line = line.rstrip(b"\r")
        if line[:1] in (b" ", b"\t"):
            if headers:
                _fold(headers[-1][1], _text(line.strip()))
            continue
        name, colon, value = line.partition(b":")
        if colon and name and name == name.rstrip():
            headers.append((_text(name), [_text(value.strip())]))
    return [(name, "".join(pieces)) for name, pieces in headers]


def _fold(pieces: list[str], line: str) -> None:
    """Add a continuation line to a value kept in pieces: `value = f"{value} {line}".strip()`
    (each line joined by one space, the value trimmed), without copying the value."""
    pieces += (" ", line)
    while pieces and not (trimmed := pieces[-1].rstrip()):
        pieces.pop()
    if pieces:
        pieces[-1] = trimmed
        # The value is only blank at its start until it holds a character: a few pieces.
        while not pieces[0].strip():
            del pieces[0]
        pieces[0] = pieces[0].lstrip()


def _listed(record: MessageRecord, bcc_header: str) -> set[str]:
    s = record.summary
    named = {a.address.lower() for a in (*s.to, *s.cc)}
    return named | {r for r in (x.lower() for x in record.envelope.rcpt_to) if r in bcc_header}


def mailpit_headers(raw: bytes, record: MessageRecord, message_id: str) -> dict[str, list[str]]:
    """`/headers`: canonical name -> values in order, names sorted; with Mailpit's additions."""
    headers = raw_headers(raw)
    lowered = [name.lower() for name, _ in headers]
    mail_from = record.envelope.mail_from
    if "return-path" in lowered:
        at = lowered.index("return-path")
        if headers[at][1].strip().strip("<>") != mail_from:
            headers[at] = (headers[at][0], f"<{mail_from}>")
    else:
        headers.insert(0, ("Return-Path", f"<{mail_from}>"))
    if "message-id" not in lowered:
        headers.insert(0, ("Message-ID", f"<{message_id}>"))
    bcc_at = lowered.index("bcc") + (len(headers) - len(lowered)) if "bcc" in lowered else -1
    old_bcc = headers[bcc_at][1] if bcc_at >= 0 else ""
    listed = _listed(record, old_bcc.lower())
    missing = [r for r in record.envelope.rcpt_to if r.lower() not in listed]
    if missing:
        value = ", ".join(([old_bcc] if old_bcc else []) + missing)
        if bcc_at >= 0:
            headers[bcc_at] = (headers[bcc_at][0], value)
        else:
            headers.append(("Bcc", value))
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(canonical_key(name), []).append(value)
    return dict(sorted(grouped.items()))
