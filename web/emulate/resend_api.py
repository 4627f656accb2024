"""Resend's email endpoints.

    POST  /emails               send one (Idempotency-Key honoured; `scheduled_at` held)
    POST  /emails/batch         send up to 100; `x-batch-validation: strict` (the default: one
                                invalid email refuses the batch) or `permissive` (the valid
                                ones are sent, the others listed in `errors`)
    GET   /emails/{id}          the email, with `last_event` from the simulator
    PATCH /emails/{id}          move a scheduled email (`scheduled_at`)
    POST  /emails/{id}/cancel   cancel a scheduled email

The SDKs send a body (`{}`) or a JSON content type on GETs and on cancel; both are accepted
and ignored. An `Idempotency-Key` seen in the last 24 hours (on the clock) with the same request
answers what it answered then and stores nothing; with a different request, 409
`invalid_idempotent_request`; while the first is still being answered, 409
`concurrent_idempotent_requests`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import formatdate
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import (
    Envelope,
    NotFoundError,
    ScenarioError,
    ScheduledEmail,
    api_refusal,
    compose_message,
    composed_summary,
    resend_last_event,
    scenario_for,
)
from mailyard.web.api.reading import read_message
from mailyard.web.emulate.resend_input import Email, check, iso, scheduled_time
from mailyard.web.emulate.resend_wire import (
    ResendError,
    Sender,
    authenticate,
    charge,
    ok,
    throttled,
    validation,
)
from mailyard.web.emulate.wire import body_limit, parse_json, read_body
from mailyard.web.services import Services, services

MAX_BATCH = 100
MAX_KEY = 256
MESSAGE_ID_DOMAIN = "resend.dev"  # unverified: the domain of the Message-ID Resend writes


def _not_found() -> ResendError:
    return ResendError(404, "not_found", "Email not found")


async def _idempotent(
    svc: Services,
    sender: Sender,
    request: Request,
    raw: bytes,
    answer: Callable[[], Awaitable[Any]],
) -> Response:
    """Run `answer` once per Idempotency-Key (or always, without one)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return ok(sender, await answer())
    if not 1 <= len(key) <= MAX_KEY:
        raise ResendError(400, "invalid_idempotency_key", "The key must be between 1-256 chars.")
    emulators, now = svc.emulators, svc.clock.now()
    digest = hashlib.sha256(request.url.path.encode() + b"\n" + raw).hexdigest()
    seen = emulators.repo.idempotent(sender.mailbox, key, now)
    if seen is not None:
        if seen[0] != digest:
            raise ResendError(
                409,
                "invalid_idempotent_request",
                "Same idempotency key used with a different payload.",
            )
        return ok(sender, json.loads(seen[1]))
    flight = (sender.mailbox, key)
    if flight in emulators.in_flight:
        raise ResendError(
            409,
            "concurrent_idempotent_requests",
            "Same idempotency key used while original request is still in progress.",
        )
    emulators.in_flight.add(flight)
    try:
        body = await answer()
        await emulators.repo.remember(sender.mailbox, key, digest, json.dumps(body), now)
    finally:
        emulators.in_flight.discard(flight)
    return ok(sender, body)


