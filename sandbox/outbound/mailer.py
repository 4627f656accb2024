"""The mailer: render an auth email, route it, send it (or say exactly why not), and log it.

Every send leaves one structured log line, the spec's: `email.concept`, theme name, recipient as
a keyed HMAC (a bare hash of an address is reversible by dictionary), provider, provider message
id, duration, outcome and the provider's error code, as key=value or JSON. The same record goes
to the `send_log` table, so a test can ask whether `email_not_configured` was logged.

Outcomes: `sent`; `skipped` (not configured: nothing sent, the caller still succeeds, as the
spec requires); `blocked` (a real provider and a recipient off the allowlist); `dry_run`;
`failed` (the provider refused; its code is kept).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from mailyard.sandbox.outbound.allowlist import Allowlist
from mailyard.sandbox.outbound.redact import Redactor
from mailyard.sandbox.outbound.routing import NOT_CONFIGURED, Route
from mailyard.sandbox.store.records import SendRecord
from mailyard.sandbox.store.send_log import SendLog
from mailyard.senders import InlinePart, Outgoing, Sender, SendError

# The renderer is imported on the first send: `mailyard serve` starts without it.
if TYPE_CHECKING:
    from mailyard.renderer import Concept, Theme

log = logging.getLogger("mailyard.email")


@dataclass(frozen=True)
class SendResult:
    """What became of one send; `as_dict` is the log record and the API's shape."""

    outcome: str
    concept: str
    theme: str
    locale: str
    recipient: str  # keyed HMAC
    provider: str
    subject: str
    message_id: str = ""
    reason: str | None = None
    error_code: str | None = None
    attempts: int = 0
    duration_ms: float = 0.0
    test: bool = False
    missing: tuple[str, ...] = ()  # the settings a not-configured provider lacks

    @property
    def ok(self) -> bool:
        """True for every outcome the spec counts as success of the calling endpoint."""
        return self.outcome in ("sent", "skipped", "dry_run")

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "missing": list(self.missing)}

    def record(self) -> SendRecord:
        """The send-log row of this result."""
        return SendRecord(
            concept=self.concept,
            theme=self.theme,
            locale=self.locale,
            recipient=self.recipient,
            provider=self.provider,
            outcome=self.outcome,
            message_id=self.message_id,
            reason=self.reason,
            error_code=self.error_code,
            attempts=self.attempts,
            duration_ms=self.duration_ms,
            test=self.test,
            missing=self.missing,
        )


def recipient_hash(key: bytes, address: str) -> str:
    """A keyed HMAC of the normalised address: stable within an install, useless elsewhere."""
    digest = hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()
    return "hmac:" + digest[:24]


class Mailer:
    """Sends auth emails along one route."""

    def __init__(
        self,
        route: Route,
        sender: Sender | None,
        *,
        log_key: bytes,
        send_log: SendLog | None = None,
        allowlist: Allowlist = Allowlist(),  # noqa: B008 - frozen value
        source_app: str = "bluauth",
        dry_run: bool = False,
        log_format: str = "kv",
        redact: Redactor = Redactor(),  # noqa: B008 - stateless after construction
    ) -> None:
        self.route = route
        self._sender = sender if route.configured else None
        self._log_key = log_key
        self._send_log = send_log
        self._allowlist = allowlist
        self._source_app = source_app
        self._dry_run = dry_run
        self._log_format = log_format
        self._redact = redact

    async def send(
        self,
        concept: Concept,
        to: str,
        *,
        theme: Theme | None = None,
        locale: str | None = None,
        timezone: str | None = None,
        test: bool = False,
        tags: Iterable[str] = (),
    ) -> SendResult:
        from mailyard.renderer import build_message, cid_html, render

        started = time.perf_counter()
        email = render(concept, theme, locale=locale, timezone=timezone, test=test)
        base = {
            "concept": concept.name,
            "theme": email.from_name,
            "locale": email.locale,
            "recipient": recipient_hash(self._log_key, to),
            "provider": self.route.provider,
            "subject": email.subject,
            "test": test,
        }

        def done(outcome: str, **extra: object) -> SendResult:
            elapsed = (time.perf_counter() - started) * 1000
            return SendResult(outcome=outcome, duration_ms=round(elapsed, 2), **base, **extra)  # type: ignore[arg-type]

        if self._sender is None:
            result = done(
                "skipped",
                reason=NOT_CONFIGURED,
                error_code=NOT_CONFIGURED,
                missing=self.route.missing,
            )
        elif self.route.real and (refused := self._allowlist.refused([to])):
            result = done(
                "blocked",
                reason=(
                    f"{', '.join(refused)} is not in MAILYARD_ALLOW_RECIPIENTS; real providers "
                    "only mail allowed recipients from a development machine"
                ),
                error_code="recipient_not_allowed",
            )
        elif self._dry_run:
            result = done("dry_run", reason="dry run: rendered, not sent")
        else:
            message = build_message(
                email, sender=self.route.from_address, to=to, tags=[concept.name, *tags]
            )
            # API senders get the HTML as received mail shows it: a shipped logo as a cid: part
            # beside it, not the preview's data: URI, which Gmail does not show.
            html, images = cid_html(email, self.route.from_address.rpartition("@")[2])
            outgoing = Outgoing(
                from_address=self.route.from_address,
                from_name=email.from_name,
                to=(to,),
                subject=email.subject,
                text=email.text,
                html=html,
                inline=tuple(
                    InlinePart(cid, image.filename, image.content_type, image.data)
                    for cid, image in images
                ),
                mime=message.as_bytes(),
                headers=(
                    ("Auto-Submitted", "auto-generated"),
                    ("X-Entity-Ref-ID", str(message["X-Entity-Ref-ID"])),
                ),
                tags=(("concept", concept.name), *((t, "true") for t in tags)),
                idempotency_key=str(uuid.uuid4()),
            )
            try:
                receipt = await self._sender.send(outgoing)
            except SendError as error:
                result = done(
                    "failed",
                    reason=self._redact(error.message),
                    error_code=self._redact(error.code),
                    attempts=getattr(error, "attempts", 1),
                )
            else:
                result = done("sent", message_id=receipt.message_id, attempts=receipt.attempts)
        self._log(result)
        if self._send_log is not None:
            await self._send_log.record(result.record())
        return result

    def _log(self, result: SendResult) -> None:
        fields: dict[str, object] = {
            "event": "email.send",
            "email.concept": result.concept,
            "theme": result.theme,
            "locale": result.locale,
            "recipient": result.recipient,
            "provider": result.provider,
            "message_id": result.message_id,
            "duration_ms": result.duration_ms,
            "outcome": result.outcome,
            "error_code": result.error_code,
            "attempts": result.attempts,
        }
        if result.reason and result.outcome != "sent":
            fields["reason"] = result.reason
        if result.missing:
            fields["missing"] = ",".join(result.missing)
        if self._log_format == "json":
            line = json.dumps(fields, ensure_ascii=False)
        else:
            line = " ".join(f"{k}={_kv(v)}" for k, v in fields.items() if v not in (None, ""))
        level = logging.INFO if result.outcome in ("sent", "dry_run") else logging.WARNING
        log.log(level, line)


def _kv(value: object) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in ' ="') else text
