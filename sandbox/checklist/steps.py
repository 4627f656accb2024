"""The spec's verification checklist, step by step (MIOSA's "Verification checklist"):

1. Enable Project Auth for a fresh project or sandbox.
2. Create a test end user through {AUTH_URL}/signup.
3. Call {AUTH_URL}/password-reset for that email.
4. Confirm the backend does not log email_not_configured.
5. Confirm the configured provider accepts the message.
6. Confirm the reset link reaches the inbox and {AUTH_URL}/password-reset/confirm accepts the
   token - and, as a single-use token must, refuses it a second time.

The spec's own warning is the reason for step 4: "Do not treat a successful password-reset API
response as proof an email was sent."
"""

from __future__ import annotations

from typing import Any

from mailyard.sandbox.checklist.patience import limit_failure
from mailyard.sandbox.checklist.report import Result
from mailyard.sandbox.checklist.state import Run, Spec, describe_response, looked

ENABLED = Spec("1", "auth-enabled", "Project Auth is enabled")
SIGNUP = Spec("2", "signup", "Create a test end user through {AUTH_URL}/signup")
RESET = Spec("3", "password-reset", "Call {AUTH_URL}/password-reset for that email")
NOT_CONFIGURED = Spec("4", "email-not-configured", "The backend does not log email_not_configured")
ACCEPTED = Spec("5", "provider-accepted", "The configured provider accepts the message")
CONFIRM = Spec(
    "6",
    "reset-link",
    "The reset link reaches the inbox; /password-reset/confirm accepts its token, once",
)
CONCEPT = "password-reset"
FAILED_EVENTS = ("bounce", "reject", "complaint", "renderingfailure", "suppressed")
ACCEPTED_EVENTS = ("send", "delivery", "deliverydelay", "open", "click")
PROVIDER_APIS = ("ses", "resend")  # senders whose message id the provider events carry
SETUP_HINT = (
    "configure the provider: RESEND_API_KEY (and RESEND_FROM_APP_AUTH) for Resend, or "
    "BLUAUTH_SES_FROM_ADDRESS with AWS credentials for SES - or run mailyard with "
    "--delivery sandbox to catch the mail locally"
)


async def enabled(run: Run) -> Result:
    target = run.target
    if target.builtin:
        url = target.url("/settings")
        response = await run.http.get(url)
        if response.status_code == 404:
            return ENABLED.failed(
                f"{url} answers 404: this mailyard runs without its auth service "
                "(--no-auth-service). Start it without that flag, or check another service "
                "with --auth-url"
            )
        if response.status_code != 200:
            return ENABLED.failed(f"{url} answered {describe_response(response)}")
        run.settings = dict(response.json().get("data", {}))
        run.public_url = str(run.settings.get("publicUrl", ""))
        run.reset_ttl = float(run.settings.get("resetTtlSeconds", run.reset_ttl))
        verification = "on" if run.settings.get("emailVerification") else "off"
        return ENABLED.passed(
            f"the built-in auth service answers at {target.base} (email verification "
            f"{verification}; links on {run.public_url})",
            publicUrl=run.public_url,
        )
    url = target.url(target.signup_path)
    response = await run.http.request("OPTIONS", url)
    if response.status_code == 404:
        return ENABLED.failed(
            f"{url} answers 404: no signup endpoint there. Is auth enabled for this project, "
            "and is --auth-url (or --signup-path) right?"
        )
    if response.status_code >= 500:
        return ENABLED.failed(f"{url} answered {describe_response(response)}")
    return ENABLED.passed(f"the signup endpoint answers at {url} ({response.status_code})")


async def signup(run: Run) -> Result:
    target = run.target
    body = {target.email_field: run.user, target.password_field: run.password}
    response = await run.post(target.signup_path, body)
    if not response.is_success:
        return SIGNUP.failed(
            f"POST {target.url(target.signup_path)} answered {describe_response(response)}",
            user=run.user,
        )
    run.signed_up = True
    return SIGNUP.passed(f"created {run.user} ({response.status_code})", user=run.user)


async def reset(run: Run) -> Result:
    run.cursor = await run.inbox.cursor()
    if run.target.builtin:
        run.send_baseline = await run.inbox.newest_send_id(CONCEPT)
    patient = await run.reset_patiently(run.user)
    response = patient.response
    what = f"POST {run.target.url(run.target.reset_path)}"
    if patient.limited:
        return RESET.failed(limit_failure(what, patient, describe_response(response)))
    if not response.is_success:
        return RESET.failed(f"{what} answered {describe_response(response)}")
    return RESET.passed(
        f"answered {response.status_code}{patient.note()}; the spec: a success answer is not "
        "proof that an email was sent - the next steps check that",
        waitedSeconds=patient.waited,
    )


