"""What one test sees of mailyard: the `mailyard` fixture.

    def test_reset(mailyard, app):
        email = mailyard.address("jane")                  # jane+<token>@example.test
        app.post("/password-reset", data={"email": email})
        mail = mailyard.wait_for(to=email, subject="reset your password")
        page = mailyard.follow(mail.link(containing="/reset"))

Isolation: a cursor taken when the test starts means only mail committed after it is ever seen;
`address()` gives addresses no other test (nor xdist worker, nor earlier run) uses; `mailbox` /
`smtp` / `env()` give a mailbox of the test's own for an app it configures itself. `wait_for`
without `to` or `mailbox` takes any mail that arrived during the test (scoped to the test's
mailbox when it has one) but other tests' (to their addresses, in their mailboxes): mail to an
address no test made is taken, so do that only where nothing else sends at the same time.

Each message is returned once per recipient: a second `wait_for(to=jane)` returns the next mail
to jane, while a message to both jane and bob is returned once for each. At the end, the test's
own mail (to its addresses, in its mailbox) is deleted by ID (by the session's cleanup thread,
off the test's time); mail to any other address is left alone, as another test may be reading it.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailyard.web.testing.browser import Browser
from mailyard.web.testing.cleanup import Cleaner, Leftovers
from mailyard.web.testing.errors import NoMailError, UnexpectedMailError
from mailyard.web.testing.matching import (
    MAILBOX_PREFIX,
    TOKEN_BYTES,
    Filter,
    another_tests,
    describe_message,
)
from mailyard.web.testing.message import Link, Message
from mailyard.web.testing.service import MailyardServer

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 10.0  # seconds wait_for waits, unless told (--mailyard-timeout)
NO_MAIL_WAIT = 1.0  # seconds assert_no_mail waits for mail that must not come
DOMAIN = "example.test"  # RFC 2606: never a real mailbox
# mailyard takes any SMTP password (and, lenient, any SES secret) unless configured otherwise.
PASSWORD = "mailyard"  # noqa: S105 - a placeholder, not a secret
REPORT_LIMIT = 20  # messages listed in a failure message
MAX_SCAN = 1000  # messages looked at to list the test's arrivals (others' are passed over)
_LOCAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63}){1,8}$")


@dataclass(frozen=True)
class SmtpAccount:
    """SMTP settings for an app a test configures itself: mail sent with them lands in the
    test's own mailbox (mailyard names the mailbox after the AUTH user)."""

    host: str
    port: int
    username: str
    password: str


