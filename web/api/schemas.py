"""The shared JSON schemas of the API description (components/schemas)."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_ADDRESS = {
    "type": "object",
    "properties": {"Name": {"type": "string"}, "Address": {"type": "string"}},
}
_ADDRESSES = {"type": "array", "items": ref("Address")}
_SUMMARY_PROPS: dict[str, Any] = {
    "ID": {"type": "string"},
    "MessageID": {"type": "string"},
    "Read": {"type": "boolean"},
    "From": ref("Address"),
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
            "messages": {"type": "array", "items": ref("MessageSummary")},
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
            "Inline": {"type": "array", "items": ref("Attachment")},
            "Attachments": {"type": "array", "items": ref("Attachment")},
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