async def _deliver(svc: Services, sender: Sender, email: Email, operation: str) -> str:
    """Store (or hold until `scheduled_at`) one checked email; its Resend id."""
    emulators = svc.emulators
    scenarios = []
    for recipient in email.recipients:
        try:
            scenario = scenario_for(recipient)
        except ScenarioError as exc:
            raise validation(f"Invalid `to` field. {exc}") from None
        if scenario is not None:
            scenarios.append((recipient, scenario))
    rate = emulators.resend_limits.rate or 2.0
    for recipient, scenario in scenarios:
        refused = api_refusal(
            scenario, mailbox=sender.mailbox, recipient=recipient, counter=svc.attempts, rate=rate
        )
        if refused is not None:
            raise throttled(refused)
    email_id = str(uuid.UUID(int=emulators.rng.getrandbits(128), version=4))
    now = svc.clock.now()
    due = email.scheduled_at if email.scheduled_at and email.scheduled_at > now else None
    written_id = f"{email_id}@{MESSAGE_ID_DOMAIN}"
    try:
        raw = compose_message(email.parts, message_id=written_id, date=due or now)
    except ValueError as exc:  # InvalidInputError: a header that cannot be written
        raise validation(str(exc)) from None
    facts = {
        "operation": operation,
        "from": email.sender,
        "to": list(email.to),
        "cc": list(email.cc),
        "bcc": list(email.bcc),
        "reply_to": list(email.reply_to),
        "tags": [list(t) for t in email.tags],
        "headers": [list(h) for h in email.headers],
        # The time it resolved to, as Resend writes its times (it was sent as ISO 8601 or as
        # words: "in 1 hour"), so GET /emails/{id} shows when, not what was asked.
        "scheduled_at": iso(email.scheduled_at) if email.scheduled_at else None,
        "has_text": bool(email.parts.text),
        "has_html": bool(email.parts.html),
        "source_ip": sender.client_addr.rpartition(":")[0] or None,
    }
    envelope = Envelope(
        mail_from=email.parts.sender[1],
        rcpt_to=email.recipients,
        mailbox=sender.mailbox,
        source="resend",
        client_addr=sender.client_addr,
        provider_id=email_id,
        provider_json=json.dumps(facts, separators=(",", ":")),
    )
    if due is None:
        summary = composed_summary(email.parts, email.recipients, message_id=written_id, date=now)
        await svc.store.messages.ingest(raw, envelope, summary)
    else:
        view = _shown(email_id, facts, now, email.parts.subject, email.parts.html, email.parts.text)
        held = ScheduledEmail(email_id, sender.mailbox, due, "scheduled", raw, envelope, view, now)
        await emulators.repo.schedule(held)
        emulators.scheduler.arm(email_id, due)
    for recipient, scenario in scenarios:
        if scenario.failures:
            svc.attempts.settle(scenario.attempt_key(sender.mailbox, recipient))
    return email_id


def _shown(
    email_id: str, facts: dict[str, Any], created: float, subject: str, html: str, text: str
) -> dict[str, Any]:
    """What `GET /emails/{id}` shows (providers.md D3), without `last_event`."""
    return {
        "object": "email",
        "id": email_id,
        "to": facts["to"],
        "from": facts["from"],
        "created_at": iso(created),
        "subject": subject,
        "html": html if facts.get("has_html") else None,
        "text": text if facts.get("has_text") else None,
        "bcc": facts.get("bcc", []),
        "cc": facts.get("cc", []),
        "reply_to": facts.get("reply_to", []),
        "scheduled_at": facts.get("scheduled_at"),
        "tags": [{"name": n, "value": v} for n, v in facts.get("tags", [])],
    }


async def _begin(request: Request) -> tuple[Services, Sender, bytes]:
    svc = services(request)
    sender = authenticate(request, svc)
    raw = await read_body(request, body_limit(svc.settings.smtp_max_size))
    return svc, sender, raw


async def send_email(request: Request) -> Response:
    svc, sender, raw = await _begin(request)
    email = check(parse_json(raw), svc.clock.now())
    sender = charge(svc, sender, len(email.recipients))

    async def answer() -> dict[str, str]:
        return {"id": await _deliver(svc, sender, email, "emails.send")}

    return await _idempotent(svc, sender, request, raw, answer)