class Inbox:
    """One test's view of mailyard."""

    def __init__(
        self,
        server: MailyardServer,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        domain: str = DOMAIN,
        keep_mail: bool = False,
        token: str | None = None,
        cleaner: Cleaner | None = None,
    ) -> None:
        if not _DOMAIN_RE.match(domain):
            raise ValueError(f"the address domain {domain!r} is not a domain name")
        self.server = server
        self.timeout = timeout
        self.domain = domain
        self.token = token or secrets.token_hex(TOKEN_BYTES)
        self._client = server.client
        self._keep_mail = keep_mail
        self._cleaner = cleaner  # None: close() deletes the mail itself, before it returns
        self._cursor: str | None = None
        self._addressed = False
        self._mailbox: str | None = None
        self._taken: set[tuple[str, str]] = set()  # (recipient, or "" for none asked, ID)
        self._browser = Browser()

    @classmethod
    def open(cls, server: MailyardServer, **options: Any) -> Inbox:
        """An inbox whose cursor is taken now."""
        inbox = cls(server, **options)
        inbox._cursor = server.client.cursor()
        return inbox

    @property
    def cursor(self) -> str:
        """Where the test started: only mail committed after it is seen."""
        if self._cursor is None:
            raise RuntimeError("the inbox was not opened (use Inbox.open)")
        return self._cursor

    # -- what the test hands to the app --------------------------------------------------

    def address(self, name: str = "user") -> str:
        """An address of this test's own: `jane` -> `jane+<token>@example.test`, and
        `jane@myapp.test` -> `jane+<token>@myapp.test`. The same name gives the same address."""
        local, at, domain = name.partition("@")
        if not _LOCAL_RE.match(local):
            raise ValueError(
                f"address({name!r}): the name may hold letters, digits, '.', '_' and '-' "
                "(at most 40, starting with a letter or digit)"
            )
        if at and not _DOMAIN_RE.match(domain):
            raise ValueError(f"address({name!r}): {domain!r} is not a domain name")
        self._addressed = True
        return f"{local}+{self.token}@{domain or self.domain}"

    @property
    def mailbox(self) -> str:
        """The test's own mailbox: `smtp` logs in to it, `env()` names it as the SES key."""
        if self._mailbox is None:
            self._mailbox = f"{MAILBOX_PREFIX}{self.token}"
        return self._mailbox

    @property
    def smtp(self) -> SmtpAccount:
        """SMTP settings whose mail lands in the test's own mailbox."""
        return SmtpAccount(self.server.smtp_host, self.server.smtp_port, self.mailbox, PASSWORD)

    def env(self) -> dict[str, str]:
        """The server's `env()` and AWS credentials whose access key is the test's mailbox, so
        an SES SDK pointed at mailyard sends into it."""
        return {
            **self.server.env(),
            "AWS_ACCESS_KEY_ID": self.mailbox,
            "AWS_SECRET_ACCESS_KEY": PASSWORD,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    # -- what the test asks -------------------------------------------------------------

    def wait_for(
        self,
        to: str | None = None,
        subject: str | None = None,
        *,
        mailbox: str | None = None,
        timeout: float | None = None,
    ) -> Message:
        """The first message since the test started that went `to` this address (To, Cc or
        Bcc) and was not returned for it before, with `subject` in its subject
        (case-insensitive). Waits up to `timeout` seconds (default: --mailyard-timeout, 10);
        on a timeout the failure lists the mail that did arrive during the test."""
        __tracebackhide__ = True  # pytest shows the test's line, not the plugin's
        wanted = self._filter(to, subject, mailbox)
        waited = self.timeout if timeout is None else timeout
        found = self._next(wanted, time.monotonic() + waited)
        if found is None:
            raise NoMailError(self._no_mail_report(wanted, waited))
        self._taken.add((_key(wanted), str(found["ID"])))
        return Message(self._client, found)

    def assert_no_mail(
        self,
        to: str | None = None,
        subject: str | None = None,
        *,
        mailbox: str | None = None,
        within: float = NO_MAIL_WAIT,
    ) -> None:
        """Fail if a matching message arrived since the test started, or arrives within
        `within` seconds (default 1: mail sent from a background thread or a queue is usually
        in well before). Messages `wait_for` returned (for the same `to`) do not count."""
        __tracebackhide__ = True
        wanted = self._filter(to, subject, mailbox)
        found = self._next(wanted, time.monotonic() + within)
        if found is not None:
            raise UnexpectedMailError(
                f"expected no {wanted.describe()}, but one arrived: {describe_message(found)}"
            )

    def arrived(self, limit: int = 50) -> list[Message]:
        """Every message that arrived since the test started but other tests' (see
        `matching.another_tests`), oldest first (at most `limit`)."""
        return [Message(self._client, s) for s in self._arrivals(limit)]

    def follow(self, link: str | Link) -> httpx.Response:
        """GET a link as a browser would: redirects followed, cookies kept for the rest of
        the test, a browser's headers. Returns the final response."""
        return self._browser.get(str(link))

    def close(self) -> None:
        """Delete the test's own mail, by ID (unless --mailyard-keep-mail): now, or through
        the cleaner it was given (`web.testing.cleanup`)."""
        self._browser.close()
        if self._keep_mail or not (self._addressed or self._mailbox):
            return
        leftovers = Leftovers(self.token if self._addressed else None, self._mailbox)
        if self._cleaner is None:
            leftovers.delete(self._client)
        else:
            self._cleaner.submit(leftovers)

    # -- the work ---------------------------------------------------------------------------

    def _filter(self, to: str | None, subject: str | None, mailbox: str | None) -> Filter:
        if to is None and mailbox is None and self._mailbox is not None:
            mailbox = self._mailbox
        return Filter.of(to, subject, mailbox)

    def _next(self, wanted: Filter, deadline: float) -> dict[str, Any] | None:
        """The oldest matching message after the cursor that wait_for did not return for the
        same recipient, waiting until `deadline`. The server narrows by the query; the filter
        decides."""
        after, query, key = self.cursor, wanted.query(), _key(wanted)
        # Asked for an address, the test gets that address's mail; asked for any mail, it
        # gets any but other tests'.
        skip_others = wanted.to is None
        while True:
            left = deadline - time.monotonic()
            arrival = self._client.wait(
                after=after, query=query, mailbox=wanted.mailbox, timeout=max(left, 0.0)
            )
            if arrival is None:
                if left > self._client.max_wait:  # that poll ended before the deadline
                    continue
                return None
            after = arrival.cursor
            summary = arrival.summary
            if (key, str(summary["ID"])) in self._taken or not wanted.matches(summary):
                continue
            if not (skip_others and another_tests(summary, self.token)):
                return summary

    def _arrivals(self, limit: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after = self.cursor
        for _ in range(MAX_SCAN):
            if len(found) >= limit:
                break
            arrival = self._client.wait(after=after, query="", mailbox=None, timeout=0)
            if arrival is None:
                break
            if not another_tests(arrival.summary, self.token):
                found.append(arrival.summary)
            after = arrival.cursor
        return found

    def _no_mail_report(self, wanted: Filter, waited: float) -> str:
        arrived = self._arrivals(REPORT_LIMIT + 1)
        lines = [f"no {wanted.describe()} arrived within {waited:g} s."]
        if not arrived:
            lines.append(
                "No mail at all arrived during this test. Does the app send to mailyard: SMTP "
                f"{self.server.smtp_host}:{self.server.smtp_port}, or SES/Resend at "
                f"{self.server.http_url}?"
            )
        else:
            shown = arrived[:REPORT_LIMIT]
            lines.append(f"Mail that arrived during this test ({len(shown)}, oldest first):")
            returned = {id_ for _, id_ in self._taken}
            for summary in shown:
                taken = " [already returned by wait_for]" if summary["ID"] in returned else ""
                lines.append(f"  - {describe_message(summary)}{taken}")
            if len(arrived) > REPORT_LIMIT:
                lines.append("  - ... and more")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Inbox(token={self.token!r}, server={self.server.http_url!r})"


def _key(wanted: Filter) -> str:
    """Whose inbox a returned message is taken from: its recipient's, or the test's own."""
    return wanted.to.casefold() if wanted.to else ""
