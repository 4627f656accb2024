"""Sending the app's mail over SMTP, off the request path: a request never waits for it."""

from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    sender: str = "Sample App <no-reply@sample.test>"

    def send(self, to: str, subject: str, text: str, html: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)

    def send_later(self, to: str, subject: str, text: str, html: str) -> threading.Thread:
        """Send from a background thread, as an app hands mail to a queue or a worker."""
        thread = threading.Thread(target=self.send, args=(to, subject, text, html), daemon=True)
        thread.start()
        return thread
