"""The HTML check's answer: Mailpit's `HTMLCheckResponse`, and scores per client family.

`HTMLCheckResult.as_json()` is the body of Mailpit's `GET /api/v1/message/{ID}/html-check`,
field for field, with its arithmetic: Go `float32` (each percentage rounded to 32 bits, written
with the fewest digits that read back the same, as Go's JSON encoder writes a float32).

- A warning's `Score` is the share of its support rows that are `yes`, `no`, or anything else
  (`partial`): caniemail's `a`, `u`, and also a `y #2` or `n #1` with a note, as Mailpit reads
  them. `NoteNumber` is the last digit of the note, as Mailpit's pattern keeps it.
- `Total`: for each warning found, `Partial * Found / Nodes` and `Unsupported * Found / Nodes`;
  the largest of each is the total's `Partial` and `Unsupported`, and `Supported` is 100 minus
  both. (With no nodes at all, Mailpit divides by zero and fails; this divides by one.)
- Warnings are sorted by `(Unsupported + Partial) * Found / Nodes`, highest first.

`score()` is the score Mailpit's web UI shows (HTMLCheck.vue), for any set of client families
or platforms: each warning's support recomputed from the rows of those clients only, weighted by
`Found / Nodes` (at most 1), and by 5 % for an `@`-rule or pseudo-class, whose use cannot be
counted; the largest weighted partial and unsupported shares are taken off 100 %. With every
platform chosen it is the UI's headline number; `family_scores()` gives it per family, which
is how the auth emails are held to 95 % for Gmail, Outlook, Apple Mail and Yahoo.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Collection
from dataclasses import dataclass

_NOTE_RE = re.compile(r" #(\d)+$")
_LIGHT_WEIGHT = 0.05


def f32(value: float) -> float:
    """`value` rounded to a Go float32, as the nearest double."""
    result: float = struct.unpack("f", struct.pack("f", value))[0]
    return result


def go_float32(value: float) -> float:
    """The float32 `value` as Go's JSON encoder writes it: the fewest digits that round-trip."""
    value = f32(value)
    for digits in range(1, 10):
        short = float(f"{value:.{digits}g}")
        if f32(short) == value:
            return short
    return value


@dataclass(frozen=True)
class ClientResult:
    """One client version's support for a feature (Mailpit's `HTMLCheckResult`)."""

    name: str  # "Gmail iOS (2020-11)"
    platform: str
    family: str
    version: str
    support: str  # "yes", "no" or "partial"
    note_number: str

    def as_json(self) -> dict[str, object]:
        return {
            "Name": self.name,
            "Platform": self.platform,
            "Family": self.family,
            "Version": self.version,
            "Support": self.support,
            "NoteNumber": self.note_number,
        }


@dataclass(frozen=True)
class Score:
    """How often a feature was found and its share of support (percentages, float32)."""

    found: int
    supported: float
    partial: float
    unsupported: float

    def as_json(self) -> dict[str, object]:
        return {
            "Found": self.found,
            "Supported": go_float32(self.supported),
            "Partial": go_float32(self.partial),
            "Unsupported": go_float32(self.unsupported),
        }


@dataclass(frozen=True)
class FeatureWarning:
    """A feature the HTML uses, with caniemail's page for it (Mailpit's `HTMLCheckWarning`)."""

    slug: str
    title: str
    description: str  # HTML
    url: str
    category: str  # "html", "css", "image"
    tags: tuple[str, ...]
    results: tuple[ClientResult, ...]
    notes: tuple[tuple[str, str], ...]  # (note number, HTML)
    score: Score

    @property
    def light(self) -> bool:
        """An `@`-rule or pseudo-class: found in `<style>`, not known to be used."""
        return self.title.startswith(("@", ":"))

    def as_json(self) -> dict[str, object]:
        return {
            "Slug": self.slug,
            "Title": self.title,
            "Description": self.description,
            "URL": self.url,
            "Category": self.category,
            "Tags": list(self.tags),
            "Keywords": "",  # Mailpit leaves it empty
            "Results": [result.as_json() for result in self.results],
            "NotesByNumber": dict(self.notes),
            "Score": self.score.as_json(),
        }


@dataclass(frozen=True)
class Total:
    """The overall score (Mailpit's `HTMLCheckTotal`)."""

    tests: int
    nodes: int
    supported: float
    partial: float
    unsupported: float

    def as_json(self) -> dict[str, object]:
        return {
            "Tests": self.tests,
            "Nodes": self.nodes,
            "Supported": go_float32(self.supported),
            "Partial": go_float32(self.partial),
            "Unsupported": go_float32(self.unsupported),
        }


