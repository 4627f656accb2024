"""SNS message signatures, made with mailyard's own key (providers.md C5, reliability.md 5.2).

AWS signs the "string to sign": for each of a fixed list of keys present in the message, the key,
a newline, the value, a newline, keys in byte order —

- Notification: `Message, MessageId, Subject` (only if present)`, Timestamp, TopicArn, Type`;
- SubscriptionConfirmation / UnsubscribeConfirmation: `Message, MessageId, SubscribeURL,
  Timestamp, Token, TopicArn, Type` —

with RSA PKCS#1 v1.5 over SHA-1 (`SignatureVersion` "1", the default) or SHA-256 ("2"), base64.

Nobody but Amazon can sign with Amazon's key, so mailyard makes one RSA key and a self-signed
certificate per install (`SigningKey.generate`), keeps both as PEM in its database, and serves
the certificate at the `SigningCertURL` it puts in every message. A receiver verifies our
messages with AWS's own algorithm once it is told to trust that URL (see `receiver_check`):
real verifiers accept only `https://sns.<region>.amazonaws.com/…pem`, and should keep doing so
outside tests. Key generation uses the operating system's randomness (the `cryptography` API
takes no seed); everything after it is deterministic.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING

from mailyard.sandbox.errors import InvalidInputError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
SIGNED_KEYS = {
    "Notification": NOTIFICATION_KEYS,
    "SubscriptionConfirmation": CONFIRMATION_KEYS,
    "UnsubscribeConfirmation": CONFIRMATION_KEYS,
}
_HASHES = {"1": "SHA1", "2": "SHA256"}  # SignatureVersion -> cryptography's hash class
KEY_BITS = 2048  # AWS's SNS certificates carry 2048-bit RSA keys
RECENT_SIGNATURES = 1024


def string_to_sign(message: Mapping[str, str]) -> str:
    """AWS's string to sign for an SNS message (a dict of its JSON fields)."""
    kind = message.get("Type", "")
    keys = SIGNED_KEYS.get(kind)
    if keys is None:
        raise InvalidInputError(f"unknown SNS message Type {kind!r}", "Type")
    lines = []
    for key in keys:
        if key not in message:
            if key == "Subject":
                continue  # optional, and then not signed
            raise InvalidInputError(f"an SNS {kind} needs {key}", key)
        lines.append(f"{key}\n{message[key]}\n")
    return "".join(lines)


class SigningKey:
    """mailyard's SNS signing key and its certificate (the one the SigningCertURL serves)."""

    def __init__(self, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        self._key = key
        self.certificate = certificate
        # An RSA signature costs ~1 ms (measured, 2048 bits); the subscriptions of one topic
        # share a message's signed fields (only the unsigned UnsubscribeURL differs), so fan-out
        # and retries reuse it. Bounded: the oldest entry goes first.
        self._recent: OrderedDict[tuple[str, str], str] = OrderedDict()

    @classmethod
    def generate(cls, now: float, serial: int, *, years: int = 10) -> SigningKey:
        """A new key and a self-signed certificate valid from a day before `now`.

        The subject's CN is SNS's (`sns.amazonaws.com`) because some verifiers compare it; the
        organisation says plainly that Amazon did not issue it.
        """
        # cryptography costs ~70 ms to import: paid when SNS first signs, not at start-up.
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com"),
                x509.NameAttribute(
                    NameOID.ORGANIZATION_NAME, "mailyard local SNS emulation (not Amazon)"
                ),
            ]
        )
        start = dt.datetime.fromtimestamp(now, dt.UTC) - dt.timedelta(days=1)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(max(1, serial))
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes) -> SigningKey:
        """The pair as stored; refuses a certificate that is not the key's own."""
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise InvalidInputError("the SNS signing key is not an RSA key", "key_pem")
        certificate = x509.load_pem_x509_certificate(cert_pem)
        if certificate.public_key() != key.public_key():
            raise InvalidInputError("the certificate is not the signing key's", "cert_pem")
        return cls(key, certificate)

    @property
    def key_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def cert_pem(self) -> bytes:
        """What mailyard serves at the SigningCertURL."""
        from cryptography.hazmat.primitives import serialization

        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, message: Mapping[str, str], version: str) -> str:
        """The base64 `Signature` of an SNS message for `SignatureVersion` `version`."""
        algorithm = _HASHES.get(version)
        if algorithm is None:
            raise InvalidInputError(
                f"SignatureVersion must be 1 or 2, not {version!r}", "SignatureVersion"
            )
        text = string_to_sign(message)
        cached = self._recent.get((text, version))
        if cached is not None:
            self._recent.move_to_end((text, version))
            return cached
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        raw = self._key.sign(text.encode(), padding.PKCS1v15(), getattr(hashes, algorithm)())
        signature = base64.b64encode(raw).decode()
        self._recent[text, version] = signature
        if len(self._recent) > RECENT_SIGNATURES:
            self._recent.popitem(last=False)
        return signature

    def __repr__(self) -> str:
        return f"SigningKey(serial={self.certificate.serial_number})"  # never the key
