"""The core of mailyard, without HTTP and without the environment: capture, mail reading, the
store, outbound mail, and (next) the simulator, webhooks and auth flows.

`sandbox` may import `renderer` and `senders`; it never imports `web`. The web layer imports
only the names listed in `__all__` (a test holds it to that). They load on first use, so a
command that needs the store does not pay for the mailer's imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailyard.sandbox.capture.compose import Attachment, Parts, compose, decode_base64
    from mailyard.sandbox.capture.credentials import load_credentials, server_tls_context
    from mailyard.sandbox.capture.policy import Faults, SMTPPolicy
    from mailyard.sandbox.capture.smtp import SinkHandler, SMTPConfig, listen, start_smtp
    from mailyard.sandbox.clock import Clock, ClockError
    from mailyard.sandbox.errors import (
        InvalidInputError,
        NotFoundError,
        QueryError,
        SandboxError,
        StorageFullError,
        StoreError,
    )
    from mailyard.sandbox.events import (
        Bus,
        Event,
        MessagesDeleted,
        MessageStored,
        MessagesUpdated,
        Subscription,
    )
    from mailyard.sandbox.mail.links import Code, Link, extract_codes, extract_links
    from mailyard.sandbox.mail.summary import Address, html_to_text
    from mailyard.sandbox.mail.view import MessageView, Part, message_part, view_message
    from mailyard.sandbox.outbound.allowlist import Allowlist
    from mailyard.sandbox.outbound.mailer import Mailer, SendResult, recipient_hash
    from mailyard.sandbox.outbound.redact import Redactor
    from mailyard.sandbox.outbound.routing import (
        MODES,
        NOT_CONFIGURED,
        DeliveryConfig,
        Route,
        choose,
    )
    from mailyard.sandbox.simulate import chaos
    from mailyard.sandbox.simulate.attempts import AttemptCounter
    from mailyard.sandbox.simulate.faults import FaultPlan
    from mailyard.sandbox.simulate.rules import RuleSet
    from mailyard.sandbox.simulate.simulator import Rules, Simulator
    from mailyard.sandbox.simulate.throttle import Allowed, Limits, Throttle, Throttled
    from mailyard.sandbox.store import Retention, Store
    from mailyard.sandbox.store.records import (
        Envelope,
        MessageRecord,
        MessageSummary,
        Page,
        SendLogEntry,
        SendRecord,
        Stored,
    )
    from mailyard.sandbox.store.send_log import SendLogged
    from mailyard.sandbox.store.waiters import Waiters

# name -> the module that defines it
_WHERE = {
    "Attachment": "capture.compose",
    "Parts": "capture.compose",
    "compose": "capture.compose",
    "decode_base64": "capture.compose",
    "load_credentials": "capture.credentials",
    "Faults": "capture.policy",
    "SMTPPolicy": "capture.policy",
    "FaultPlan": "simulate.faults",
    "server_tls_context": "capture.credentials",
    "SinkHandler": "capture.smtp",
    "SMTPConfig": "capture.smtp",
    "listen": "capture.smtp",
    "start_smtp": "capture.smtp",
    "Clock": "clock",
    "ClockError": "clock",
    "InvalidInputError": "errors",
    "NotFoundError": "errors",
    "QueryError": "errors",
    "SandboxError": "errors",
    "StorageFullError": "errors",
    "StoreError": "errors",
    "Bus": "events",
    "Event": "events",
    "MessagesDeleted": "events",
    "MessageStored": "events",
    "MessagesUpdated": "events",
    "Subscription": "events",
    "Code": "mail.links",
    "Link": "mail.links",
    "extract_codes": "mail.links",
    "extract_links": "mail.links",
    "Address": "mail.summary",
    "html_to_text": "mail.summary",
    "MessageView": "mail.view",
    "Part": "mail.view",
    "message_part": "mail.view",
    "view_message": "mail.view",
    "Allowlist": "outbound.allowlist",
    "Mailer": "outbound.mailer",
    "SendResult": "outbound.mailer",
    "Redactor": "outbound.redact",
    "recipient_hash": "outbound.mailer",
    "MODES": "outbound.routing",
    "NOT_CONFIGURED": "outbound.routing",
    "DeliveryConfig": "outbound.routing",
    "Route": "outbound.routing",
    "choose": "outbound.routing",
    "RuleSet": "simulate.rules",
    "AttemptCounter": "simulate.attempts",
    "Allowed": "simulate.throttle",
    "Limits": "simulate.throttle",
    "Throttle": "simulate.throttle",
    "Throttled": "simulate.throttle",
    "Rules": "simulate.simulator",
    "Simulator": "simulate.simulator",
    "Retention": "store",
    "Store": "store",
    "Envelope": "store.records",
    "MessageRecord": "store.records",
    "MessageSummary": "store.records",
    "Page": "store.records",
    "SendLogEntry": "store.records",
    "SendRecord": "store.records",
    "Stored": "store.records",
    "SendLogged": "store.send_log",
    "Waiters": "store.waiters",
}

__all__ = [
    "MODES",
    "NOT_CONFIGURED",
    "Address",
    "Allowed",
    "Allowlist",
    "Attachment",
    "AttemptCounter",
    "Bus",
    "Clock",
    "ClockError",
    "Code",
    "DeliveryConfig",
    "Envelope",
    "Event",
    "FaultPlan",
    "Faults",
    "InvalidInputError",
    "Limits",
    "Link",
    "Mailer",
    "MessageRecord",
    "MessageStored",
    "MessageSummary",
    "MessageView",
    "MessagesDeleted",
    "MessagesUpdated",
    "NotFoundError",
    "Page",
    "Part",
    "Parts",
    "QueryError",
    "Redactor",
    "Retention",
    "Route",
    "RuleSet",
    "Rules",
    "SMTPConfig",
    "SMTPPolicy",
    "SandboxError",
    "SendLogEntry",
    "SendLogged",
    "SendRecord",
    "SendResult",
    "Simulator",
    "SinkHandler",
    "StorageFullError",
    "Store",
    "StoreError",
    "Stored",
    "Subscription",
    "Throttle",
    "Throttled",
    "Waiters",
    "chaos",
    "choose",
    "compose",
    "decode_base64",
    "extract_codes",
    "extract_links",
    "html_to_text",
    "listen",
    "load_credentials",
    "message_part",
    "recipient_hash",
    "server_tls_context",
    "start_smtp",
    "view_message",
]


_MODULES = {"chaos": "simulate.chaos"}  # names that are modules


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        module = importlib.import_module(f"mailyard.sandbox.{_MODULES[name]}")
        globals()[name] = module
        return module
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'mailyard.sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mailyard.sandbox.{where}"), name)
    globals()[name] = value
    return value
