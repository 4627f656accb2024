"""Builds `caniemail.json`, the compact support table the HTML check reads, from caniemail's
sources. Run by hand when updating the data; nothing imports this module at run time.

    cd sandbox/mail/caniemail
    python derive.py ../../../../shared/data/caniemail > caniemail.json

Input: a checkout of github.com/hteumeuleu/caniemail (its `_features/*.md`, MIT). Each feature's
YAML front matter is read with the small reader below rather than a YAML library: the files use
tabs inside flow mappings, which PyYAML refuses, and the shapes used are few (`key: scalar`
lines and `{ ... }` mappings of quoted strings). The output holds, per feature, what Mailpit's
HTML check answers with — title, description and notes as HTML, category, tags, URL — and its
support table as `{family: {platform: {version: support}}}` in the source's order, plus the
display names of families and platforms (caniemail's own, as its site and API show them). One
feature per line, so an update reads as a diff of the features that changed.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

FAMILY_NAMES = {
    "gmail": "Gmail",
    "outlook": "Outlook",
    "yahoo": "Yahoo! Mail",
    "apple-mail": "Apple Mail",
    "aol": "AOL",
    "thunderbird": "Mozilla Thunderbird",
    "microsoft": "Microsoft",
    "samsung-email": "Samsung Email",
    "sfr": "SFR",
    "orange": "Orange",
    "protonmail": "ProtonMail",
    "hey": "HEY",
    "mail-ru": "Mail.ru",
    "fastmail": "Fastmail",
    "laposte": "LaPoste.net",
    "t-online-de": "T-online.de",
    "free-fr": "Free.fr",
    "gmx": "GMX",
    "web-de": "WEB.DE",
    "ionos-1and1": "1&1",
    "rainloop": "RainLoop",
    "wp-pl": "WP.pl",
}
PLATFORM_NAMES = {
    "desktop-app": "Desktop",
    "desktop-webmail": "Desktop Webmail",
    "mobile-webmail": "Mobile Webmail",
    "webmail": "Webmail",
    "ios": "iOS",
    "android": "Android",
    "windows": "Windows",
    "macos": "macOS",
    "windows-mail": "Windows Mail",
    "outlook-com": "Outlook.com",
}
SITE = "https://www.caniemail.com"

_TOKEN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|([{}:,])|([^\s{}:,"]+)|\s+')
_CODE_OR_LINK_RE = re.compile(r"`([^`]*)`|\[([^\]]*)\]\(([^)\s]*)\)")

Value = str | dict[str, "Value"]


def _mapping(text: str) -> dict[str, Value]:
    """A YAML flow mapping of quoted or bare scalars, as caniemail writes `stats`."""
    tokens: list[tuple[str, str]] = []
    for m in _TOKEN_RE.finditer(text):
        if m.group(1) is not None:
            tokens.append(("s", json.loads(f'"{m.group(1)}"')))
        elif m.group(2):
            tokens.append(("p", m.group(2)))
        elif m.group(3):
            tokens.append(("s", m.group(3)))
    position = 0

    def value() -> Value:
        nonlocal position
        kind, token = tokens[position]
        position += 1
        if kind == "s":
            return token
        if token != "{":  # noqa: S105 (a brace, not a password)
            raise ValueError(f"unexpected {token!r}")
        result: dict[str, Value] = {}
        while tokens[position] != ("p", "}"):
            key = value()
            if tokens[position] != ("p", ":") or not isinstance(key, str):
                raise ValueError(f"expected ':' after {key!r}")
            position += 1
            result[key] = value()
            if tokens[position] == ("p", ","):
                position += 1
        position += 1
        return result

    parsed = value()
    if not isinstance(parsed, dict):
        raise ValueError("front matter value is not a mapping")
    return parsed


def front_matter(text: str) -> dict[str, Value]:
    """The front matter between the first two `---` lines."""
    block = re.split(r"(?m)^---[ \t]*$", text)[1]
    result: dict[str, Value] = {}
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        raw_key, _, rest = lines[i].partition(":")
        i += 1
        key, rest = raw_key.strip().strip('"'), rest.strip()
        if not key or raw_key.startswith((" ", "\t")):
            continue
        if rest.startswith("{"):
            gathered = [rest]
            while gathered[-1].count("{") + sum(s.count("{") for s in gathered[:-1]) > sum(
                s.count("}") for s in gathered
            ):
                gathered.append(lines[i])
                i += 1
            result[key] = _mapping("\n".join(gathered))
        elif rest.startswith('"'):
            result[key] = json.loads(rest)
        else:
            result[key] = rest
    return result


def markdown(text: str) -> str:
    """The little Markdown caniemail uses (code spans, links), as HTML; the rest is escaped."""
    out: list[str] = []
    position = 0
    for m in _CODE_OR_LINK_RE.finditer(text):
        out.append(html.escape(text[position : m.start()], quote=False))
        if m.group(1) is not None:
            out.append(f"<code>{html.escape(m.group(1), quote=False)}</code>")
        else:
            href = html.escape(m.group(3))
            out.append(f'<a href="{href}" target="_blank">{markdown(m.group(2))}</a>')
        position = m.end()
    out.append(html.escape(text[position:], quote=False))
    return "".join(out)


def feature(path: Path) -> dict[str, object]:
    """One feature's entry in the compact table."""
    meta = front_matter(path.read_text(encoding="utf-8"))
    stats = meta.get("stats", {})
    notes = meta.get("notes_by_num", {})
    assert isinstance(stats, dict) and isinstance(notes, dict)
    tags = meta.get("tags", "")
    return {
        "title": meta.get("title", ""),
        "description": markdown(str(meta.get("description", ""))),
        "category": meta.get("category", ""),
        "tags": str(tags).split(),
        "url": f"{SITE}/features/{path.stem}/",
        "notes": {str(k): markdown(str(v)) for k, v in notes.items()},
        "stats": stats,
    }


def derive(source: Path) -> dict[str, object]:
    """The whole compact table from a caniemail checkout at `source`."""
    features = {
        path.stem: feature(path)
        for path in sorted((source / "_features").glob("*.md"))
        if not path.name.startswith("_")
    }
    return {"families": FAMILY_NAMES, "platforms": PLATFORM_NAMES, "features": features}


if __name__ == "__main__":
    table = derive(Path(sys.argv[1]))
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    features = table.pop("features")
    assert isinstance(features, dict)
    head = json.dumps(table, **compact)  # type: ignore[arg-type]
    sys.stdout.write(head[:-1] + ',"features":{\n')
    lines = [f"{json.dumps(k)}:{json.dumps(v, **compact)}" for k, v in features.items()]  # type: ignore[arg-type]
    sys.stdout.write(",\n".join(lines) + "\n}}\n")
