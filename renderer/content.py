"""What each email says, as blocks: the HTML and the plain text are both rendered from these.

Every string goes through the locale's catalogue. Values that come from outside (names,
addresses) are plain text here; the HTML template escapes them. In right-to-left locales they
are wrapped in first-strong isolates, so a Latin name cannot reorder the Arabic sentence around it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailyard.renderer import i18n
from mailyard.renderer.concepts import (
    Concept,
    EmailChangeConfirm,
    EmailChangeNotice,
    EmailVerification,
    Invitation,
    LoginCode,
    PasswordReset,
    SecurityNotice,
    Welcome,
)
from mailyard.renderer.themes import BUILTIN_THEME, Theme

BUILTIN_FOOTER = BUILTIN_THEME.footer_text


@dataclass(frozen=True)
class Button:
    label: str
    url: str


@dataclass(frozen=True)
class Content:
    """The blocks of one email, in reading order."""

    subject: str
    preheader: str
    heading: str
    greeting: str
    paragraphs: tuple[str, ...]
    button: Button | None = None
    code_label: str | None = None
    code: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    fallback_label: str | None = None
    fallback_url: str | None = None
    expiry: str | None = None
    closing: str | None = None
    footer: str = ""
    code_first: bool = False  # the code is the point (login code); the button comes after it


class _Writer:
    """Translation and formatting for one locale and time zone."""

    def __init__(self, locale: str, tz: str | None) -> None:
        self.locale = locale
        self.tz = tz
        self.rtl = i18n.direction(locale) == "rtl"
        self._catalogue = i18n.translations(locale)

    def _(self, message: str, **values: Any) -> str:
        text = self._catalogue.gettext(message)
        if not values:
            return text
        if self.rtl:
            values = {k: f"\u2068{v}\u2069" for k, v in values.items()}
        return text % values

    def greeting(self, name: str | None) -> str:
        _ = self._
        return _("Hi %(name)s,", name=name) if name else _("Hi there,")


def build(concept: Concept, theme: Theme, locale: str, tz: str | None) -> Content:
    """The blocks of `concept` for `theme`, in `locale`."""
    writer = _Writer(locale, tz)
    return _BUILDERS[type(concept)](concept, theme, writer)


def _footer(theme: Theme, w: _Writer) -> str:
    """The tenant's footer; the built-in one is translated like the rest."""
    if theme.footer_text == BUILTIN_FOOTER:
        return w._("You received this email because of an action on your account.")
    return theme.footer_text or ""


def _link_fallback(w: _Writer, url: str) -> dict[str, Any]:
    _ = w._
    return {
        "fallback_label": _("If the button does not work, copy this link into your browser:"),
        "fallback_url": url,
    }


def _not_requested(w: _Writer) -> str:
    return w._("If you did not ask for this, you can ignore this email.")


def _invitation(c: Invitation, theme: Theme, w: _Writer) -> Content:
    _ = w._
    expires = i18n.when(c.expires_at, w.locale, w.tz)
    return Content(
        subject=_("You're invited to %(client)s", client=c.client_name),
        preheader=_(
            "%(inviter)s invited you. The invitation expires on %(date)s.",
            inviter=c.inviter_name,
            date=expires,
        ),
        heading=_("You're invited to %(client)s", client=c.client_name),
        greeting=w.greeting(c.recipient_name),
        paragraphs=(
            _(
                "%(inviter)s invited you to join %(client)s.",
                inviter=c.inviter_name,
                client=c.client_name,
            ),
        ),
        button=Button(_("Accept invitation"), c.accept_url),
        **_link_fallback(w, c.accept_url),
        expiry=_("This invitation expires on %(date)s.", date=expires),
        closing=_("If you were not expecting this invitation, you can ignore this email."),
        footer=_footer(theme, w),
    )


def _password_reset(c: PasswordReset, theme: Theme, w: _Writer) -> Content:
    _ = w._
    duration = i18n.how_long(c.ttl, w.locale)
    return Content(
        subject=_("Reset your %(tenant)s password", tenant=theme.name),
        preheader=_(
            "Use the link inside to choose a new password. It expires in %(duration)s.",
            duration=duration,
        ),
        heading=_("Reset your password"),
        greeting=w.greeting(c.user_name),
        paragraphs=(
            _(
                "We received a request to reset the password of your %(tenant)s account.",
                tenant=theme.name,
            ),
        ),
        button=Button(_("Reset password"), c.reset_url),
        code_label=_("Or enter this code:") if c.code else None,
        code=c.code,
        **_link_fallback(w, c.reset_url),
        expiry=_("This link expires in %(duration)s and works once.", duration=duration),
        closing=_not_requested(w),
        footer=_footer(theme, w),
    )


def _welcome(c: Welcome, theme: Theme, w: _Writer) -> Content:
    _ = w._
    return Content(
        subject=_("Welcome to %(tenant)s", tenant=theme.name),
        preheader=_("Your %(tenant)s account is ready.", tenant=theme.name),
        heading=_("Welcome to %(tenant)s", tenant=theme.name),
        greeting=w.greeting(c.user_name),
        paragraphs=(_("Your account is ready. Sign in to get started."),),
        button=Button(_("Sign in"), c.sign_in_url),
        **_link_fallback(w, c.sign_in_url),
        footer=_footer(theme, w),
    )


