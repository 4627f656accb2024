"""Building blocks of the OpenAPI description: parameter and response helpers, and the schemas."""

from __future__ import annotations

from typing import Any


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


def _body(schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _found_in_message(summary: str, key: str, item: str) -> dict[str, Any]:
    """A GET over one message answering {ID, <key>: [<item>...]}."""
    return {
        "get": {
            "summary": summary,
            "parameters": [ID, MAILBOX],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "ID": {"type": "string"},
                            key: {"type": "array", "items": _ref(item)},
                        },
                    }
                ),
                "404": _404,
            },
        }
    }