async def send_batch(request: Request) -> Response:
    svc, sender, raw = await _begin(request)
    items = parse_json(raw, allow_array=True)
    if not isinstance(items, list) or not items:
        raise validation("The body must be a non-empty array of emails.")
    if len(items) > MAX_BATCH:
        raise validation(f"A batch may hold at most {MAX_BATCH} emails.")
    mode = request.headers.get("x-batch-validation", "strict").strip().lower()
    if mode not in ("strict", "permissive"):
        raise validation("The `x-batch-validation` header must be strict or permissive.")
    now = svc.clock.now()
    checked: list[tuple[int, Email]] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            checked.append((index, check(item, now, batch=True)))
        except ResendError as exc:
            if mode == "strict":
                raise ResendError(
                    exc.status, exc.name, f"{exc.message} (emails[{index}])"
                ) from None
            errors.append({"index": index, "message": exc.message})
    sender = charge(svc, sender, sum(len(e.recipients) for _, e in checked))

    async def answer() -> dict[str, Any]:
        data = []
        for index, email in checked:
            try:
                data.append({"id": await _deliver(svc, sender, email, "batch.send")})
            except ResendError as exc:
                if mode == "strict":
                    raise
                errors.append({"index": index, "message": exc.message})
        return {"data": data, **({"errors": errors} if mode == "permissive" else {})}

    return await _idempotent(svc, sender, request, raw, answer)


def _email_id(request: Request) -> str:
    return str(request.path_params["id"])


async def get_email(request: Request) -> Response:
    svc, sender, _ = await _begin(request)
    sender = charge(svc, sender, 0)
    email_id = _email_id(request)
    held = svc.emulators.repo.scheduled(email_id, sender.mailbox)
    if held is not None and held.state != "sent":
        return ok(sender, {**held.email, "last_event": held.state})
    found = svc.emulators.repo.message_for(email_id, sender.mailbox)
    if found is None:
        raise _not_found()
    _, message_id = found
    try:
        record = svc.store.messages.get(message_id)
    except NotFoundError:
        raise _not_found() from None
    facts = json.loads(record.envelope.provider_json or "{}")
    opened, _ = await read_message(request, record, lambda _: None)
    view = opened.view
    shown = _shown(
        email_id,
        facts,
        _created(record.summary.created),
        record.summary.subject,
        view.html,
        view.text,
    )
    events = svc.store.deliveries.events(message_id=message_id, limit=1000)
    last = resend_last_event(events[-1].kind) if events else "sent"
    return ok(sender, {**shown, "last_event": last})


def redated(raw: bytes, when: float) -> bytes:
    """A held message with its Date moved to the new send time. The bytes are the ones
    `compose_message` wrote for this email, not a client's, so rewriting the header is safe."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    for index, line in enumerate(lines):
        if line.startswith(b"Date: "):
            lines[index] = b"Date: " + formatdate(when, usegmt=True).encode("ascii")
            break
    return b"\r\n".join(lines) + separator + body


def _created(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def _scheduled_change(request: Request, cancel: bool) -> Response:
    svc, sender, raw = await _begin(request)
    sender = charge(svc, sender, 0)
    email_id = _email_id(request)
    repo, scheduler = svc.emulators.repo, svc.emulators.scheduler
    held = repo.scheduled(email_id, sender.mailbox)
    if held is None:
        if repo.message_for(email_id, sender.mailbox) is None:
            raise _not_found()
        held_state = "sent"
    else:
        held_state = held.state
    verb = "canceled" if cancel else "updated"
    if held is None or held_state != "scheduled":
        raise validation(f"This email is {held_state} and can no longer be {verb}.")
    if cancel:
        changed = await repo.set_state(email_id, "canceled")
        if changed:
            scheduler.disarm(email_id)
    else:
        body = parse_json(raw)
        text = body.get("scheduled_at")
        if not isinstance(text, str) or not text:
            raise ResendError(422, "missing_required_field", "Missing `scheduled_at` field.")
        due = scheduled_time(text, svc.clock.now())
        email = {**held.email, "scheduled_at": iso(due)}
        changed = await repo.set_state(
            email_id, "scheduled", due=due, email=email, raw=redated(held.raw, due)
        )
        if changed:
            scheduler.arm(email_id, due)
    if not changed:
        raise validation(f"This email was sent and can no longer be {verb}.")
    return ok(sender, {"object": "email", "id": email_id})


async def update_email(request: Request) -> Response:
    return await _scheduled_change(request, cancel=False)


async def cancel_email(request: Request) -> Response:
    return await _scheduled_change(request, cancel=True)