def _email_verification(c: EmailVerification, theme: Theme, w: _Writer) -> Content:
    _ = w._
    duration = i18n.how_long(c.ttl, w.locale)
    return Content(
        subject=_("Confirm your email address for %(tenant)s", tenant=theme.name),
        preheader=_("Confirm your email address to finish setting up your account."),
        heading=_("Confirm your email address"),
        greeting=w.greeting(c.user_name),
        paragraphs=(
            _(
                "Confirm that this is your email address to finish setting up your "
                "%(tenant)s account.",
                tenant=theme.name,
            ),
        ),
        button=Button(_("Confirm email address"), c.verify_url),
        code_label=_("Or enter this code:"),
        code=c.code,
        **_link_fallback(w, c.verify_url),
        expiry=_("The link and the code expire in %(duration)s.", duration=duration),
        closing=_not_requested(w),
        footer=_footer(theme, w),
    )


def _login_code(c: LoginCode, theme: Theme, w: _Writer) -> Content:
    _ = w._
    duration = i18n.how_long(c.ttl, w.locale)
    link = {} if c.sign_in_url is None else _link_fallback(w, c.sign_in_url)
    return Content(
        subject=_("Your sign-in code for %(tenant)s", tenant=theme.name),
        preheader=_("Your code expires in %(duration)s.", duration=duration),
        heading=_("Sign in to %(tenant)s", tenant=theme.name),
        greeting=w.greeting(c.user_name),
        paragraphs=(_("Enter this code to sign in:"),),
        code_label=_("Your sign-in code:"),
        code=c.code,
        code_first=True,
        button=None if c.sign_in_url is None else Button(_("Sign in"), c.sign_in_url),
        **link,
        expiry=_("The code expires in %(duration)s and works once.", duration=duration),
        closing=_(
            "If you did not try to sign in, someone may know your email address. "
            "You can ignore this email."
        ),
        footer=_footer(theme, w),
    )


def _email_change_confirm(c: EmailChangeConfirm, theme: Theme, w: _Writer) -> Content:
    _ = w._
    duration = i18n.how_long(c.ttl, w.locale)
    return Content(
        subject=_("Confirm your new email address"),
        preheader=_(
            "Confirm this address to finish changing your %(tenant)s email.", tenant=theme.name
        ),
        heading=_("Confirm your new email address"),
        greeting=w.greeting(c.user_name),
        paragraphs=(
            _(
                "You asked to change the email address of your %(tenant)s account to "
                "%(new_email)s. Confirm to finish.",
                tenant=theme.name,
                new_email=c.new_email,
            ),
        ),
        button=Button(_("Confirm new address"), c.confirm_url),
        code_label=_("Or enter this code:") if c.code else None,
        code=c.code,
        **_link_fallback(w, c.confirm_url),
        expiry=_("This link expires in %(duration)s and works once.", duration=duration),
        closing=_not_requested(w),
        footer=_footer(theme, w),
    )


def _email_change_notice(c: EmailChangeNotice, theme: Theme, w: _Writer) -> Content:
    _ = w._
    return Content(
        subject=_("Your %(tenant)s email address is being changed", tenant=theme.name),
        preheader=_("A change to %(new_email)s was requested.", new_email=c.new_email),
        heading=_("Your email address is being changed"),
        greeting=w.greeting(c.user_name),
        paragraphs=(
            _(
                "Someone asked to change the email address of your %(tenant)s account from "
                "%(old_email)s to %(new_email)s.",
                tenant=theme.name,
                old_email=c.old_email,
                new_email=c.new_email,
            ),
            _("If this was you, there is nothing to do. If not, secure your account now."),
        ),
        button=None if c.secure_url is None else Button(_("Secure my account"), c.secure_url),
        **({} if c.secure_url is None else _link_fallback(w, c.secure_url)),
        footer=_footer(theme, w),
    )


def _security_notice(c: SecurityNotice, theme: Theme, w: _Writer) -> Content:
    _ = w._
    moment = i18n.when(c.occurred_at, w.locale, w.tz)
    if c.kind == "password-changed":
        subject = _("Your %(tenant)s password was changed", tenant=theme.name)
        heading = _("Your password was changed")
        said = _(
            "The password of your %(tenant)s account was changed on %(date)s.",
            tenant=theme.name,
            date=moment,
        )
    else:
        subject = _("New sign-in to your %(tenant)s account", tenant=theme.name)
        heading = _("New sign-in to your account")
        said = _(
            "Your %(tenant)s account was signed in to on %(date)s.", tenant=theme.name, date=moment
        )
    details = tuple(
        (label, value)
        for label, value in (
            (_("Device"), c.device),
            (_("Location"), c.location),
            (_("IP address"), c.ip_address),
        )
        if value
    )
    return Content(
        subject=subject,
        preheader=said,
        heading=heading,
        greeting=w.greeting(c.user_name),
        paragraphs=(
            said,
            _("If this was you, there is nothing to do. If not, secure your account now."),
        ),
        details=details,
        button=None if c.secure_url is None else Button(_("Secure my account"), c.secure_url),
        **({} if c.secure_url is None else _link_fallback(w, c.secure_url)),
        footer=_footer(theme, w),
    )


_BUILDERS: dict[type[Concept], Callable[[Any, Theme, _Writer], Content]] = {
    Invitation: _invitation,
    PasswordReset: _password_reset,
    Welcome: _welcome,
    EmailVerification: _email_verification,
    LoginCode: _login_code,
    EmailChangeConfirm: _email_change_confirm,
    EmailChangeNotice: _email_change_notice,
    SecurityNotice: _security_notice,
}
