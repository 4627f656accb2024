"""mailyard's own routes in the OpenAPI description: CI helpers, the mailer, health."""

from __future__ import annotations

from typing import Any

from mailyard.web.api.openapi_parts import (
    _ERR,
    MAILBOX,
    SEARCH_HELP,
    TZ,
    _body,
    _found_in_message,
    _json,
    _q,
    _ref,
)

EXTENSION_PATHS: dict[str, Any] = {
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
    "/api/v1/message/{id}/links": _found_in_message(
        "mailyard: every link, with its text, query and token parameters", "links", "Link"
    ),
    "/api/v1/message/{id}/codes": _found_in_message(
        "mailyard: one-time codes in the subject and body, most likely first", "codes", "Code"
    ),
    "/api/v1/email-test": {
        "post": {
            "summary": "The spec's email-test: preview an auth email, or send a [TEST] copy",
            "description": "BluAuth's body: emailConcept, recipientEmail, previewOnly, themeId "
            "(a sample theme name); plus theme (inline object), locale, variables. Links carry "
            "test-preview-token-000. Sends go through the configured delivery; a provider "
            "that is not configured answers success with outcome skipped.",
            "requestBody": _body(
                {
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
                },
                required=True,
            ),
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
