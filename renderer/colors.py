"""Colour arithmetic for accessible themes: WCAG contrast, readable pairs for any brand colour."""

from __future__ import annotations

import re

HEX_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
WHITE = "#ffffff"
INK = "#111111"
AA = 4.5  # WCAG 2 AA for normal text
NON_TEXT = 3.0  # WCAG 2 AA for a control against what surrounds it (1.4.11)


def normalize(color: str) -> str:
    """`#ABC` -> `#aabbcc`; raises ValueError for anything but a hex colour."""
    if not HEX_RE.match(color):
        raise ValueError(f"{color!r} is not a hex colour like #1a73e8")
    digits = color[1:].lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _rgb(color: str) -> tuple[int, int, int]:
    c = normalize(color)
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(v))):02x}" for v in rgb)


def luminance(color: str) -> float:
    """WCAG relative luminance."""

    def channel(value: int) -> float:
        s = value / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(color)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(color: str, target: str, amount: float) -> str:
    """`color` moved `amount` (0-1) of the way to `target`."""
    c, t = _rgb(color), _rgb(target)
    return _hex(tuple(cv + (tv - cv) * amount for cv, tv in zip(c, t, strict=True)))  # type: ignore[arg-type]


def readable_on(background: str, foreground: str, minimum: float = AA) -> str:
    """`foreground`, darkened or lightened just enough to reach `minimum` contrast on
    `background`."""
    if contrast(background, foreground) >= minimum:
        return normalize(foreground)
    toward = INK if luminance(background) > 0.18 else WHITE
    for step in range(1, 21):
        candidate = mix(foreground, toward, step / 20)
        if contrast(background, candidate) >= minimum:
            return candidate
    return toward


def button_colors(primary: str) -> tuple[str, str]:
    """(background, text) for a call-to-action: the brand colour with whichever text reads best,
    the background darkened only when neither white nor ink reaches AA on it."""
    background = normalize(primary)
    for step in range(0, 21):
        candidate = mix(background, INK, step / 20) if step else background
        best = max((WHITE, INK), key=lambda text: contrast(candidate, text))
        if contrast(candidate, best) >= AA:
            return candidate, best
    return INK, WHITE


def button_colors_on(surface: str, primary: str) -> tuple[str, str]:
    """(background, text) for a call-to-action on `surface` that the tenant did not design for
    (the dark-mode card): the brand colour moved toward the opposite of the surface just enough
    to stand out from it (3:1) and to carry readable text (AA)."""
    toward = WHITE if luminance(surface) < 0.18 else INK
    for step in range(0, 21):
        candidate = mix(primary, toward, step / 20) if step else normalize(primary)
        text = max((WHITE, INK), key=lambda t: contrast(candidate, t))
        if contrast(surface, candidate) >= NON_TEXT and contrast(candidate, text) >= AA:
            return candidate, text
    return toward, INK if toward == WHITE else WHITE
