"""Delivers finished emails to AWS SES, Resend or an SMTP relay.

Network I/O only; imports nothing of mailyard's own. Each sender takes its client in its
constructor (a boto3 client, an `httpx.AsyncClient`, a relay address), so tests aim a real client
at a real local server instead of patching.
"""

from __future__ import annotations

from mailyard.senders.errors import SendError
from mailyard.senders.outgoing import InlinePart, Outgoing, Receipt, Sender, tag_value
from mailyard.senders.resend import DEFAULT_API_URL, ResendSender
from mailyard.senders.retry import Retrying
from mailyard.senders.ses import SESSender
from mailyard.senders.smtp import SMTPRelay, SMTPSender, is_loopback, normalize_line_endings
from mailyard.senders.webhook import Answer, WebhookClient, WebhookURLError

__all__ = [
    "DEFAULT_API_URL",
    "Answer",
    "InlinePart",
    "Outgoing",
    "Receipt",
    "ResendSender",
    "Retrying",
    "SESSender",
    "SMTPRelay",
    "SMTPSender",
    "SendError",
    "Sender",
    "WebhookClient",
    "WebhookURLError",
    "is_loopback",
    "normalize_line_endings",
    "tag_value",
]
