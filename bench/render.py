"""Rendering throughput: every concept, rotating fixture themes and locales, cold and warm.

    python bench/render.py [--count 3000]

Cold: the first render of each (concept, locale) in a fresh process, which compiles the
template and loads the catalogue. Warm: after that. Prints emails/s and ms at p50/p99.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time

from common import ROOT, percentile

sys.path.insert(0, str(ROOT))
from mailyard.renderer import CONCEPTS, SUPPORTED_LOCALES, render, theme_from_dict
from mailyard.renderer.samples import sample


def _themes() -> list[object]:
    return [
        theme_from_dict(json.loads(p.read_text()))
        for p in sorted((ROOT / "fixtures/themes").glob("*.json"))
    ]


def warm(count: int) -> list[float]:
    themes = _themes()
    contexts = {name: sample(name) for name in CONCEPTS}
    combos = itertools.cycle(itertools.product(CONCEPTS, themes, SUPPORTED_LOCALES))
    for concept, theme, locale in itertools.islice(combos, 200):  # warm every path first
        render(contexts[concept], theme, locale=locale)
    times = []
    for concept, theme, locale in itertools.islice(combos, count):
        started = time.perf_counter()
        render(contexts[concept], theme, locale=locale, timezone="Europe/Berlin")
        times.append((time.perf_counter() - started) * 1000)
    return times


def cold() -> float:
    """ms for the very first render in a new interpreter (imports excluded)."""
    code = (
        "import time, sys; sys.path.insert(0, %r)\n"
        "from renderer import render\nfrom renderer.samples import sample\n"
        "s = sample('password-reset'); t = time.perf_counter(); render(s, locale='de')\n"
        "print((time.perf_counter() - t) * 1000)"
    ) % str(ROOT)
    return float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()
    colds = [cold() for _ in range(3)]
    times = warm(args.count)
    total = sum(times) / 1000
    print(f"cold first render (template + catalogue load), median of 3: {sorted(colds)[1]:.1f} ms")
    print(
        f"warm: {args.count} emails ({len(CONCEPTS)} concepts x {len(_themes())} themes x "
        f"{len(SUPPORTED_LOCALES)} locales) in {total:.2f} s = {args.count / total:.0f} emails/s"
    )
    print(f"warm per email: p50 {percentile(times, 50):.2f} ms, p99 {percentile(times, 99):.2f} ms")


if __name__ == "__main__":
    main()