@dataclass(frozen=True)
class Cost:
    """What one feature takes off a score: its weighted partial and unsupported shares."""

    slug: str
    title: str
    found: int
    partial: float
    unsupported: float
    clients: tuple[str, ...]  # the chosen clients that do not fully support it

    @property
    def points(self) -> float:
        return self.partial + self.unsupported


@dataclass(frozen=True)
class ClientScore:
    """A score for a set of clients, as Mailpit's UI computes it, and what costs it most."""

    label: str
    supported: float
    partial: float
    unsupported: float
    costs: tuple[Cost, ...]  # features with a cost, largest first

    def as_json(self) -> dict[str, object]:
        return {
            "Label": self.label,
            "Supported": round(self.supported, 2),
            "Partial": round(self.partial, 2),
            "Unsupported": round(self.unsupported, 2),
            "Costs": [
                {"Slug": c.slug, "Title": c.title, "Points": round(c.points, 2)} for c in self.costs
            ],
        }


def support_of(code: str) -> tuple[str, str]:
    """caniemail's support code as Mailpit reads it: ("yes"|"no"|"partial", note number)."""
    if code == "y":
        return "yes", ""
    if code == "n":
        return "no", ""
    note = _NOTE_RE.search(code)
    return "partial", note.group(1) if note else ""


def shares(supports: list[str], count_as_float32: bool) -> tuple[float, float, float]:
    """Percentages of "yes", "partial" and "no" among `supports`."""
    total = len(supports)
    if total == 0:
        return 0.0, 0.0, 0.0
    y, p = supports.count("yes"), supports.count("partial")
    n = total - y - p
    if count_as_float32:
        return f32(f32(y / total) * 100), f32(f32(p / total) * 100), f32(f32(n / total) * 100)
    return y / total * 100, p / total * 100, n / total * 100


@dataclass(frozen=True)
class HTMLCheckResult:
    """The HTML check of one message; `notes` say what the check's bounds left unread."""

    warnings: tuple[FeatureWarning, ...]
    platforms: dict[str, tuple[str, ...]]
    total: Total
    family_names: dict[str, str]
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        """Mailpit's `HTMLCheckResponse`."""
        return {
            "Warnings": [warning.as_json() for warning in self.warnings],
            "Platforms": {platform: list(names) for platform, names in self.platforms.items()},
            "Total": self.total.as_json(),
        }

    def score(
        self,
        *,
        families: Collection[str] | None = None,
        platforms: Collection[str] | None = None,
        label: str = "All clients",
    ) -> ClientScore:
        """Mailpit's UI score for the clients of `families` on `platforms` (None: all)."""
        nodes = self.total.nodes
        worst_partial = worst_unsupported = 0.0
        costs: list[Cost] = []
        for warning in self.warnings:
            if warning.results:
                chosen = [
                    r
                    for r in warning.results
                    if (families is None or r.family in families)
                    and (platforms is None or r.platform in platforms)
                ]
                if not chosen:
                    continue
                _, partial, unsupported = shares([r.support for r in chosen], False)
                lacking = tuple(r.name for r in chosen if r.support != "yes")
            else:  # <script>: no client runs it
                partial, unsupported = warning.score.partial, warning.score.unsupported
                lacking = ("every client",)
            found = warning.score.found
            weight = found / nodes if found < nodes else 1.0
            if warning.light:
                weight = _LIGHT_WEIGHT
            worst_partial = max(worst_partial, partial * weight)
            worst_unsupported = max(worst_unsupported, unsupported * weight)
            if partial or unsupported:
                costs.append(
                    Cost(
                        warning.slug,
                        warning.title,
                        found,
                        partial * weight,
                        unsupported * weight,
                        lacking,
                    )
                )
        costs.sort(key=lambda cost: cost.points, reverse=True)
        return ClientScore(
            label,
            100 - worst_partial - worst_unsupported,
            worst_partial,
            worst_unsupported,
            tuple(costs),
        )

    def family_scores(self) -> dict[str, ClientScore]:
        """The UI score per client family ("gmail", "outlook", …), every platform included."""
        families = {r.family for w in self.warnings for r in w.results}
        families |= set(self.family_names)
        return {
            family: self.score(families={family}, label=self.family_names.get(family, family))
            for family in sorted(families)
        }

    def platform_scores(self) -> dict[str, ClientScore]:
        """The UI score per platform ("ios", "windows", …), as Mailpit's UI offers them."""
        return {
            platform: self.score(platforms={platform}, label=platform)
            for platform in sorted(self.platforms)
        }
