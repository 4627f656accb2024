"""AWS SES v2 through boto3: `sesv2.send_email`, the way BluAuth's sendEmail() does it.

The client is built by the caller (region, credentials and `AWS_ENDPOINT_URL_SESV2` the AWS way),
preferably with botocore's own retries off: `Retrying` retries throttling and 5xx once, with
jitter, instead of two layers multiplying. boto3 is synchronous; each call runs in a thread.

Inline images (a shipped logo) go with Simple content as `Attachments` with `INLINE`
disposition and the `ContentId` the HTML's `cid:` names, which SES v2 builds into the message
(docs.aws.amazon.com/ses/latest/dg/attachments.html); Simple content keeps SES's own MIME and
the headers list, so there is no need to switch to Raw for them. Raw sends `mime`, which holds
its images already.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from mailyard.senders.errors import SendError
from mailyard.senders.outgoing import Outgoing, Receipt, tag_value

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

# Retrying these cannot duplicate a send: SES refused the request.
RETRYABLE_CODES = {
    "TooManyRequestsException",
    "Throttling",
    "ThrottlingException",
    "InternalServiceErrorException",
    "ConcurrentModificationException",
    "ServiceUnavailable",
}
MAX_HEADERS = 15


class SESSender:
    """Sends with `send_email`: Simple content (subject, bodies, headers), or Raw on request."""

    name = "ses"

    def __init__(
        self,
        client: Any,
        *,
        configuration_set: str | None = None,
        source_app: str = "bluauth",
        raw: bool = False,
    ) -> None:
        self._client = client
        self._configuration_set = configuration_set
        self._source_app = source_app
        self._raw = raw

    def request(self, email: Outgoing) -> dict[str, Any]:
        """The send_email parameters for `email`."""
        params: dict[str, Any] = {
            "FromEmailAddress": email.from_header,
            # Explicit, always: with Raw content SES would otherwise take recipients from the
            # headers, Bcc included.
            "Destination": {
                "ToAddresses": list(email.to),
                "CcAddresses": list(email.cc),
                "BccAddresses": list(email.bcc),
            },
            "EmailTags": [
                {"Name": "source_app", "Value": tag_value(self._source_app)},
                *({"Name": tag_value(n), "Value": tag_value(v)} for n, v in email.tags),
            ],
        }
        if email.reply_to:
            params["ReplyToAddresses"] = list(email.reply_to)
        if self._configuration_set:
            params["ConfigurationSetName"] = self._configuration_set
        if self._raw:
            params["Content"] = {"Raw": {"Data": email.mime}}
        else:
            params["Content"] = {
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                    "Headers": [{"Name": n, "Value": v} for n, v in email.headers[:MAX_HEADERS]],
                }
            }
            if email.inline:
                params["Content"]["Simple"]["Attachments"] = [
                    {
                        "RawContent": part.data,  # botocore base64-encodes a blob
                        "FileName": part.filename,
                        "ContentType": part.content_type,
                        "ContentDisposition": "INLINE",
                        "ContentId": part.content_id,
                        # SES's default, SEVEN_BIT, cannot carry a PNG's bytes.
                        "ContentTransferEncoding": "BASE64",
                    }
                    for part in email.inline
                ]
        return params

    async def send(self, email: Outgoing) -> Receipt:
        from botocore.exceptions import (  # with the client: not at start-up
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
        )

        params = self.request(email)
        try:
            response = await asyncio.to_thread(self._client.send_email, **params)
        except ClientError as exc:
            raise _from_client_error(exc) from None
        except NoCredentialsError:
            raise SendError("ses", "NoCredentials", "no AWS credentials were found") from None
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            # The request never reached SES: trying again cannot send twice.
            raise SendError("ses", "ConnectionError", str(exc), retryable=True) from None
        except BotoCoreError as exc:
            # A read timeout and the like: SES may have accepted it, so no retry.
            raise SendError("ses", type(exc).__name__, str(exc)) from None
        message_id = str(response.get("MessageId", ""))
        return Receipt("ses", message_id, details={"request_id": _request_id(response)})


def _request_id(response: dict[str, Any]) -> str:
    return str(response.get("ResponseMetadata", {}).get("RequestId", ""))


def _from_client_error(exc: ClientError) -> SendError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    retryable = code in RETRYABLE_CODES or status == 429 or status >= 500
    return SendError("ses", code, str(error.get("Message", "")), retryable=retryable, status=status)
