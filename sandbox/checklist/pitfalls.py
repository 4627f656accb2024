"""The checks teams get wrong, each reported on its own (numbered after the spec's six steps):

7. the link's scheme and host are the app's public URL (not localhost, not http in production);
8. the token survives a link scanner's prefetch: Microsoft Safe Links and others GET (and HEAD)
   every link in a mail before the person clicks, some with a headless browser;
9. the link expires (built-in service: mailyard's clock is moved past the lifetime);
10. the mail has a plain-text part, and the link is in it;
11. the HTML passes the checks: client support (caniemail, as Mailpit's check), no script, not
    clipped by Gmail;
12. the reset endpoint does not reveal whether an account exists (`enumeration`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from mailyard.sandbox.checklist.inbox import Arrived
from mailyard.sandbox.checklist.patience import limit_failure
from mailyard.sandbox.checklist.report import Result
from mailyard.sandbox.checklist.state import Run, Spec, describe_response, looked
from mailyard.sandbox.mail.htmlcheck import HTMLCheckResult, check_html
from mailyard.sandbox.mail.htmlcheck.rules import SCRIPT
from mailyard.sandbox.mail.view import MessageView

ORIGIN = Spec("7", "link-origin", "The link's scheme and host are the app's public URL")
PREFETCH = Spec("8", "prefetch", "The token survives a link scanner's prefetch (GET and HEAD)")
EXPIRY = Spec("9", "expiry", "The reset link stops working after its lifetime")
TEXT = Spec("10", "plain-text", "The email has a plain-text part with the link")
HTML = Spec("11", "html", "The HTML passes the checks (client support, no script, not clipped)")

# What scanners send. Safe Links' fetches come from Microsoft's network with a headless
# Chrome's user agent (emdash#3298); Outlook fetches link previews as itself.
SCANNERS = (
    (
        "HEAD",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/124.0.0.0 Safari/537.36",
    ),
    (
        "GET",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/124.0.0.0 Safari/537.36",
    ),
    ("GET", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"),
)
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# Gmail clips HTML past this size (renderer.GMAIL_CLIP_BYTES; not imported: the renderer's
# templates cost the command ~150 ms to load, and the checklist renders nothing).
GMAIL_CLIP_BYTES = 102 * 1024
COMPATIBILITY = "HTML compatibility"
# The review's findings about the HTML itself; the plain-text part and https links are
# checks 10 and 7, the link check needs the network.
REVIEWED = ("Images with alt text", "Language declared", COMPATIBILITY)


def public_url(run: Run) -> str:
    """The app's public URL: --public-url, the built-in service's own, else the auth URL's
    origin."""
    if run.target.public_url:
        return run.target.public_url
    if run.public_url:
        return run.public_url
    parts = urlsplit(run.target.base)
    return f"{parts.scheme}://{parts.netloc}"


def is_local(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def link_origin(run: Run) -> Result:
    link, mail = run.token_link, run.reset_mail
    if link is None or mail is None:
        return ORIGIN.not_run("needs the reset link of step 6")
    url = str(link["url"])
    found, expected = urlsplit(url), urlsplit(public_url(run))
    message = looked(mail, url)
    problems = []
    if found.scheme != expected.scheme:
        problems.append(f"its scheme is {found.scheme}, the public URL's is {expected.scheme}")
    if (found.hostname, found.port) != (expected.hostname, expected.port):
        problems.append(f"it points at {found.netloc}, the public URL at {expected.netloc}")
    prefix = expected.path.rstrip("/")
    if prefix and not found.path.startswith(prefix + "/"):
        problems.append(f"its path {found.path} is outside the public URL's {prefix}/")
    if run.target.production:
        if found.scheme != "https":
            problems.append(
                "it is http: the token crosses the network in clear text, and browsers warn"
            )
        if is_local(found.hostname or ""):
            problems.append(
                f"{found.hostname} is a local address: the link works only on the machine "
                "that sent it"
            )
    if problems:
        return ORIGIN.failed(f"the link {url.split('?')[0]}: " + "; ".join(problems), message)
    note = (
        ""
        if run.target.production or found.scheme == "https"
        else " (http is accepted outside --production)"
    )
    return ORIGIN.passed(
        f"{found.scheme}://{found.netloc} is the public URL {public_url(run)}{note}", message
    )


@dataclass(frozen=True)
class Fresh:
    """Another reset email, its token, and what it took to ask for it (a rate limit's wait)."""

    mail: Arrived
    token: str
    note: str = ""  # `Patient.note()`: "" unless a 429 was waited out


async def _fresh_reset(run: Run, spec: Spec) -> Fresh | Result:
    """Ask for another reset email and return it with its token, or the Result saying why not.
    A rate limit the checklist can wait out (Retry-After) is waited out; one it cannot is
    reported as the limit, not as a fault of the app."""
    if not run.signed_up:
        return spec.not_run("needs the test user of step 2")
    if run.reset_mail is None:
        return spec.not_run("needs reset emails to reach the inbox (steps 4 and 6)")
    cursor = await run.inbox.cursor()
    patient = await run.reset_patiently(run.user)
    response = patient.response
    if patient.limited:
        what = "a second reset request"
        return spec.failed(limit_failure(what, patient, describe_response(response)))
    if not response.is_success:
        return spec.failed(f"a second reset request answered {describe_response(response)}")
    mail = await run.reset_mail_after(cursor)
    if mail is None:
        return spec.failed(f"a second reset email did not arrive within {run.target.timeout:g} s")
    link = mail.action_link()
    if link is None:
        return spec.failed("the second reset email has no link with a token", looked(mail))
    return Fresh(mail, str(link["token"]), patient.note())


def reachable(run: Run, url: str) -> str:
    """The link as the checklist can fetch it: a link on the public host is fetched from the
    auth URL's host when the two differ (a production URL checked against a local service)."""
    link, public, auth = urlsplit(url), urlsplit(public_url(run)), urlsplit(run.target.base)
    if link.hostname == public.hostname and (public.scheme, public.netloc) != (
        auth.scheme,
        auth.netloc,
    ):
        return urlunsplit((auth.scheme, auth.netloc, link.path, link.query, ""))
    return url


async def prefetch(run: Run) -> Result:
    fresh = await _fresh_reset(run, PREFETCH)
    if isinstance(fresh, Result):
        return fresh
    mail, token = fresh.mail, fresh.token
    url = str(mail.action_link()["url"])  # type: ignore[index]
    fetched = []
    for method, agent in SCANNERS:
        try:
            response = await run.http.request(
                method,
                reachable(run, url),
                headers={"user-agent": agent, "accept": BROWSER_ACCEPT},
                follow_redirects=True,
            )
            fetched.append(f"{method} {response.status_code}")
        except httpx.HTTPError as exc:
            fetched.append(f"{method} failed ({type(exc).__name__})")
    answer = await run.confirm(token, run.new_password + "-after-scan")
    message = looked(mail, url)
    seen = ", ".join(fetched)
    if not answer.is_success:
        return PREFETCH.failed(
            f"after a scanner's prefetch of the link ({seen}), {run.target.confirm_path} "
            f"refused the token: {describe_response(answer)}. Scanners such as Safe Links "
            "fetch every link before the person clicks; GET and HEAD must not use the token "
            "up: show a page that confirms with POST",
            message,
            fetched=fetched,
        )
    return PREFETCH.passed(
        f"the link was fetched as a scanner does ({seen}); {run.target.confirm_path} still "
        f"accepted the token afterwards ({answer.status_code}){fresh.note}",
        message,
        fetched=fetched,
    )


async def expiry(run: Run) -> Result:
    ttl = run.reset_ttl
    if not run.target.builtin:
        return EXPIRY.not_verifiable(
            f"the service at {run.target.base} keeps its own clock and mailyard can move only "
            "its own; test the link's lifetime in the service's own tests with a frozen clock"
        )
    fresh = await _fresh_reset(run, EXPIRY)
    if isinstance(fresh, Result):
        return fresh
    mail, token = fresh.mail, fresh.token
    step = ttl + 1
    moved, why = await run.inbox.advance_clock(step)
    message = looked(mail, str(mail.action_link()["url"]))  # type: ignore[index]
    if not moved:
        return EXPIRY.not_verifiable(
            f"{why}. Start mailyard with --clock-control to let the checklist move its clock "
            f"past the link's {ttl:g} s lifetime instead of waiting for it{fresh.note}",
            message,
        )
    # The clock is the server's, shared by everything it runs, and only moves forward: say so.
    shared = (
        f"; mailyard's clock is now {_span(step)} ahead for good (it cannot move back): "
        "delays and held deliveries of anything else on this server due within that time "
        "have been released"
    )
    answer = await run.confirm(token, run.new_password + "-expired")
    if answer.is_success:
        return EXPIRY.failed(
            f"{run.target.confirm_path} accepted the token after mailyard's clock moved "
            f"{step:g} s forward, past the link's {ttl:g} s lifetime{shared}{fresh.note}",
            message,
            clockAdvancedSeconds=step,
        )
    return EXPIRY.passed(
        f"after moving mailyard's clock {step:g} s forward, {run.target.confirm_path} "
        f"refused the token ({describe_response(answer)}){shared}{fresh.note}",
        message,
        clockAdvancedSeconds=step,
    )


def _span(seconds: float) -> str:
    """3601 -> '3601 s (1 h)': the seconds, and hours or minutes when that reads easier."""
    if seconds >= 3600:
        return f"{seconds:g} s ({seconds / 3600:.3g} h)"
    if seconds >= 60:
        return f"{seconds:g} s ({seconds / 60:.3g} min)"
    return f"{seconds:g} s"


async def plain_text(run: Run) -> Result:
    mail = run.reset_mail
    if mail is None:
        return TEXT.not_run("needs the reset email of step 6")
    text = (await run.inbox.parts(mail.id)).text
    if not text.strip():
        return TEXT.failed(
            "the email has no text/plain part: text-only mail clients, screen readers and "
            "spam filters read it, and some filters score HTML-only mail as spam",
            looked(mail),
        )
    url = str(run.token_link["url"]) if run.token_link else ""
    if url and url not in text and url.replace("&", "&amp;") not in text:
        return TEXT.failed(
            "the plain-text part does not contain the reset link: a reader of the text "
            "cannot reset",
            looked(mail, url),
        )
    return TEXT.passed(
        f"{len(text)} characters of plain text, the reset link among them", looked(mail, url)
    )


async def html(run: Run) -> Result:
    """Hard failures: a <script>, HTML past Gmail's clip; the content review's failures (alt
    text, language) when it is installed. Client support is reported, not failed on: its
    scores count CSS that degrades gracefully, and the spec's own templates score 70-90 %."""
    mail = run.reset_mail
    if mail is None:
        return HTML.not_run("needs the reset email of step 6")
    view = await run.inbox.parts(mail.id)
    markup = view.html
    message = looked(mail)
    if not markup.strip():
        return HTML.passed("no HTML part: a plain-text email has no HTML to check", message)
    result = check_html(markup)
    score = result.score()
    size = len(markup.encode("utf-8"))
    problems: list[str] = []
    notes: list[str] = []
    if any(w.slug == SCRIPT for w in result.warnings):
        problems.append("it has <script>, which no mail client runs and spam filters punish")
    if size > GMAIL_CLIP_BYTES:
        problems.append(
            f"it is {size // 1024} KB: Gmail clips HTML past {GMAIL_CLIP_BYTES // 1024} KB "
            "and the link can end up behind '[Message clipped]'"
        )
    for finding in _review(view, result):
        text = f"{finding.name.lower()}: {finding.detail}"
        (problems if finding.verdict == "fail" else notes).append(text)
    support = (
        f"client support {score.supported:.0f}% full, {score.partial:.0f}% partial, "
        f"{score.unsupported:.0f}% none (caniemail, as Mailpit's HTML check)"
    )
    details = {
        "supported": round(score.supported, 1),
        "partial": round(score.partial, 1),
        "unsupported": round(score.unsupported, 1),
        "bytes": size,
        "notes": notes,
    }
    if problems:
        return HTML.failed("; ".join(problems) + f" ({support})", message, **details)
    extra = f"; to improve: {'; '.join(notes)}" if notes else ""
    return HTML.passed(
        f"no script, {size / 1024:.0f} KB (under Gmail's {GMAIL_CLIP_BYTES // 1024} KB clip); "
        f"{support}{extra}",
        message,
        **details,
    )


def _review(view: MessageView, result: HTMLCheckResult) -> list[Noted]:
    """The content review's findings about the HTML itself (images' alt text, the declared
    language; compatibility as a note), or none when this mailyard has no review."""
    try:
        from mailyard.sandbox.mail.checks import review
    except ImportError:  # an older mailyard: the checks above are the whole HTML check
        return []
    found = []
    for f in review(view, [], html_check=result).findings:
        if f.name in REVIEWED and f.verdict in ("fail", "warn"):
            # Compatibility scores are reported, never failed on (see `html`).
            verdict = "warn" if f.name == COMPATIBILITY else f.verdict
            found.append(Noted(f.name, verdict, f.detail))
    return found


@dataclass(frozen=True)
class Noted:
    name: str
    verdict: str
    detail: str
