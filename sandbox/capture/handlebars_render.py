"""Rendering a parsed Handlebars template: values printed as handlebars.js prints them, unescaped.

Values follow handlebars.js: `true`/`false`, integral numbers without `.0`, lists joined with
commas, objects as `[object Object]`. Falsy for `#if`: absent, null, false, "", 0, []. A
`{{path}}` with no value raises `MissingValueError` (SES's Rendering Failure); a block whose
argument is missing takes its `else` branch.

Bounded: partials call each other at most `MAX_PARTIAL_DEPTH` deep, and a render stops after
`MAX_STEPS` nodes or loop turns, or `MAX_OUTPUT_CHARS` characters (`RenderLimitError`), so loops
inside loops cannot multiply without limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mailyard.sandbox.capture.handlebars import Block, Node, Parsed, Partial, Path, Text, Value
from mailyard.sandbox.errors import InvalidInputError

MAX_PARTIAL_DEPTH = 8
MAX_STEPS = 1_000_000
MAX_OUTPUT_CHARS = 10_000_000


class RenderLimitError(InvalidInputError):
    """Rendering would take more steps or produce more text than the stated bounds."""


class MissingValueError(Exception):
    """`{{attribute}}` has no value in the data (SES: "Attribute '…' is not present …")."""

    def __init__(self, attribute: str) -> None:
        super().__init__(attribute)
        self.attribute = attribute


# -- rendering ----------------------------------------------------------------------------------

_MISSING: Any = object()


@dataclass
class _Frame:
    value: Any
    parent: _Frame | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _Output:
    root: Any
    partials: Mapping[str, tuple[Node, ...]]
    chunks: list[str] = field(default_factory=list)
    size: int = 0
    steps: int = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise RenderLimitError(f"rendering took more than {MAX_STEPS} steps")

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > MAX_OUTPUT_CHARS:
            raise RenderLimitError(f"the rendered text exceeds {MAX_OUTPUT_CHARS} characters")
        self.chunks.append(text)


def render(parsed: Parsed, data: Mapping[str, Any]) -> str:
    """Render with `data` as the context; `MissingValueError` for a `{{path}}` without value."""
    out = _Output(root=data, partials=parsed.partials)
    _emit(parsed.nodes, _Frame(data), out, 0)
    return "".join(out.chunks)


def _emit(nodes: tuple[Node, ...], frame: _Frame, out: _Output, partial_depth: int) -> None:
    for node in nodes:
        out.tick()
        if isinstance(node, Text):
            out.write(node.value)
        elif isinstance(node, Value):
            value = _lookup(node.path, frame, out)
            if value is _MISSING or value is None:
                if node.path.data is not None:
                    continue  # @index outside #each: empty, as in handlebars.js
                raise MissingValueError(node.path.text)
            out.write(_string(value))
        elif isinstance(node, Partial):
            if partial_depth >= MAX_PARTIAL_DEPTH:
                raise RenderLimitError(f"partials call each other deeper than {MAX_PARTIAL_DEPTH}")
            _emit(out.partials[node.name], frame, out, partial_depth + 1)
        else:
            _block(node, frame, out, partial_depth)


def _block(node: Block, frame: _Frame, out: _Output, partial_depth: int) -> None:
    value = _lookup(node.path, frame, out)
    if node.helper in ("if", "unless"):
        chosen = _truthy(value) == (node.helper == "if")
        _emit(node.body if chosen else node.inverse, frame, out, partial_depth)
    elif node.helper == "with":
        if _is_empty(value):
            _emit(node.inverse, frame, out, partial_depth)
        else:
            _emit(node.body, _Frame(value, frame), out, partial_depth)
    else:  # each
        items: list[tuple[Any, Any]] = []
        if isinstance(value, list):
            items = list(enumerate(value))
        elif isinstance(value, dict):
            items = list(value.items())
        if not items:
            _emit(node.inverse, frame, out, partial_depth)
        for position, (key, item) in enumerate(items):
            out.tick()  # an empty body still costs a step, so nested loops stay bounded
            variables = {
                "index": position,
                "key": key,
                "first": position == 0,
                "last": position == len(items) - 1,
            }
            _emit(node.body, _Frame(item, frame, variables), out, partial_depth)


def _lookup(path: Path, frame: _Frame, out: _Output) -> Any:
    if path.data == "root":
        value = out.root
    elif path.data is not None:
        scope: _Frame | None = frame
        while scope is not None and path.data not in scope.variables:
            scope = scope.parent
        return _MISSING if scope is None else scope.variables[path.data]
    else:
        target: _Frame | None = frame
        for _ in range(path.depth):
            target = target.parent if target is not None else None
        if target is None:
            return _MISSING
        value = target.value
    for part in path.parts:
        value = _child(value, part)
        if value is _MISSING:
            return _MISSING
    return value


def _child(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return value.get(key, _MISSING)
    if isinstance(value, list | str) and key == "length":
        return len(value)
    if isinstance(value, list) and key.isdigit() and int(key) < len(value):
        return value[int(key)]
    return _MISSING


def _truthy(value: Any) -> bool:
    if value is _MISSING or value is None or value is False or value == "":
        return False
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return False
    return not (isinstance(value, list) and not value)


def _is_empty(value: Any) -> bool:
    """handlebars.js `isEmpty`, which `#with` uses: like falsy, except that 0 is a value."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return False
    return not _truthy(value)


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return ",".join("" if item is None else _string(item) for item in value)
    return "[object Object]"
