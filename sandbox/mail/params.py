"""`Content-Type` and `Content-Disposition` values: the main value and its parameters.

`text/plain; charset="utf-8"` is ("text/plain", {"charset": "utf-8"}). Parameters may be
quoted strings with backslash escapes (RFC 2045 §5.1), or RFC 2231 values:
`name*=utf-8''r%C3%A9sum%C3%A9`, and continuations `name*0*=...; name*1*=...` put back together
in section order.

The old parameter regex backtracked: a 40 KB value without `=` took 25 s. Here each match of
the parameter regex is anchored on a `;`, so a failed match costs only its own segment: linear
in the value, whatever it is. Section numbers longer than `MAX_SECTION_DIGITS` digits and
sections past `MAX_SECTIONS` are ignored.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from mailyard.sandbox.mail import charsets

MAX_SECTIONS = 1000
MAX_SECTION_DIGITS = 4

# Each match starts at a ";" and stops at the next ";" outside quotes, or fails there: a failed
# start is never rescanned from inside, so this is linear where `name\s*=` alone was quadratic.
_PARAM = re.compile(r';([^;="]*)=\s*("(?:[^"\\]|\\.)*"?|[^;"]*)', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_SECTION = re.compile(r"([^*]*)\*(?:(\d+)(\*?))?")


def _unquote(value: str) -> str:
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return _ESCAPE.sub(r"\1", value)
    return value


def _segments(rest: str) -> list[tuple[str, str]]:
    """`; a=1; b="x;y"` -> [("a", "1"), ("b", '"x;y"')]: names lower-cased, values still quoted."""
    return [
        (name.strip().lower(), value.strip())
        for name, value in _PARAM.findall(rest)
        if name.strip()
    ]


def parse_params(value: str) -> tuple[str, dict[str, str]]:
    """The main value, lower-cased, and the parameters; RFC 2231 forms win over plain ones."""
    main, semicolon, rest = value.partition(";")
    if "=" not in rest:  # most headers have no parameters: skip the regex
        return main.strip().lower(), {}
    params: dict[str, str] = {}
    extended: dict[str, list[tuple[int, bool, str]]] = {}
    for name, raw in _segments(semicolon + rest):
        if "*" not in name:
            params.setdefault(name, _unquote(raw))
            continue
        section = _SECTION.fullmatch(name)
        if section is None:
            continue
        base, number, star = section.groups()
        if number is not None and len(number) > MAX_SECTION_DIGITS:
            continue
        index = int(number) if number is not None else 0
        sections = extended.setdefault(base, [])
        if len(sections) < MAX_SECTIONS:
            sections.append((index, number is None or star == "*", _unquote(raw)))
    for base, sections in extended.items():
        params[base] = _join(sections)
    return main.strip().lower(), params


def _join(sections: list[tuple[int, bool, str]]) -> str:
    """RFC 2231 §3-4: sections in order; the first encoded one carries charset'language'."""
    sections.sort(key=lambda section: section[0])
    charset = ""
    data = []
    seen = set()
    for index, encoded, value in sections:
        if index in seen:
            continue
        seen.add(index)
        if encoded:
            if index == 0 and value.count("'") >= 2:
                charset, _, value = value.split("'", 2)
            data.append(unquote_to_bytes(value))
        else:
            data.append(value.encode("utf-8", "surrogateescape"))
    return charsets.decode(b"".join(data), charset)
