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
    from mailyard.sandbox.auth.errors import AuthError, RateLimitedError, TokenError
    from mailyard.sandbox.auth.events import (
        AUTH_EVENTS,
        AuthEvent,
        InvitationAccepted,
        InvitationCreated,
        InvitationRevoked,
        UserCreated,
    )
    from mailyard.sandbox.auth.history import (
        DeliveryEvent,
        DeliveryHistory,
        MemoryDeliveryHistory,
        SimulatorHistory,
    )
    from mailyard.sandbox.auth.invitations import invitation_json
    from mailyard.sandbox.auth.limits import PublicLimits, RateLimit, client_key
    from mailyard.sandbox.auth.parts import AuthConfig
    from mailyard.sandbox.auth.service import AuthService
    from mailyard.sandbox.auth.tenants import client_json, theme_json
    from mailyard.sandbox.capture.compose import Attachment, Parts, compose, decode_base64
    from mailyard.sandbox.capture.credentials import load_credentials, server_tls_context
    from mailyard.sandbox.capture.policy import Faults, SMTPPolicy
    from mailyard.sandbox.capture.provider_mail import (
        compose_message,
        non_ascii_address,
        raw_addresses,
        rendered_template,
    )
    from mailyard.sandbox.capture.provider_summary import composed_summary
    from mailyard.sandbox.capture.ses_templates import (
        RenderingFailureError,
        TemplateContent,
        TemplateDataError,
        compile_template,
        parse_template_data,
        render_template,
    )
    from mailyard.sandbox.capture.sink_handler import SinkHandler
    from mailyard.sandbox.capture.smtp import SMTPConfig, listen, start_smtp
    from mailyard.sandbox.checklist.report import ChecklistReport
    from mailyard.sandbox.checklist.run import Checklist
    from mailyard.sandbox.checklist.target import ChecklistTarget
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
        SMTPErrorReply,
        Subscription,
    )
    from mailyard.sandbox.mail import mimetree
    from mailyard.sandbox.mail.checks import review
    from mailyard.sandbox.mail.clicks import link_targets, track_links
    from mailyard.sandbox.mail.htmlcheck import HTMLCheckResult, check_html
    from mailyard.sandbox.mail.linkcheck import LinkCheckResult, check_links, link_check_urls
    from mailyard.sandbox.mail.links import Code, Link, extract_codes, extract_links
    from mailyard.sandbox.mail.partkinds import ATTACHMENT, INLINE, OTHER, part_kinds
    from mailyard.sandbox.mail.summary import Address, html_to_text
    from mailyard.sandbox.mail.view import (
        MessageView,
        Part,
        message_part,
        view_message,
        view_tree,
    )
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
    from mailyard.sandbox.simulate.addresses import provider_address
    from mailyard.sandbox.simulate.attempts import AttemptCounter
    from mailyard.sandbox.simulate.errors import ScenarioError
    from mailyard.sandbox.simulate.faults import FaultPlan
    from mailyard.sandbox.simulate.outcomes import Engagement, Kind, Step
    from mailyard.sandbox.simulate.payloads import About
    from mailyard.sandbox.simulate.payloads import render as render_payload
    from mailyard.sandbox.simulate.resend_events import last_event as resend_last_event
    from mailyard.sandbox.simulate.rules import RuleSet
    from mailyard.sandbox.simulate.scenarios import api_refusal, scenario_for
    from mailyard.sandbox.simulate.ses_mail import ses_message_id
    from mailyard.sandbox.simulate.simulator import Rules, Simulator
    from mailyard.sandbox.simulate.throttle import Allowed, Limits, Throttle, Throttled
    from mailyard.sandbox.store import Retention, Store
    from mailyard.sandbox.store.emulation import Document, Emulation, ScheduledEmail
    from mailyard.sandbox.store.event_records import EventsOccurred, StoredEvent
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
    from mailyard.sandbox.store.suppressions import Suppression, SuppressionsChanged
    from mailyard.sandbox.store.waiters import Waiters
    from mailyard.sandbox.store.webhooks import Delivery as WebhookDelivery
    from mailyard.sandbox.store.webhooks import Endpoint
    from mailyard.sandbox.webhooks.dispatcher import Dispatcher
    from mailyard.sandbox.webhooks.formats import Formats, event_names
    from mailyard.sandbox.webhooks.receiver_check import Report as ReceiverReport
    from mailyard.sandbox.webhooks.receiver_check import check_receiver
    from mailyard.sandbox.webhooks.receiver_probes import SNSTarget, SvixTarget
    from mailyard.sandbox.webhooks.sns_envelope import Subscription as SNSSubscription
    from mailyard.sandbox.webhooks.sns_signing import SigningKey

