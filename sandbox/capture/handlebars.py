"""The Handlebars subset SES templates use, parsed once into a tree.

`parse(source, part=…)` turns one template part into a `Parsed` (nodes plus its inline
partials); `handlebars_render.render(parsed, data)` walks it. Supported: `{{path}}`,
`{{{path}}}`, `{{&path}}`; paths with `.` or `/`, `this`, `../`, `.length`, `@index`, `@key`,
`@first`, `@last`, `@root`; blocks `#if`, `#unless`, `#each`, `#with` with `{{else}}` or `{{^}}`
and chained `{{else if …}}`; comments; `~` whitespace control; standalone tags (a block tag
alone on its line takes the line with it); inline partials `{{#* inline "n"}}…{{/inline}}` and
`{{> n}}` (the newline right after `{{/inline}}` is not rendered, as SES documents). Anything else
(other helpers, block params, literals) is a `TemplateSyntaxError` naming the part and line,
rather than text left in a sent message.

Parsing is bounded: the lexer is one left-to-right pass (one `str.find` per tag, no regex) and
blocks nest at most `MAX_NESTING` deep. Rendering (and its bounds) is `handlebars_render`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mailyard.sandbox.errors import InvalidInputError

MAX_NESTING = 32
_BLOCK_HELPERS = frozenset({"if", "unless", "each", "with"})
_DATA_NAMES = frozenset({"index", "key", "first", "last", "root"})
# handlebars.js identifiers may not contain these (`.` and `/` separate segments).
_NOT_IN_ID = frozenset(" \t\r\n!\"#%&'()*+,;<=>@[\\]^`{|}~")
_STANDALONE = frozenset({"comment", "open", "close", "else", "inline"})


class TemplateSyntaxError(InvalidInputError):
    """A template part cannot be parsed; `field` names the part, the message the line."""


# -- the tree -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """A value reference: `text` as written, `depth` `../` steps, `parts` to walk, `data` @name."""

    text: str
    depth: int = 0
    parts: tuple[str, ...] = ()
    data: str | None = None


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Value:
    path: Path


@dataclass(frozen=True)
class Block:
    helper: str
    path: Path
    body: tuple[Node, ...]
    inverse: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Partial:
    name: str


Node = Text | Value | Block | Partial


@dataclass(frozen=True)
class Parsed:
    """One template part: its nodes and the inline partials it defines."""

    nodes: tuple[Node, ...]
    partials: Mapping[str, tuple[Node, ...]] = field(default_factory=dict)


# -- lexing -------------------------------------------------------------------------------------


@dataclass
class _Tag:
    kind: str  # comment | value | open | close | else | partial | inline
    body: str
    line: int
    strip_before: bool = False
    strip_after: bool = False


def _lex(source: str, part: str) -> list[str | _Tag]:
    """Alternating text and tags, text first and last (possibly empty)."""
    tokens: list[str | _Tag] = []
    pos = 0
    line, counted = 1, 0
    while True:
        start = source.find("{{", pos)
        if start < 0:
            tokens.append(source[pos:])
            return tokens
        tokens.append(source[pos:start])
        line += source.count("\n", counted, start)
        counted = start
        triple = source.startswith("{{{", start)
        inner = start + (3 if triple else 2)
        strip_before = source.startswith("~", inner)
        inner += strip_before
        close = "--}}" if source.startswith("!--", inner) else "}}}" if triple else "}}"
        end = source.find(close, inner)  # one forward search per tag: linear overall
        if end < 0:
            message = f"{part}: the tag opened on line {line} is never closed."
            raise TemplateSyntaxError(message, part)
        strip_after = end > inner and source[end - 1] == "~"
        body = source[inner : end - strip_after].strip()
        tokens.append(_classify(body, triple, line, part, strip_before, strip_after))
        pos = end + len(close)


def _classify(
    body: str, triple: bool, line: int, part: str, strip_before: bool, strip_after: bool
) -> _Tag:
    def tag(kind: str, text: str) -> _Tag:
        return _Tag(kind, text.strip(), line, strip_before, strip_after)

    if triple or body.startswith("&"):
        return tag("value", body.removeprefix("&"))
    if body.startswith("!"):
        return tag("comment", "")
    if body.startswith("#*"):
        return tag("inline", body[2:])
    if body.startswith("#"):
        return tag("open", body[1:])
    if body.startswith("/"):
        return tag("close", body[1:])
    if body.startswith(">"):
        return tag("partial", body[1:])
    if body == "^" or body == "else" or body.startswith("else "):
        return tag("else", body[4:] if body.startswith("else") else "")
    if body.startswith("^"):
        raise TemplateSyntaxError(
            f"{part}: line {line}: inverted sections ({{{{^…}}}}) are not supported; "
            "use {{#unless …}}.",
            part,
        )
    return tag("value", body)


def _apply_whitespace(tokens: list[str | _Tag]) -> list[str | _Tag]:
    """`~` strips the neighbouring whitespace; a standalone tag takes its own line with it."""
    texts = [t for t in tokens if isinstance(t, str)]
    tags = [t for t in tokens if isinstance(t, _Tag)]
    for k, tag in enumerate(tags):  # text k is before tag k, text k+1 after it
        if tag.strip_before:
            texts[k] = texts[k].rstrip()
        if tag.strip_after:
            texts[k + 1] = texts[k + 1].lstrip()
    heads = [0] * len(texts)
    tails = [len(t) for t in texts]
    last = len(texts) - 1
    for k, tag in enumerate(tags):
        if tag.kind not in _STANDALONE:
            continue
        before, after = texts[k], texts[k + 1]
        line_start = before.rfind("\n") + 1
        if line_start == 0 and k != 0:
            continue  # another tag or text precedes it on its line
        if before[line_start:].strip(" \t"):
            continue
        newline = after.find("\n")
        rest = after if newline < 0 else after[:newline]
        if rest.strip(" \t\r") or (newline < 0 and k + 1 != last):
            continue
        tails[k] = line_start
        heads[k + 1] = len(after) if newline < 0 else newline + 1
    for k, tag in enumerate(tags):
        # SES: "The newline character (\n) is required to separate the {{inline}} block from the
        # content in your template. The newline isn't rendered in the final output."
        if tag.kind == "close" and tag.body == "inline":
            after = texts[k + 1]
            for ending in ("\r\n", "\n"):
                if after.startswith(ending, heads[k + 1]):
                    heads[k + 1] += len(ending)
                    break
    out: list[str | _Tag] = []
    for k, text in enumerate(texts):
        out.append(text[heads[k] : tails[k]] if heads[k] <= tails[k] else "")
        if k < len(tags):
            out.append(tags[k])
    return out


# -- parsing ------------------------------------------------------------------------------------


def parse(source: str, *, part: str) -> Parsed:
    """Parse one template part (`part` names it in errors: `Subject`, `Text`, `Html`)."""
    parser = _Parser(_apply_whitespace(_lex(source, part)), part)
    nodes, end = parser.nodes(0)
    if end is not None:
        what = "{{else}}" if end.kind == "else" else f"{{{{/{end.body}}}}}"
        raise TemplateSyntaxError(f"{part}: line {end.line}: {what} closes no block.", part)
    for name in parser.called:
        if name not in parser.partials:
            raise TemplateSyntaxError(
                f"{part}: the partial '{name}' is used but never defined with "
                f'{{{{#* inline "{name}"}}}}.',
                part,
            )
    return Parsed(tuple(nodes), dict(parser.partials))


class _Parser:
    def __init__(self, tokens: list[str | _Tag], part: str) -> None:
        self.tokens = tokens
        self.part = part
        self.i = 0
        self.partials: dict[str, tuple[Node, ...]] = {}
        self.called: list[str] = []

    def error(self, tag: _Tag, message: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(f"{self.part}: line {tag.line}: {message}", self.part)

    def nodes(self, depth: int) -> tuple[list[Node], _Tag | None]:
        """Nodes up to the next `{{/…}}` or `{{else}}` (returned), or the end (None)."""
        out: list[Node] = []
        while self.i < len(self.tokens):
            token = self.tokens[self.i]
            self.i += 1
            if isinstance(token, str):
                if token:
                    out.append(Text(token))
            elif token.kind in ("close", "else"):
                return out, token
            elif token.kind == "value":
                out.append(Value(self.path(token, token.body)))
            elif token.kind == "partial":
                name = self.name(token, token.body)
                self.called.append(name)
                out.append(Partial(name))
            elif token.kind in ("open", "inline"):
                if depth >= MAX_NESTING:
                    raise self.error(token, f"blocks nest deeper than {MAX_NESTING}.")
                block = self.block(token, depth + 1, token.body.split(" ", 1)[0])
                if block is not None:
                    out.append(block)
        return out, None

    def block(self, opening: _Tag, depth: int, closer: str) -> Block | None:
        if opening.kind == "inline":
            self.inline(opening, depth)
            return None
        helper, _, arg = opening.body.partition(" ")
        if helper not in _BLOCK_HELPERS:
            raise self.error(opening, f"the helper '{helper}' is not supported.")
        arg = arg.strip()
        if not arg or " " in arg:
            raise self.error(opening, f"{{{{#{helper}}}}} takes exactly one value, got '{arg}'.")
        path = self.path(opening, arg)
        body, end = self.nodes(depth)
        inverse: list[Node] = []
        if end is not None and end.kind == "else":
            if end.body:  # {{else if x}}: a block of its own, closed by our closer
                chained = _Tag("open", end.body, end.line)
                inner = self.block(chained, depth + 1, closer)
                return Block(helper, path, tuple(body), (inner,) if inner else ())
            inverse, end = self.nodes(depth)
        if end is None:
            raise self.error(opening, f"{{{{#{helper}}}}} is never closed.")
        if end.kind == "else":
            raise self.error(end, f"a second {{{{else}}}} in {{{{#{helper}}}}}.")
        if end.body != closer:
            raise self.error(end, f"{{{{/{end.body}}}}} does not close {{{{#{closer}}}}}.")
        return Block(helper, path, tuple(body), tuple(inverse))

    def inline(self, opening: _Tag, depth: int) -> None:
        decorator, _, arg = opening.body.partition(" ")
        if decorator != "inline":
            raise self.error(opening, f"the decorator '{decorator}' is not supported.")
        name = self.name(opening, arg)
        body, end = self.nodes(depth)
        if end is None or end.kind != "close" or end.body != "inline":
            raise self.error(opening, f'{{{{#* inline "{name}"}}}} is never closed.')
        self.partials[name] = tuple(body)
        return None

    def name(self, tag: _Tag, text: str) -> str:
        name = text.strip()
        if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
            name = name[1:-1]
        if not name or _NOT_IN_ID & set(name):
            raise self.error(tag, f"'{text}' is not a partial name.")
        return name

    def path(self, tag: _Tag, text: str) -> Path:
        if not text:
            raise self.error(tag, "an empty {{}}.")
        if " " in text or "\t" in text or "\n" in text:
            helper = text.split(None, 1)[0]
            raise self.error(tag, f"the helper '{helper}' in {{{{{text}}}}} is not supported.")
        rest, data, depth = text, None, 0
        if rest.startswith("@"):
            data, _, rest = rest[1:].partition(".")
            if data not in _DATA_NAMES or (rest and data != "root"):
                raise self.error(tag, f"'{text}' is not a supported @-variable.")
        while rest.startswith("../"):
            depth, rest = depth + 1, rest[3:]
        if rest in ("this", "."):
            rest = ""
        for prefix in ("this.", "this/", "./"):
            if rest.startswith(prefix):
                rest = rest[len(prefix) :]
        parts = tuple(rest.replace("/", ".").split(".")) if rest else ()
        if any(not p or _NOT_IN_ID & set(p) for p in parts):
            raise self.error(tag, f"'{text}' is not a valid path.")
        return Path(text, depth, parts, data)
