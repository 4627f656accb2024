"""Resend's HTTP API: `POST /emails` with a Bearer key and an Idempotency-Key per logical send.

The same Idempotency-Key goes with every retry of one send, so Resend answers a retry with the
first attempt's result instead of sending twice; that makes even a timed-out request safe to retry.
Inline images travel as `attachments` with a `content_id`, which Resend sends as an inline part
the HTML's `cid:` reference shows (resend.com/docs/dashboard/emails/embed-inline-images).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on the first send: httpx is ~15 % of `mailyard serve`'s start
    import httpx

from mailyard.senders.errors import SendError
from mailyard.senders.outgoing import Outgoing, Receipt, tag_value

DEFAULT_API_URL = "https://api.resend.com"
USER_AGENT = "mailyard-sender"


class ResendSender:
    """Posts to `{api_url}/emails` with the `httpx.AsyncClient` it is given."""

    name = "resend"

    def __init__(
        self, client: httpx.AsyncClient, api_key: str, api_url: str = DEFAULT_API_URL
    ) -> None:
        self._client = client
        self._api_key = api_key
        self._url = api_url.rstrip("/") + "/emails"

    def __repr__(self) -> str:  # never show the key
        return f"ResendSender(url={self._url!r})"

    def payload(self, email: Outgoing) -> dict[str, Any]:
        body: dict[str, Any] = {
            "from": email.from_header,
            "to": list(email.to),
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
        }
        if email.cc:
            body["cc"] = list(email.cc)
        if email.bcc:
            body["bcc"] = list(email.bcc)
        if email.reply_to:
            body["reply_to"] = list(email.reply_to)
        if email.headers:
            body["headers"] = dict(email.headers)
        if email.tags:
            body["tags"] = [{"name": tag_value(n), "value": tag_value(v)} for n, v in email.tags]
        if email.inline:
            body["attachments"] = [
                {
                    "filename": part.filename,
                    "content": base64.b64encode(part.data).decode("ascii"),
                    "content_type": part.content_type,
                    "content_id": part.content_id,
                }
                for part in email.inline
            ]
        return body

    async def send(self, email: Outgoing) -> Receipt:
        import httpx

        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        if email.idempotency_key:
            headers["Idempotency-Key"] = email.idempotency_key
        try:
            response = await self._client.post(self._url, json=self.payload(email), headers=headers)
        except httpx.TimeoutException as exc:
            # Retrying with the same Idempotency-Key cannot send twice.
            retryable = bool(email.idempotency_key) or isinstance(exc, httpx.ConnectTimeout)
            raise SendError(
                "resend", "timeout", str(exc) or "timed out", retryable=retryable
            ) from None
        except httpx.TransportError as exc:
            raise SendError(
                "resend",
                "connection_error",
                str(exc) or type(exc).__name__,
                retryable=bool(email.idempotency_key) or isinstance(exc, httpx.ConnectError),
            ) from None
        if response.status_code == 200:
            return Receipt("resend", str(_json(response).get("id", "")))
        raise _error(response)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _error(response: httpx.Response) -> SendError:
    body = _json(response)
    status = response.status_code
    name = str(body.get("name") or ("application_error" if status >= 500 else f"http_{status}"))
    message = str(body.get("message") or response.reason_phrase)
    retry_after = None
    if "retry-after" in response.headers:
        try:
            retry_after = float(response.headers["retry-after"])
        except ValueError:
            retry_after = None
    retryable = (status == 429 and name == "rate_limit_exceeded") or status >= 500
    return SendError(
        "resend", name, message, retryable=retryable, retry_after=retry_after, status=status
    )
