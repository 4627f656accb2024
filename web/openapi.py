"""The OpenAPI 3.1 description of every route, served at /api/v1/openapi.json.

Written by hand next to the routes; a test fails when a route is missing here.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .api_info import app_version


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _q(
    name: str, description: str, schema: dict[str, Any] | None = None, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _text(description: str = "Plain text `ok`") -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


_ERR = _json(_ref("Error"), "Bad input: the error names the field")
_404 = _json(_ref("Error"), "Not found")
MAILBOX = _q(
    "mailbox", "Only this mailbox (the SMTP AUTH user that sent it); all mailboxes if omitted"
)
TZ = _q("tz", "Time zone for before:/after: in the query, e.g. Europe/Berlin")
ID = _path("id", "Message ID, or `latest` for the newest message")
PAGING = [
    _q("start", "Offset", {"type": "integer", "default": 0, "minimum": 0}),
    _q("limit", "Page size", {"type": "integer", "default": 50, "minimum": 1, "maximum": 1000}),
]
SEARCH_HELP = (
    'Mailpit\'s search syntax: free words and "quoted phrases" (substring, Unicode '
    "case-insensitive), from: to: cc: bcc: reply-to: subject: message-id: addressed: tag: "
    "is:read is:unread is:tagged has:attachment before: after: (YYYY-MM-DD, ISO date-time, or "
    "30m/2h/7d) larger: smaller: (10k, 2M) mailbox:; prefix any term with - to negate."
)

_ADDRESS = {
    "type": "object",
    "properties": {"Name": {"type": "string"}, "Address": {"type": "string"}},
}
_ADDRESSES = {"type": "array", "items": _ref("Address")}
_SUMMARY_PROPS: dict[str, Any] = {
    "ID": {"type": "string"},
    "MessageID": {"type": "string"},
    "Read": {"type": "boolean"},
    "From": _ref("Address"),
    "To": _ADDRESSES,
    "Cc": _ADDRESSES,
    "Bcc": _ADDRESSES,
    "ReplyTo": _ADDRESSES,
    "Subject": {"type": "string"},
    "Created": {"type": "string", "format": "date-time"},
    "Username": {"type": "string"},
    "Tags": {"type": "array", "items": {"type": "string"}},
    "Size": {"type": "integer"},
    "Attachments": {"type": "integer"},
    "Snippet": {"type": "string"},
    "Mailbox": {"type": "string", "description": "mailyard: the mailbox holding the message"},
}
_PART = {
    "type": "object",
    "properties": {
        "PartID": {"type": "string"},
        "FileName": {"type": "string"},
        "ContentType": {"type": "string"},
        "ContentID": {"type": "string"},
        "Size": {"type": "integer"},
        "Checksums": {
            "type": "object",
            "properties": {k: {"type": "string"} for k in ("MD5", "SHA1", "SHA256")},
        },
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": ["string", "null"]},
                },
            }
        },
    },
    "Address": _ADDRESS,
    "MessageSummary": {"type": "object", "properties": _SUMMARY_PROPS},
    "MessagesSummary": {
        "type": "object",
        "properties": {
            "total": {"type": "integer"},
            "unread": {"type": "integer"},
            "messages_count": {"type": "integer"},
            "messages_unread": {"type": "integer"},
            "start": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "messages": {"type": "array", "items": _ref("MessageSummary")},
            "cursor": {
                "type": "string",
                "description": "mailyard: the newest message's cursor, for wait?after=",
            },
        },
    },
    "Attachment": _PART,
    "Message": {
        "type": "object",
        "properties": {
            **_SUMMARY_PROPS,
            "ReturnPath": {"type": "string"},
            "Date": {"type": "string"},
            "Text": {"type": "string"},
            "HTML": {"type": "string"},
            "Inline": {"type": "array", "items": _ref("Attachment")},
            "Attachments": {"type": "array", "items": _ref("Attachment")},
            "ListUnsubscribe": {"type": "object"},
            "Envelope": {
                "type": "object",
                "description": "mailyard: how the message arrived",
                "properties": {
                    "MailFrom": {"type": "string"},
                    "RcptTo": {"type": "array", "items": {"type": "string"}},
                    "Source": {"type": "string"},
                    "ClientAddress": {"type": "string"},
                    "Helo": {"type": "string"},
                    "TLS": {"type": "boolean"},
                },
            },
            "SHA256": {"type": "string"},
            "Notes": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Link": {
        "type": "object",
        "properties": {
            "url": {"type": "string"},
            "text": {"type": "string"},
            "source": {"enum": ["html", "text"]},
            "scheme": {"type": "string"},
            "host": {"type": "string"},
            "path": {"type": "string"},
            "query": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "tokens": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "SendLogEntry": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "created": {"type": "string"},
            "concept": {"type": "string"},
            "theme": {"type": "string"},
            "locale": {"type": "string"},
            "recipient": {
                "type": "string",
                "description": "keyed HMAC of the address, never the address",
            },
            "provider": {"type": "string"},
            "message_id": {"type": "string"},
            "outcome": {"enum": ["sent", "skipped", "blocked", "dry_run", "failed"]},
            "reason": {"type": ["string", "null"]},
            "error_code": {"type": ["string", "null"]},
            "attempts": {"type": "integer"},
            "duration_ms": {"type": "number"},
            "test": {"type": "boolean"},
            "missing": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Code": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "source": {"enum": ["subject", "text"]},
            "context": {"type": "string"},
        },
    },
}

_IDS_BODY = {
    "type": "object",
    "properties": {"IDs": {"type": "array", "items": {"type": "string"}}},
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": False, "content": {"application/json": {"schema": schema}}}


PATHS: dict[str, Any] = {
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
    "/api/v1/messages/wait": {
        "get": {
            "summary": "mailyard: wait for a matching message (long poll)",
            "description": "Returns the oldest message newer than the cursor `after` that matches "
            "`query`; without `after`, the newest matching message. Answers 408 "
            "when none arrives within `timeout` seconds. " + SEARCH_HELP,
            "parameters": [
                _q("query", "Search query (empty: any message)"),
                _q(
                    "after",
                    "A cursor (from a listing, /messages/cursor or a previous wait) "
                    "or a message ID",
                ),
                _q("timeout", "Seconds to wait, 0-300", {"type": "number", "default": 30}),
                MAILBOX,
                TZ,
            ],
            "responses": {
                "200": _json(
                    {
                        "allOf": [
                            _ref("MessageSummary"),
                            {"type": "object", "properties": {"cursor": {"type": "string"}}},
                        ]
                    }
                ),
                "400": _ERR,
                "408": _json(_ref("Error"), "Timed out"),
            },
        }
    },
    "/api/v1/messages/cursor": {
        "get": {
            "summary": "mailyard: the current cursor; wait?after=<cursor> sees only newer mail",
            "responses": {
                "200": _json({"type": "object", "properties": {"cursor": {"type": "string"}}})
            },
        }
    },
    "/api/v1/mailboxes": {
        "get": {
            "summary": "mailyard: mailboxes with their totals",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "mailboxes": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string"},
                                        "total": {"type": "integer"},
                                        "unread": {"type": "integer"},
                                    },
                                },
                            }
                        },
                    }
                )
            },
        }
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
    "/api/v1/message/{id}/links": {
        "get": {
            "summary": "mailyard: every link, with its text, query and token parameters",
            "parameters": [ID, MAILBOX],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "ID": {"type": "string"},
                            "links": {"type": "array", "items": _ref("Link")},
                        },
                    }
                ),
                "404": _404,
            },
        }
    },
    "/api/v1/message/{id}/codes": {
        "get": {
            "summary": "mailyard: one-time codes in the subject and body, most likely first",
            "parameters": [ID, MAILBOX],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "ID": {"type": "string"},
                            "codes": {"type": "array", "items": _ref("Code")},
                        },
                    }
                ),
                "404": _404,
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
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["IDs", "Tags"],
                            "properties": {
                                "IDs": {"type": "array", "items": {"type": "string"}},
                                "Tags": {"type": "array", "items": {"type": "string"}},
                            },
                        }
                    }
                },
            },
            "responses": {"200": _text(), "400": _ERR},
        },
    },
    "/api/v1/tags/{tag}": {
        "put": {
            "summary": "Rename a tag",
            "parameters": [_path("tag", "The tag")],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["Name"],
                            "properties": {"Name": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": {"200": _text(), "400": _ERR},
        },
        "delete": {
            "summary": "Delete a tag from every message",
            "parameters": [_path("tag", "The tag")],
            "responses": {"200": _text()},
        },
    },
    "/api/v1/email-test": {
        "post": {
            "summary": "The spec's email-test: preview an auth email, or send a [TEST] copy",
            "description": "BluAuth's body: emailConcept, recipientEmail, previewOnly, themeId "
            "(a sample theme name); plus theme (inline object), locale, variables. Links carry "
            "test-preview-token-000. Sends go through the configured delivery; a provider "
            "that is not configured answers success with outcome skipped.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["emailConcept"],
                            "properties": {
                                "emailConcept": {"type": "string"},
                                "recipientEmail": {"type": "string"},
                                "previewOnly": {"type": "boolean"},
                                "themeId": {"type": "string"},
                                "theme": {"type": "object"},
                                "locale": {"type": "string"},
                                "variables": {"type": "object"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {"success": {"type": "boolean"}, "data": {"type": "object"}},
                    }
                ),
                "400": _ERR,
                "502": _json({"type": "object"}, "The provider refused the send"),
            },
        }
    },
    "/api/v1/send-log": {
        "get": {
            "summary": "mailyard: what the mailer sent, skipped (not configured), blocked, failed",
            "parameters": [
                _q("concept", "Only this email concept"),
                _q("outcome", "sent, skipped, blocked, dry_run or failed"),
                _q("reason", "e.g. email_not_configured"),
                _q("limit", "At most this many, newest first", {"type": "integer", "default": 50}),
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer"},
                            "entries": {"type": "array", "items": _ref("SendLogEntry")},
                        },
                    }
                ),
                "400": _ERR,
            },
        }
    },
    "/api/v1/delivery": {
        "get": {
            "summary": "mailyard: the configured delivery and whether its provider can send",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "mode": {"type": "string"},
                            "provider": {"type": "string"},
                            "configured": {"type": "boolean"},
                            "missing": {"type": "array", "items": {"type": "string"}},
                            "from": {"type": "string"},
                            "leavesThisMachine": {"type": "boolean"},
                            "dryRun": {"type": "boolean"},
                            "allowRecipients": {"type": "array", "items": {"type": "string"}},
                        },
                    }
                )
            },
        }
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
    "/livez": {
        "get": {"summary": "The process is up", "responses": {"200": _json({"type": "object"})}}
    },
    "/readyz": {
        "get": {
            "summary": "The store and the SMTP sink are serving",
            "responses": {
                "200": _json({"type": "object"}),
                "503": _json({"type": "object"}, "Starting"),
            },
        }
    },
}


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
