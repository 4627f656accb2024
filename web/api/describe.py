"""Describing API operations beside their handlers, for the OpenAPI document.

    @operation("List messages, newest first", parameters=[*PAGING, MAILBOX],
               responses={"200": json_response(ref("MessagesSummary")), "400": ERROR})
    async def list_messages(request: Request) -> Response: ...

`web.api.openapi` collects these from the route table; a route whose handler has no
description is left out of the document (pages of the inbox), and a test makes sure every
route under /api/ has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from mailyard.web.api.schemas import ref

H = TypeVar("H", bound=Callable[..., Any])
ATTRIBUTE = "__openapi__"
HANDLERS = "__handlers__"  # on a route's dispatcher: method -> handler (web.routes.resource)
ERRORS = "__errors__"  # on a handler: how its errors are written (web.api.surface)
ErrorStyle = Literal["json", "mailpit", "mailpit-json"]


def operation(
    summary: str,
    *,
    description: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    responses: dict[str, Any] | None = None,
    tags: tuple[str, ...] = (),
    errors: ErrorStyle = "json",
) -> Callable[[H], H]:
    """Attach an OpenAPI operation object to a handler, and say how its errors are written:
    `json` (mailyard's, naming the field), `mailpit` (Mailpit's plain text) or `mailpit-json`
    (Mailpit's `{"Error": ...}`, its send API's); see `web.api.surface`."""
    spec: dict[str, Any] = {"summary": summary}
    if description:
        spec["description"] = description
    if tags:
        spec["tags"] = list(tags)
    if parameters:
        spec["parameters"] = parameters
    if body is not None:
        spec["requestBody"] = body
    spec["responses"] = responses or {"200": {"description": "OK"}}

    def attach(handler: H) -> H:
        setattr(handler, ATTRIBUTE, spec)
        setattr(handler, ERRORS, errors)
        return handler

    return attach


def described(handler: object) -> dict[str, Any] | None:
    value = getattr(handler, ATTRIBUTE, None)
    return value if isinstance(value, dict) else None


def operations(endpoint: object, methods: set[str]) -> dict[str, dict[str, Any]]:
    """Method -> operation object for a route's endpoint (a handler, or a dispatcher of them)."""
    handlers = getattr(endpoint, HANDLERS, None)
    if isinstance(handlers, dict):
        found = {m: described(h) for m, h in handlers.items()}
    else:
        found = {m: described(endpoint) for m in methods - {"HEAD"}}
    return {m: spec for m, spec in found.items() if spec is not None}


def query(
    name: str, description: str, schema: dict[str, Any] | None = None, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def json_response(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def text_response(description: str = "Plain text `ok`") -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def json_body(schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


def fields(*required: str, **properties: Any) -> dict[str, Any]:
    """A JSON body whose keys match case-insensitively, as Mailpit's (Go's decoder) do, and
    which allows no other key: each property is written as a pattern (`IDs` ~ `^[Ii][Dd][Ss]$`),
    the one way JSON Schema can say it."""
    patterns = {
        "^" + "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in name) + "$": value
        for name, value in properties.items()
    }
    schema: dict[str, Any] = {
        "type": "object",
        "patternProperties": patterns,
        "additionalProperties": False,
        "description": "Keys match case-insensitively: " + ", ".join(properties),
    }
    if required:
        # "required" would name one spelling; at least that many of these keys says it for all.
        schema["minProperties"] = len(required)
        schema["description"] += "; required: " + ", ".join(required)
    return schema


ERROR = json_response(ref("Error"), "Bad input: the error names the field")
NOT_FOUND = json_response(ref("Error"), "Not found")
TEXT_ERROR = text_response("Bad input: Mailpit's plain-text error, naming the field")
MAILPIT_JSON_ERROR = {
    "type": "object",
    "properties": {"Error": {"type": "string"}, "Field": {"type": ["string", "null"]}},
}
TEXT_NOT_FOUND = text_response("Not found (`404 page not found`, or `Message not found`)")
MAILBOX = query(
    "mailbox", "mailyard: only this mailbox (the SMTP AUTH user that sent it); all if omitted"
)
TZ = query("tz", "Time zone for before:/after: in the query, e.g. Europe/Berlin")
ID = path("id", "Message ID, or `latest` for the newest message")
SEARCH_QUERY = query(
    "query",
    "Search query (Mailpit's syntax); an empty one is refused",
    {"type": "string", "pattern": "\\S"},
    required=True,
)
LATEST_QUERY = query("query", "With the ID `latest`: the newest message matching this search")
PAGING = [
    query(
        "start",
        "Offset; anything but a whole number above 0 is 0 (as Mailpit reads it)",
        {"type": "string"},
    ),
    query(
        "limit",
        "Page size (default 50); anything but a whole number of 0 or more is 50",
        {"type": "string"},
    ),
]
IDS_BODY = fields("IDs", IDs=strings())
SEARCH_HELP = (
    'Mailpit\'s search syntax: free words and "quoted phrases", from: to: cc: bcc: reply-to: '
    "subject: message-id: addressed: tag: is:read is:unread is:tagged has:attachment "
    "has:inline before: after: larger: smaller:, and mailyard's mailbox:; prefix any term with "
    "- or ! to negate."
)


def found_in_message(summary: str, key: str, item: str) -> Callable[[H], H]:
    """A GET over one message answering {ID, <key>: [<item>...]}."""
    return operation(
        summary,
        parameters=[ID, LATEST_QUERY, MAILBOX],
        responses={
            "200": json_response(
                obj(ID={"type": "string"}, **{key: {"type": "array", "items": ref(item)}})
            ),
            "400": ERROR,
            "404": NOT_FOUND,
        },
    )
