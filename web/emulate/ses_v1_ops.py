"""SES v1's sends, account and identity actions: each takes the form and returns the inner XML
of its `<{Action}Result>` (None for an action whose model has no output)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace

from mailyard.sandbox import Parts, RenderingFailureError, TemplateDataError, raw_addresses
from mailyard.web.emulate.ses_account import (
    IDENTITY,
    account,
    identity_key,
    is_domain,
    new_identity,
)
from mailyard.web.emulate.ses_errors import SESError
from mailyard.web.emulate.ses_send import Outgoing, send
from mailyard.web.emulate.ses_v1_xml import (
    Form,
    Xml,
    element,
    member_list,
    members,
    pairs,
    required,
)
from mailyard.web.emulate.ses_wire import Caller
from mailyard.web.emulate.sesv2_identities import UNLIMITED_DAILY, UNLIMITED_RATE
from mailyard.web.emulate.sesv2_templates import render_stored
from mailyard.web.services import Services

SOURCE = "ses-v1"


def _blob(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SESError("InvalidParameterValue", 400, f"{name} is not valid base64.") from None


def _destination(form: Form, name: str = "Destination") -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(members(form, f"{name}.{kind}Addresses")) for kind in ("To", "Cc", "Bcc"))


def _common(form: Form, operation: str, sender: str) -> Outgoing:
    to, cc, bcc = _destination(form)
    return Outgoing(
        operation,
        SOURCE,
        sender,
        to,
        cc,
        bcc,
        reply_to=tuple(members(form, "ReplyToAddresses")),
        configuration_set=form.get("ConfigurationSetName") or None,
        tags=tuple(pairs(form, "Tags", ("Name", "Value"))),
    )


async def _sent(svc: Services, caller: Caller, out: Outgoing) -> Xml:
    return element("MessageId", await send(svc, caller, out))


async def send_email(svc: Services, caller: Caller, form: Form) -> Xml:
    out = _common(form, "SendEmail", required(form, "Source"))
    parts = Parts(
        sender=("", ""),
        subject=required(form, "Message.Subject.Data"),
        text=form.get("Message.Body.Text.Data", ""),
        html=form.get("Message.Body.Html.Data", ""),
    )
    return await _sent(svc, caller, replace(out, parts=parts))


async def send_raw_email(svc: Services, caller: Caller, form: Form) -> Xml:
    raw = _blob(required(form, "RawMessage.Data"), "RawMessage.Data")
    given = tuple(members(form, "Destinations"))
    source = form.get("Source")
    found = raw_addresses(raw) if not given or not source else None
    out = Outgoing(
        "SendRawEmail",
        SOURCE,
        source or (found.sender if found else ""),
        given or (found.recipients if found else ()),
        configuration_set=form.get("ConfigurationSetName") or None,
        tags=tuple(pairs(form, "Tags", ("Name", "Value"))),
        raw=raw,
    )
    if not out.sender:
        raise SESError("MessageRejected", 400, "Missing required header 'From'.")
    return await _sent(svc, caller, out)


async def send_templated_email(svc: Services, caller: Caller, form: Form) -> Xml:
    name, data = required(form, "Template"), required(form, "TemplateData")
    out = replace(
        _common(form, "SendTemplatedEmail", required(form, "Source")),
        template=name,
        extra={"template_data": data},
    )
    try:
        content = render_stored(svc, caller.mailbox, {"TemplateName": name}, data, "")
    except RenderingFailureError:
        return await _sent(svc, caller, replace(out, not_sent=True))
    except TemplateDataError as exc:
        raise SESError("InvalidRenderingParameter", 400, str(exc)) from None
    parts = Parts(
        sender=("", ""),
        subject=content.subject or "",
        text=content.text or "",
        html=content.html or "",
    )
    return await _sent(svc, caller, replace(out, parts=parts))


# -- the account ----------------------------------------------------------------------------


async def get_send_quota(svc: Services, caller: Caller, form: Form) -> Xml:
    limits = svc.emulators.ses_limits
    sent = svc.throttle.sent_last_24h("ses:" + caller.mailbox)
    return (
        element("Max24HourSend", float(limits.daily) if limits.daily else UNLIMITED_DAILY)
        + element("MaxSendRate", float(limits.rate) if limits.rate else UNLIMITED_RATE)
        + element("SentLast24Hours", float(sent))
    )


async def get_send_statistics(svc: Services, caller: Caller, form: Form) -> Xml:
    return member_list("SendDataPoints", ())


async def get_account_sending_enabled(svc: Services, caller: Caller, form: Form) -> Xml:
    return element("Enabled", account(svc.emulators.repo, caller.mailbox).sending_enabled)


# -- identities -----------------------------------------------------------------------------


async def _verify(svc: Services, caller: Caller, name: str) -> dict[str, object]:
    """Create the identity unless it exists (v1's Verify* may be called again)."""
    repo = svc.emulators.repo
    key = identity_key(name)
    existing = repo.get(caller.mailbox, IDENTITY, key)
    if existing is not None:
        return existing
    identity = new_identity(name.strip(), svc.emulators.rng, svc.clock.now())
    await repo.create(caller.mailbox, IDENTITY, key, identity, svc.clock.now())
    return repo.get(caller.mailbox, IDENTITY, key) or identity


async def verify_email_identity(svc: Services, caller: Caller, form: Form) -> Xml:
    await _verify(svc, caller, required(form, "EmailAddress"))
    return ""


async def verify_email_address(svc: Services, caller: Caller, form: Form) -> None:
    await _verify(svc, caller, required(form, "EmailAddress"))


async def verify_domain_identity(svc: Services, caller: Caller, form: Form) -> Xml:
    identity = await _verify(svc, caller, required(form, "Domain"))
    return element("VerificationToken", identity["VerificationToken"])


async def verify_domain_dkim(svc: Services, caller: Caller, form: Form) -> Xml:
    identity = await _verify(svc, caller, required(form, "Domain"))
    return member_list("DkimTokens", identity["DkimTokens"])  # type: ignore[arg-type]


async def list_identities(svc: Services, caller: Caller, form: Form) -> Xml:
    kind = form.get("IdentityType")
    if kind not in (None, "", "EmailAddress", "Domain"):
        raise SESError("InvalidParameterValue", 400, "IdentityType must be EmailAddress or Domain")
    limit = _max_items(form)
    found = svc.emulators.repo.documents(
        caller.mailbox, IDENTITY, after=form.get("NextToken", ""), limit=1000
    )
    names = [
        d.name
        for d in found
        if not kind or (kind == "Domain") == (d.body["IdentityType"] == "DOMAIN")
    ]
    shown = [svc.emulators.repo.get(caller.mailbox, IDENTITY, n) or {} for n in names[:limit]]
    token = names[limit - 1] if len(names) > limit else None
    return member_list("Identities", (d.get("IdentityName") for d in shown)) + element(
        "NextToken", token
    )


def _max_items(form: Form) -> int:
    text = form.get("MaxItems") or "100"
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise SESError("InvalidParameterValue", 400, "MaxItems must be between 1 and 1000")
    return int(text)


async def list_verified_email_addresses(svc: Services, caller: Caller, form: Form) -> Xml:
    found = svc.emulators.repo.documents(caller.mailbox, IDENTITY, limit=1000)
    addresses = [d.body["IdentityName"] for d in found if not is_domain(d.body["IdentityName"])]
    return member_list("VerifiedEmailAddresses", addresses)


async def get_identity_verification_attributes(svc: Services, caller: Caller, form: Form) -> Xml:
    entries = []
    for name in members(form, "Identities"):
        identity = svc.emulators.repo.get(caller.mailbox, IDENTITY, identity_key(name))
        if identity is None:
            continue  # SES leaves unknown identities out of the map
        token = (
            element("VerificationToken", identity["VerificationToken"]) if is_domain(name) else ""
        )
        value = element("VerificationStatus", "Success") + token
        entries.append(f"<entry>{element('key', name)}<value>{value}</value></entry>")
    inner = "".join(entries)
    return f"<VerificationAttributes>{inner}</VerificationAttributes>"


async def delete_identity(svc: Services, caller: Caller, form: Form) -> Xml:
    name = required(form, "Identity")
    await svc.emulators.repo.delete(caller.mailbox, IDENTITY, identity_key(name))
    return ""


async def delete_verified_email_address(svc: Services, caller: Caller, form: Form) -> None:
    name = required(form, "EmailAddress")
    await svc.emulators.repo.delete(caller.mailbox, IDENTITY, identity_key(name))
