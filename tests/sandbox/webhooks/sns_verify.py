"""An SNS message verifier written from AWS's documentation alone: the tests' oracle.

Follows "Verifying the signatures of Amazon SNS messages" (SNS developer guide) step by step and
shares no code with `mailyard.sandbox.webhooks`:

1. The message has the fields its Type requires; SignatureVersion is 1 (SHA1withRSA) or 2
   (SHA256withRSA).
2. SigningCertURL is checked *before* anything is fetched: https, host `sns.<region>.amazonaws.com`
   (or `.amazonaws.com.cn`), a `.pem` path, no user info, no port — unless it is one of the
   URLs the caller explicitly trusts (how a test tells a receiver to trust mailyard).
3. The certificate is fetched (by the caller's function), loaded, and must be in its validity
   period at `now`.
4. The string to sign is built from the fields the documentation names, sorted in byte order,
   each as `name\\nvalue\\n`, skipping Subject when absent.
5. The base64 Signature is checked with the certificate's public key, PKCS#1 v1.5.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

AWS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
REQUIRED = {
    "Notification": {
        "Message",
        "MessageId",
        "Timestamp",
        "TopicArn",
        "Type",
        "Signature",
        "SignatureVersion",
        "SigningCertURL",
    },
    "SubscriptionConfirmation": {
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
        "Signature",
        "SignatureVersion",
        "SigningCertURL",
    },
}
REQUIRED["UnsubscribeConfirmation"] = REQUIRED["SubscriptionConfirmation"]
SIGNED = {
    "Notification": {"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"},
    "SubscriptionConfirmation": {
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    },
}
SIGNED["UnsubscribeConfirmation"] = SIGNED["SubscriptionConfirmation"]


class VerificationError(Exception):
    pass


def check_cert_url(url: str, trusted: Collection[str] = ()) -> None:
    if url in trusted:
        return
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise VerificationError(f"SigningCertURL is not https: {url}")
    if parts.username or parts.password or parts.port is not None:
        raise VerificationError(f"SigningCertURL has user info or a port: {url}")
    if not AWS_HOST.fullmatch(parts.hostname or ""):
        raise VerificationError(f"SigningCertURL is not on an SNS host: {url}")
    if not parts.path.endswith(".pem"):
        raise VerificationError(f"SigningCertURL is not a .pem: {url}")


def verify(
    message: Mapping[str, str],
    fetch: Callable[[str], bytes],
    *,
    now: float,
    trusted: Collection[str] = (),
    topics: Collection[str] | None = None,
) -> None:
    kind = message.get("Type", "")
    if kind not in REQUIRED:
        raise VerificationError(f"unknown Type {kind!r}")
    missing = REQUIRED[kind] - set(message)
    if missing:
        raise VerificationError(f"missing {sorted(missing)}")
    if topics is not None and message["TopicArn"] not in topics:
        raise VerificationError(f"unexpected TopicArn {message['TopicArn']}")
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(message["SignatureVersion"])
    if algorithm is None:
        raise VerificationError(f"SignatureVersion {message['SignatureVersion']!r}")
    check_cert_url(message["SigningCertURL"], trusted)
    certificate = x509.load_pem_x509_certificate(fetch(message["SigningCertURL"]))
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise VerificationError("certificate outside its validity period")
    text = "".join(f"{k}\n{message[k]}\n" for k in sorted(SIGNED[kind] & set(message)))
    try:
        signature = base64.b64decode(message["Signature"], validate=True)
    except binascii.Error as error:
        raise VerificationError("Signature is not base64") from error
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationError("certificate key is not RSA")
    try:
        key.verify(signature, text.encode(), padding.PKCS1v15(), algorithm)
    except InvalidSignature as error:
        raise VerificationError("signature does not verify") from error
