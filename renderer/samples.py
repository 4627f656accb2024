"""Sample contexts for previews and test sends: every variable from its declared example.

Links carry the placeholder token `test-preview-token-000`, as the spec's email-test does, so a
preview or a test send can never hold a working token.
"""

from __future__ import annotations

from typing import Any

from mailyard.renderer.concepts import ALIASES, CONCEPTS, Concept, concept_from_vars

PREVIEW_TOKEN = "test-preview-token-000"  # noqa: S105 - a placeholder, by design


def sample(concept: str, overrides: dict[str, Any] | None = None) -> Concept:
    """`concept` filled with its examples (links with the placeholder token), then `overrides`."""
    cls = CONCEPTS[ALIASES.get(concept, concept)]
    values: dict[str, Any] = {}
    for var in cls.variables():
        example = var["example"]
        if var["name"].endswith("_url"):
            example = example.replace("token=opaque", f"token={PREVIEW_TOKEN}")
        values[var["name"]] = example
    values.update(overrides or {})
    return concept_from_vars(cls.name, values)