# name -> the module that defines it
_WHERE = {
    # the reference auth service
    "AuthError": "auth.errors",
    "RateLimitedError": "auth.errors",
    "TokenError": "auth.errors",
    "AUTH_EVENTS": "auth.events",
    "AuthEvent": "auth.events",
    "InvitationAccepted": "auth.events",
    "InvitationCreated": "auth.events",
    "InvitationRevoked": "auth.events",
    "UserCreated": "auth.events",
    "DeliveryEvent": "auth.history",
    "DeliveryHistory": "auth.history",
    "MemoryDeliveryHistory": "auth.history",
    "SimulatorHistory": "auth.history",
    "invitation_json": "auth.invitations",
    "PublicLimits": "auth.limits",
    "RateLimit": "auth.limits",
    "client_key": "auth.limits",
    "AuthConfig": "auth.parts",
    "AuthService": "auth.service",
    "client_json": "auth.tenants",
    "theme_json": "auth.tenants",
    "Checklist": "checklist.run",
    "ChecklistReport": "checklist.report",
    "ChecklistTarget": "checklist.target",
    "Attachment": "capture.compose",
    "Parts": "capture.compose",
    "compose": "capture.compose",
    "decode_base64": "capture.compose",
    "load_credentials": "capture.credentials",
    "Faults": "capture.policy",
    "SMTPPolicy": "capture.policy",
    "FaultPlan": "simulate.faults",
    "server_tls_context": "capture.credentials",
    "SinkHandler": "capture.sink_handler",
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
    "SMTPErrorReply": "events",
    "Subscription": "events",
    "Code": "mail.links",
    "Link": "mail.links",
    "extract_codes": "mail.links",
    "extract_links": "mail.links",
    "Address": "mail.summary",
    "html_to_text": "mail.summary",
    "HTMLCheckResult": "mail.htmlcheck",
    "check_html": "mail.htmlcheck",
    "review": "mail.checks",
    "ATTACHMENT": "mail.partkinds",
    "INLINE": "mail.partkinds",
    "OTHER": "mail.partkinds",
    "part_kinds": "mail.partkinds",
    "link_targets": "mail.clicks",
    "track_links": "mail.clicks",
    "LinkCheckResult": "mail.linkcheck",
    "check_links": "mail.linkcheck",
    "link_check_urls": "mail.linkcheck",
    "MessageView": "mail.view",
    "Part": "mail.view",
    "message_part": "mail.view",
    "view_message": "mail.view",
    "view_tree": "mail.view",
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
    "Engagement": "simulate.outcomes",
    "Kind": "simulate.outcomes",
    "Step": "simulate.outcomes",
    "About": "simulate.payloads",
    "EventsOccurred": "store.event_records",
    "StoredEvent": "store.event_records",
    "Suppression": "store.suppressions",
    "SuppressionsChanged": "store.suppressions",
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
    "Endpoint": "store.webhooks",
    "Dispatcher": "webhooks.dispatcher",
    "Formats": "webhooks.formats",
    "event_names": "webhooks.formats",
    "SigningKey": "webhooks.sns_signing",
    "check_receiver": "webhooks.receiver_check",
    "SNSTarget": "webhooks.receiver_probes",
    "SvixTarget": "webhooks.receiver_probes",
    # the provider emulators (web.emulate)
    "compose_message": "capture.provider_mail",
    "composed_summary": "capture.provider_summary",
    "non_ascii_address": "capture.provider_mail",
    "raw_addresses": "capture.provider_mail",
    "rendered_template": "capture.provider_mail",
    "RenderingFailureError": "capture.ses_templates",
    "TemplateContent": "capture.ses_templates",
    "TemplateDataError": "capture.ses_templates",
    "compile_template": "capture.ses_templates",
    "parse_template_data": "capture.ses_templates",
    "render_template": "capture.ses_templates",
    "provider_address": "simulate.addresses",
    "ScenarioError": "simulate.errors",
    "api_refusal": "simulate.scenarios",
    "scenario_for": "simulate.scenarios",
    "ses_message_id": "simulate.ses_mail",
    "Document": "store.emulation",
    "Emulation": "store.emulation",
    "ScheduledEmail": "store.emulation",
}

