"""Draws the PNG of each shipped logo from its SVG source, in Debian's Chromium (not a test).

    python tests/renderer/rasterize_logos.py            # renderer/logos/*.svg -> *.png

Run it after editing an SVG. The PNG is what ships and what emails carry (Gmail and Outlook on
Windows do not show SVG); it is drawn at 3x the SVG's CSS size, so it stays sharp on phone
screens, with a transparent background outside the tile's rounded corners.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

LOGOS = Path(__file__).resolve().parents[2] / "renderer" / "logos"
SCALE = 3
CHROMIUM = "/usr/bin/chromium"


def rasterize(sources: list[Path]) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(device_scale_factor=SCALE)
        for svg in sources:
            page.set_content(
                "<style>html,body{margin:0;background:transparent}svg{display:block}</style>"
                + svg.read_text(encoding="utf-8")
            )
            png = svg.with_suffix(".png")
            page.locator("svg").screenshot(path=str(png), omit_background=True)
            print(f"{png.name}: {png.stat().st_size} bytes")
        browser.close()


if __name__ == "__main__":
    rasterize([Path(a) for a in sys.argv[1:]] or sorted(LOGOS.glob("*.svg")))