async def not_configured(run: Run) -> Result:
    """Built-in: the send log says what the mailer did. Elsewhere: mail arrived, or not."""
    timeout = run.target.timeout
    if run.target.builtin:
        entry = await run.inbox.send_after(CONCEPT, run.send_baseline, timeout)
        if entry is None:
            return NOT_CONFIGURED.failed(
                f"no {CONCEPT} send was logged within {timeout:g} s of the request"
            )
        run.sent = entry
        send = {k: entry.get(k) for k in ("outcome", "provider", "reason", "message_id")}
        if entry.get("reason") == "email_not_configured":
            missing = ", ".join(entry.get("missing") or []) or "a provider"
            return NOT_CONFIGURED.failed(
                f"the reset was answered with success but nothing was sent: the backend logged "
                f"email_not_configured (provider {entry.get('provider')}, missing {missing}). "
                f"As the spec says, the token was stored and the endpoint succeeded anyway. To "
                f"fix it, {SETUP_HINT}",
                send=send,
            )
        if entry.get("outcome") != "sent":
            return NOT_CONFIGURED.failed(
                f"the mailer did not send the reset: outcome {entry.get('outcome')}, "
                f"{entry.get('error_code')}: {entry.get('reason')}",
                send=send,
            )
        return NOT_CONFIGURED.passed(
            f"the send log shows the reset sent via {entry.get('provider')} (message "
            f"{entry.get('message_id')}); no email_not_configured",
            send=send,
        )
    run.reset_mail = await run.reset_mail_after(run.cursor)
    run.mail_checked = True
    if run.reset_mail is None:
        return NOT_CONFIGURED.failed(
            f"no reset email reached mailyard within {timeout:g} s of a successful reset "
            "request. Either the backend logged email_not_configured (a provider key is not "
            "set), or its mail does not reach mailyard: point its SMTP settings at mailyard's "
            "SMTP port, or its SES/Resend endpoint at mailyard" + _skipped(run)
        )
    return NOT_CONFIGURED.passed(
        "a reset email arrived, so the backend sent it (its log is not readable from here)",
        looked(run.reset_mail),
    )


async def provider_accepted(run: Run) -> Result:
    mail = await _reset_mail(run)
    if mail is None:
        return ACCEPTED.not_run(
            "needs the reset email in mailyard's inbox to read its provider events (steps 4 and 6)"
        )
    events = await run.inbox.events(mail.id, timeout=min(2.0, run.target.timeout))
    message = looked(mail)
    if events is None:
        return ACCEPTED.not_verifiable(
            "this mailyard serves no provider events (GET /api/v1/message/{ID}/events); a "
            "newer mailyard with its delivery simulator on records them" + _sent_note(run),
            message,
        )
    if not events:
        return ACCEPTED.not_verifiable(
            "the simulator recorded no provider events for this message (is it off? "
            "--no-simulator)" + _sent_note(run),
            message,
        )
    kinds = [_kind(e) for e in events]
    bad = next((e for e, k in zip(events, kinds, strict=True) if k in FAILED_EVENTS), None)
    if bad is not None:
        return ACCEPTED.failed(
            f"the provider reported {_kind(bad)} for {_recipients(bad)}: {_detail(bad)}",
            message,
            events=kinds,
        )
    if not any(k in ACCEPTED_EVENTS for k in kinds):
        return ACCEPTED.failed(f"no Send or Delivery among the events: {', '.join(kinds)}", message)
    provider = next((str(e["provider"]) for e in events if e.get("provider")), "the provider")
    ids = list(
        dict.fromkeys(str(e["providerMessageId"]) for e in events if e.get("providerMessageId"))
    )
    logged = _logged_provider_id(run)
    if logged and ids and logged not in ids:
        return ACCEPTED.failed(
            f"the {provider} events are for message {', '.join(ids)}, but the send log says "
            f"the mailer sent {logged}: the mail that arrived is not the one it sent",
            message,
            events=kinds,
        )
    seen = ", ".join(dict.fromkeys(kinds))
    delivery = str(run.sent.get("provider") or "") if run.sent is not None else ""
    if delivery and delivery not in PROVIDER_APIS:
        # Mail the sandbox (or SMTP) delivery sent reached no provider: the events are the
        # simulator's, in a provider's format. Say what carried it, not the format's name.
        simulated = f", simulated message id {ids[0]}" if ids else ""
        style = "in a provider's format" if provider == "the provider" else f"{provider}-style"
        said = (
            f"sent through the {delivery} delivery (no provider API); the delivery simulator's "
            f"events for it ({style}{simulated}): {seen}"
        )
    else:
        which = f" for message {ids[0]}" if ids else ""
        also = " (the one the send log names)" if logged and ids else ""
        said = f"{provider} events{which}{also}: {seen}"
    return ACCEPTED.passed(
        said,
        message,
        events=kinds,
        providerMessageId=ids[0] if ids else None,
    )