__all__ = [
    "ATTACHMENT",
    # the reference auth service
    "AUTH_EVENTS",
    "INLINE",
    "MODES",
    "NOT_CONFIGURED",
    "OTHER",
    "About",
    "Address",
    "Allowed",
    "Allowlist",
    "Attachment",
    "AttemptCounter",
    "AuthConfig",
    "AuthError",
    "AuthEvent",
    "AuthService",
    "Bus",
    "Checklist",
    "ChecklistReport",
    "ChecklistTarget",
    "Clock",
    "ClockError",
    "Code",
    "DeliveryConfig",
    "DeliveryEvent",
    "DeliveryHistory",
    "Dispatcher",
    "Document",
    "Emulation",
    "Endpoint",
    "Engagement",
    "Envelope",
    "Event",
    "EventsOccurred",
    "FaultPlan",
    "Faults",
    "Formats",
    "HTMLCheckResult",
    "InvalidInputError",
    "InvitationAccepted",
    "InvitationCreated",
    "InvitationRevoked",
    "Kind",
    "Limits",
    "Link",
    "LinkCheckResult",
    "Mailer",
    "MemoryDeliveryHistory",
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
    "PublicLimits",
    "QueryError",
    "RateLimit",
    "RateLimitedError",
    "ReceiverReport",
    "Redactor",
    "RenderingFailureError",
    "Retention",
    "Route",
    "RuleSet",
    "Rules",
    "SMTPConfig",
    "SMTPErrorReply",
    "SMTPPolicy",
    "SNSSubscription",
    "SNSTarget",
    "SandboxError",
    "ScenarioError",
    "ScheduledEmail",
    "SendLogEntry",
    "SendLogged",
    "SendRecord",
    "SendResult",
    "SigningKey",
    "Simulator",
    "SimulatorHistory",
    "SinkHandler",
    "Step",
    "StorageFullError",
    "Store",
    "StoreError",
    "Stored",
    "StoredEvent",
    "Subscription",
    "Suppression",
    "SuppressionsChanged",
    "SvixTarget",
    "TemplateContent",
    "TemplateDataError",
    "Throttle",
    "Throttled",
    "TokenError",
    "UserCreated",
    "Waiters",
    "WebhookDelivery",
    "api_refusal",
    "chaos",
    "check_html",
    "check_links",
    "check_receiver",
    "choose",
    "client_json",
    "client_key",
    "compile_template",
    "compose",
    "compose_message",
    "composed_summary",
    "decode_base64",
    "event_names",
    "extract_codes",
    "extract_links",
    "html_to_text",
    "invitation_json",
    "link_check_urls",
    "link_targets",
    "listen",
    "load_credentials",
    "message_part",
    "mimetree",
    "non_ascii_address",
    "parse_template_data",
    "part_kinds",
    "provider_address",
    "raw_addresses",
    "recipient_hash",
    "render_payload",
    "render_template",
    "rendered_template",
    "resend_last_event",
    "review",
    "scenario_for",
    "server_tls_context",
    "ses_message_id",
    "start_smtp",
    "theme_json",
    "track_links",
    "view_message",
    "view_tree",
]


_MODULES = {"chaos": "simulate.chaos", "mimetree": "mail.mimetree"}  # names that are modules
_RENAMED = {
    "render_payload": ("simulate.payloads", "render"),
    "resend_last_event": ("simulate.resend_events", "last_event"),
    "ReceiverReport": ("webhooks.receiver_check", "Report"),
    "SNSSubscription": ("webhooks.sns_envelope", "Subscription"),
    "WebhookDelivery": ("store.webhooks", "Delivery"),
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        module = importlib.import_module(f"mailyard.sandbox.{_MODULES[name]}")
        globals()[name] = module
        return module
    if name in _RENAMED:
        module_name, attribute = _RENAMED[name]
        value = getattr(importlib.import_module(f"mailyard.sandbox.{module_name}"), attribute)
        globals()[name] = value
        return value
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'mailyard.sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mailyard.sandbox.{where}"), name)
    globals()[name] = value
    return value
