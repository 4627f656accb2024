"""The OpenAPI 3.1 description of every route, served at /api/v1/openapi.json.

Written by hand next to the routes; a test fails when a route is missing here. The routes
mailyard shares with Mailpit's API v1 are described here, its own in `openapi_extensions`,
the shared vocabulary in `openapi_parts`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mailyard.web.api.info import app_version
from mailyard.web.api.openapi_extensions import EXTENSION_PATHS
from mailyard.web.api.openapi_parts import (
    _ERR,
    _IDS_BODY,
    ID,
    MAILBOX,
    PAGING,
    SCHEMAS,
    SEARCH_HELP,
    TZ,
    _404,
    _body,
    _json,
    _path,
    _q,
    _ref,
    _text,
)

MAILPIT_PATHS: dict[str, Any] = {
    "/api/v1/messages": {
        "get": {
            "summary": "List messages, newest first",
            "parameters": [*PAGING, MAILBOX],
            "responses": {"200": _json(_ref("MessagesSummary")), "400": _ERR},
        },
        "delete": {
            "summary": "Delete the given messages, or all (of the mailbox) without IDs",
            "parameters": [MAILBOX],
            "requestBody": _body(_IDS_BODY),
            "responses": {"200": _text(), "400": _ERR},
        },
        "put": {
            "summary": "Set read status of the given IDs, of a search, or of all",
            "parameters": [MAILBOX, TZ],
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "IDs": {"type": "array", "items": {"type": "string"}},
                        "Read": {"type": "boolean"},
                        "Search": {"type": "string"},
                    },
                }
            ),
            "responses": {"200": _text(), "400": _ERR},
        },
    },
    "/api/v1/search": {
        "get": {
            "summary": "Search messages",
            "description": SEARCH_HELP,
            "parameters": [_q("query", "Search query", required=True), *PAGING, MAILBOX, TZ],
            "responses": {"200": _json(_ref("MessagesSummary")), "400": _ERR},
        },
        "delete": {
            "summary": "Delete every message matching a search",
            "description": SEARCH_HELP,
            "parameters": [_q("query", "Search query", required=True), MAILBOX, TZ],
            "responses": {"200": _text(), "400": _ERR},
        },
    },
    "/api/v1/message/{id}": {
        "get": {
            "summary": "Get a message (marks it read)",
            "parameters": [ID, MAILBOX],
            "responses": {"200": _json(_ref("Message")), "404": _404},
        }
    },
    "/api/v1/message/{id}/headers": {
        "get": {
            "summary": "Message headers: name -> values, names sorted",
            "parameters": [ID, MAILBOX],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    }
                ),
                "404": _404,
            },
        }
    },
    "/api/v1/message/{id}/raw": {
        "get": {
            "summary": "The message exactly as received",
            "parameters": [ID, MAILBOX, _q("dl", "Download as .eml")],
            "responses": {"200": _text("The raw message"), "404": _404},
        }
    },
    "/api/v1/message/{id}/part/{part}": {
        "get": {
            "summary": "One attachment or inline part, decoded",
            "parameters": [
                ID,
                _path("part", "PartID from the message's Attachments or Inline"),
                MAILBOX,
            ],
            "responses": {
                "200": {"description": "The part, with its content type, as an attachment"},
                "404": _404,
            },
        }
    },
    "/api/v1/send": {
        "post": {
            "summary": "Store a message built from JSON (Mailpit's HTTP send API)",
            "parameters": [_q("mailbox", "The mailbox to store it in (default: default)")],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["From"],
                    "properties": {
                        "From": {
                            "type": "object",
                            "properties": {
                                "Email": {"type": "string"},
                                "Name": {"type": "string"},
                            },
                        },
                        "To": {"type": "array", "items": {"type": "object"}},
                        "Cc": {"type": "array", "items": {"type": "object"}},
                        "Bcc": {"type": "array", "items": {"type": "string"}},
                        "ReplyTo": {"type": "array", "items": {"type": "object"}},
                        "Subject": {"type": "string"},
                        "Text": {"type": "string"},
                        "HTML": {"type": "string"},
                        "Headers": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        },
                        "Tags": {"type": "array", "items": {"type": "string"}},
                        "Attachments": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "Content": {"type": "string", "description": "base64"},
                                    "Filename": {"type": "string"},
                                    "ContentType": {"type": "string"},
                                    "ContentID": {
                                        "type": "string",
                                        "description": "set: attached inline",
                                    },
                                },
                            },
                        },
                    },
                },
                required=True,
            ),
            "responses": {
                "200": _json({"type": "object", "properties": {"ID": {"type": "string"}}}),
                "400": _ERR,
                "413": _ERR,
            },
        }
    },
    "/view/{id}/part/{part}": {
        "get": {
            "summary": "An inline raster image of the HTML view (what cid: references point at)",
            "parameters": [ID, _path("part", "PartID of an inline image")],
            "responses": {"200": {"description": "PNG, JPEG, GIF or WebP"}, "404": _404},
        }
    },
    "/view/{id}.html": {
        "get": {
            "summary": "The HTML body, in a CSP sandbox; remote content blocked unless remote=1",
            "parameters": [
                ID,
                MAILBOX,
                _q("remote", "1 allows remote images, CSS and fonts for this view"),
                _q("scheme", "light or dark: preview the email's own colour-scheme styles"),
            ],
            "responses": {
                "200": {"description": "HTML", "content": {"text/html": {}}},
                "404": _404,
            },
        }
    },
    "/view/{id}.txt": {
        "get": {
            "summary": "The text body",
            "parameters": [ID, MAILBOX],
            "responses": {"200": _text("Text"), "404": _404},
        }
    },
    "/api/v1/tags": {
        "get": {
            "summary": "All tags",
            "parameters": [MAILBOX],
            "responses": {"200": _json({"type": "array", "items": {"type": "string"}})},
        },
        "put": {
            "summary": "Set (replace) the tags of messages",
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["IDs", "Tags"],
                    "properties": {
                        "IDs": {"type": "array", "items": {"type": "string"}},
                        "Tags": {"type": "array", "items": {"type": "string"}},
                    },
                },
                required=True,
            ),
            "responses": {"200": _text(), "400": _ERR},
        },
    },
    "/api/v1/tags/{tag}": {
        "put": {
            "summary": "Rename a tag",
            "parameters": [_path("tag", "The tag")],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["Name"],
                    "properties": {"Name": {"type": "string"}},
                },
                required=True,
            ),
            "responses": {"200": _text(), "400": _ERR},
        },
        "delete": {
            "summary": "Delete a tag from every message",
            "parameters": [_path("tag", "The tag")],
            "responses": {"200": _text()},
        },
    },
    "/api/v1/info": {
        "get": {
            "summary": "Application information (Mailpit's shape, plus mailboxes)",
            "responses": {"200": _json({"type": "object"})},
        }
    },
    "/api/v1/openapi.json": {
        "get": {"summary": "This document", "responses": {"200": _json({"type": "object"})}}
    },
}
PATHS: dict[str, Any] = {**MAILPIT_PATHS, **EXTENSION_PATHS}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mailyard",
            "version": app_version(),
            "description": "Mailpit-compatible API v1 plus mailyard's extensions for CI.",
        },
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }


def route(routes: list[BaseRoute]) -> Route:
    async def openapi_json(request: Request) -> Response:
        return JSONResponse(document())

    return Route("/api/v1/openapi.json", openapi_json, methods=["GET"])