async def confirm(run: Run) -> Result:
    mail = await _reset_mail(run)
    if mail is None:
        if not _was_sent(run):
            return CONFIRM.not_run("nothing was sent to look for (step 4 says why)")
        return CONFIRM.failed(
            f"no reset email reached mailyard's inbox within {run.target.timeout:g} s"
            + await _elsewhere(run)
            + _delivery_hint(run)
            + _skipped(run)
        )
    link = mail.action_link()
    if link is None:
        urls = ", ".join(str(li.get("url")) for li in mail.links[:5]) or "none"
        return CONFIRM.failed(
            f"the reset email has no link with a token (links: {urls})", looked(mail)
        )
    run.token_link = link
    message = looked(mail, str(link["url"]))
    token = str(link["token"])
    first = await run.confirm(token, run.new_password)
    if not first.is_success:
        return CONFIRM.failed(
            f"{run.target.confirm_path} refused the token from the email: "
            f"{describe_response(first)}",
            message,
        )
    second = await run.confirm(token, run.new_password + "-again")
    if second.is_success:
        return CONFIRM.failed(
            f"{run.target.confirm_path} accepted the same token a second time "
            f"({second.status_code}): a reset token must be single-use, or anyone who finds "
            "an old email (or a scanner's log) can set the password",
            message,
        )
    where = f" (in mailbox {mail.mailbox})" if mail.mailbox else ""
    return CONFIRM.passed(
        f"the reset email arrived{where}; {run.target.confirm_path} accepted its token "
        f"({first.status_code}) and refused it a second time ({describe_response(second)})",
        message,
    )


# -- helpers ---------------------------------------------------------------------------------


async def _reset_mail(run: Run) -> Any:
    """The reset email of step 3, waited for once (steps 5 and 6 both need it)."""
    if run.reset_mail is None and not run.mail_checked and run.cursor and _was_sent(run):
        run.reset_mail = await run.reset_mail_after(run.cursor)
        run.mail_checked = True
    return run.reset_mail


def _was_sent(run: Run) -> bool:
    """Whether step 4 found the reset sent: the send log says so (built-in service), or the
    mail arrived (elsewhere: step 4 waited for it)."""
    if run.target.builtin:
        return run.sent is not None and run.sent.get("outcome") == "sent"
    return run.reset_mail is not None


def _logged_provider_id(run: Run) -> str:
    """The provider's message id the built-in service's send log recorded for the reset (SES's
    MessageId, Resend's id), which the provider events of the mail that arrived must carry."""
    if run.sent is None or run.sent.get("provider") not in PROVIDER_APIS:
        return ""
    return str(run.sent.get("message_id") or "")


async def _elsewhere(run: Run) -> str:
    """With --mailbox: whether the reset email went to another mailbox (provider mail lands in
    the key's mailbox: SES's access key id, Resend's `resend-...`)."""
    if not run.inbox.mailbox or not run.cursor:
        return ""
    found = await run.inbox.wait(f"to:{run.user}", run.cursor, 0, anywhere=True)
    if found is None:
        return f" in mailbox {run.inbox.mailbox}, nor in any other"
    if not run.is_reset(found.subject):
        return f" in mailbox {run.inbox.mailbox}"
    return (
        f" in mailbox {run.inbox.mailbox}; it arrived in mailbox {found.mailbox or '(none)'}: "
        "drop --mailbox, or give that one"
    )


def _kind(event: dict[str, Any]) -> str:
    return str(event.get("type") or event.get("kind") or "").lower().replace("_", "")


def _recipients(event: dict[str, Any]) -> str:
    found = event.get("recipients") or [event.get("recipient")]
    return ", ".join(str(r) for r in found if r) or "the recipient"


def _detail(event: dict[str, Any]) -> str:
    payload = event.get("payload") or {}
    bounce = payload.get("bounce") if isinstance(payload, dict) else None
    if isinstance(bounce, dict):
        kind = bounce.get("bounceType") or bounce.get("type")
        sub = bounce.get("bounceSubType") or bounce.get("subType") or bounce.get("message")
        return " ".join(str(x) for x in (kind, sub) if x) or "a bounce"
    return str(event.get("note") or "see the event's payload")


def _sent_note(run: Run) -> str:
    if run.sent is not None:
        return (
            f"; the send log says {run.sent.get('provider')} accepted it (message "
            f"{run.sent.get('message_id')})"
        )
    return ""


def _delivery_hint(run: Run) -> str:
    if run.sent is not None and run.sent.get("provider") not in (None, "sandbox", "smtp"):
        return (
            f": the mailer sent it through {run.sent.get('provider')}, which delivers to the "
            "real inbox, not to mailyard; point it at mailyard's SES or Resend emulation to "
            "check the link here"
        )
    return ""


def _skipped(run: Run) -> str:
    if not run.skipped:
        return ""
    shown = "; ".join(repr(s) for s in run.skipped[:3])
    return (
        f". Mail to the test user did arrive but did not look like a reset email: {shown} "
        "(give its subject with --reset-subject)"
    )
