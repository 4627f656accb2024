"""The plain-text part, written from the same blocks as the HTML (never scraped from it).

Every URL stands in full on a line of its own, so it survives wrapping and copy and paste.
"""

from __future__ import annotations

from mailyard.renderer.content import Content


def render_text(c: Content) -> str:
    lines: list[str] = [c.heading, "", c.greeting, ""]
    for paragraph in c.paragraphs:
        lines += [paragraph, ""]
    if c.details:
        lines += [f"{label}: {value}" for label, value in c.details] + [""]
    if c.code and (c.code_first or not c.button):
        lines += [c.code_label or "", c.code, ""]
    if c.button:
        lines += [f"{c.button.label}:", c.button.url, ""]
    if c.code and c.button and not c.code_first:
        lines += [c.code_label or "", c.code, ""]
    if c.expiry:
        lines += [c.expiry, ""]
    if c.closing:
        lines += [c.closing, ""]
    if c.footer:
        lines += ["-- ", c.footer]
    return "\n".join(lines).rstrip() + "\n"
