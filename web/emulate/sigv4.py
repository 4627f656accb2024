"""AWS Signature Version 4 as a server sees it: parse the `Authorization` header, and verify it.

The SES emulators accept a request in one of two modes:

- lenient (the default): the request must carry a well-formed `AWS4-HMAC-SHA256` header. Its
  credential scope names the access key id (which names the mailbox) and the region; the
  signature itself is not checked, so any secret works, as with LocalStack and moto.
- strict: the signature is recomputed with the secret configured for that access key id and
  compared in constant time, and `X-Amz-Date` must be within 15 minutes of the injected clock.

The canonical request is built as AWS documents it ("Create a canonical request for Signature
Version 4"), server side: the path as the client sent it, normalised and percent-encoded once
more (every service but S3 double-encodes, so `a%2Bb%40x.com` is signed as `a%252Bb%2540x.com`);
the query decoded and re-encoded with the unreserved set, sorted by key then value; the signed
headers lowercased, values trimmed and inner runs of spaces collapsed, repeated headers joined
with commas; and the payload hash (`X-Amz-Content-SHA256` when the client sent it, which the JS
SDK always does, after checking it against the body).

Every failure is a `SigV4Error` whose `failure` knows how SES words it in both protocols: v2's
REST-JSON (`x-amzn-ErrorType` code, status) and v1's query API (`<Code>`, status). The codes and
messages are the ones AWS returns (see notes/provider-emulation.md, "SigV4 errors").

Presigned query-string authentication is not accepted: no SES SDK or the CLI uses it.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
# Real Authorization headers are ~250 bytes; JS SDK v3 signs 8 headers. The caps bound parsing.
MAX_AUTHORIZATION_LENGTH = 4096
MAX_SIGNED_HEADERS = 64
MAX_QUERY_LENGTH = 64 * 1024
_HEX = frozenset("0123456789abcdef")
_UNSIGNED = "UNSIGNED-PAYLOAD"
_SEPARATORS = re.compile(r"[\s,]+")  # one character class: linear
_REQUIRED_FIELDS = ("Credential", "Signature", "SignedHeaders")


class AuthFailure(enum.Enum):
    """Why a request was refused, with SES's code and status in each protocol.

    Value: (REST-JSON code, REST-JSON status, query code, query status).
    """

    MISSING = ("MissingAuthenticationTokenException", 403, "MissingAuthenticationToken", 403)
    INCOMPLETE = ("IncompleteSignatureException", 400, "IncompleteSignature", 400)
    UNKNOWN_KEY = ("UnrecognizedClientException", 403, "InvalidClientTokenId", 403)
    MISMATCH = ("InvalidSignatureException", 403, "SignatureDoesNotMatch", 403)
    EXPIRED = ("InvalidSignatureException", 400, "SignatureDoesNotMatch", 403)

    @property
    def rest_json(self) -> tuple[str, int]:
        """(`x-amzn-ErrorType` code, HTTP status) for SES v2."""
        return self.value[0], self.value[1]

    @property
    def query(self) -> tuple[str, int]:
        """(`<Error><Code>`, HTTP status) for SES v1; `<Type>` is always `Sender`."""
        return self.value[2], self.value[3]


MISSING_MESSAGE = "Missing Authentication Token"
MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
UNKNOWN_KEY_MESSAGE = "The security token included in the request is invalid."


class SigV4Error(Exception):
    """A request SES would refuse before looking at it; render with `failure` in either protocol."""

    def __init__(self, failure: AuthFailure, message: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message

    def query_message(self) -> str:
        """The v1 wording, where it differs from v2's (only for a missing token)."""
        if self.failure is AuthFailure.MISSING:
            return "Request is missing Authentication Token"
        return self.message


@dataclass(frozen=True)
class SigV4Authorization:
    """The parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`."""

    access_key_id: str
    date: str  # YYYYMMDD, from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str  # 64 lowercase hex digits

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request that a signature covers, exactly as they arrived.

    `raw_path` is still percent-encoded (ASGI's `raw_path`), `raw_query` is the text after `?`,
    and `headers` keeps every (name, value) pair in arrival order, repeats included.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        lname = name.lower()
        return [value for key, value in self.headers if key.lower() == lname]


def parse_authorization(value: str | None) -> SigV4Authorization:
    """Parse the header value; raise `SigV4Error` in SES's words when it is absent or malformed."""
    if value is None or not value.strip():
        raise SigV4Error(AuthFailure.MISSING, MISSING_MESSAGE)
    if len(value) > MAX_AUTHORIZATION_LENGTH:
        raise SigV4Error(AuthFailure.INCOMPLETE, "Authorization header is too long.")
    algorithm, _, rest = value.strip().partition(" ")
    fields: dict[str, str] = {}
    if algorithm == ALGORITHM:
        # AWS tokenises on commas and whitespace alike, so a stray space splits a pair.
        for part in _SEPARATORS.split(rest):
            if not part:
                continue
            key, eq, field_value = part.partition("=")
            if not eq:
                raise SigV4Error(
                    AuthFailure.INCOMPLETE,
                    f"'{part}' not a valid key=value pair (missing equal-sign) "
                    f"in Authorization header: '{value}'.",
                )
            fields[key] = field_value
    missing = [name for name in _REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        # AWS's wording: one sentence per missing part, then the header as received.
        required = " ".join(f"Authorization header requires '{n}' parameter." for n in missing)
        raise SigV4Error(AuthFailure.INCOMPLETE, f"{required} Authorization={value}")
    return SigV4Authorization(
        *_parse_credential(fields["Credential"]),
        signed_headers=_parse_signed_headers(fields["SignedHeaders"]),
        signature=_parse_signature(fields["Signature"]),
    )


def _parse_credential(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise SigV4Error(
            AuthFailure.INCOMPLETE,
            f"Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{credential}'",
        )
    access_key_id, date, region, service, terminator = parts
    if terminator != "aws4_request":
        raise SigV4Error(
            AuthFailure.INCOMPLETE,
            f"Credential should be scoped with a valid terminator: 'aws4_request', not "
            f"'{terminator}'.",
        )
    if len(date) != 8 or not date.isascii() or not date.isdigit():
        raise SigV4Error(
            AuthFailure.INCOMPLETE,
            f"Invalid credential date '{date}'. Date is not the required format: yyyyMMdd.",
        )
    return access_key_id, date, region, service


def _parse_signed_headers(signed: str) -> tuple[str, ...]:
    names = signed.split(";")
    if len(names) > MAX_SIGNED_HEADERS or not all(names):
        raise SigV4Error(AuthFailure.INCOMPLETE, f"Invalid SignedHeaders '{signed}'.")
    return tuple(name.lower() for name in names)


def _parse_signature(signature: str) -> str:
    lowered = signature.lower()
    if len(lowered) != 64 or not set(lowered) <= _HEX:
        raise SigV4Error(AuthFailure.INCOMPLETE, f"Invalid Signature '{signature}'.")
    return lowered


# -- strict verification ------------------------------------------------------------------------


class SigV4Verifier:
    """Authenticates requests: lenient (parse only) or strict (recompute against known secrets).

    `secrets` maps access key id to secret access key; an empty mapping with `strict=False` is the
    default mode. Time comes from the caller (`now`, Unix seconds from the injected clock).
    """

    def __init__(self, secrets: Mapping[str, str] | None = None, *, strict: bool = False) -> None:
        self._secrets = dict(secrets or {})
        self.strict = strict

    def __repr__(self) -> str:  # never show the secrets
        return f"SigV4Verifier(strict={self.strict}, keys={len(self._secrets)})"

    def authenticate(self, request: SignedRequest, *, now: float) -> SigV4Authorization:
        values = request.header_values("authorization")
        auth = parse_authorization(values[0] if values else None)
        if not self.strict:
            return auth
        secret = self._secrets.get(auth.access_key_id)
        if secret is None:
            raise SigV4Error(AuthFailure.UNKNOWN_KEY, UNKNOWN_KEY_MESSAGE)
        verify_signature(request, auth, secret, now=now)
        return auth


def verify_signature(
    request: SignedRequest, auth: SigV4Authorization, secret: str, *, now: float
) -> None:
    """Raise `SigV4Error` unless `auth.signature` is the one `secret` gives for this request."""
    if "host" not in auth.signed_headers:
        raise SigV4Error(
            AuthFailure.INCOMPLETE,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        )
    amz_date = request_timestamp(request)
    if amz_date[:8] != auth.date:
        raise SigV4Error(
            AuthFailure.MISMATCH,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            f"HTTP: '{auth.date}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    _check_skew(amz_date, now)
    canonical = canonical_request(request, auth)
    expected = signature_for(secret, amz_date, auth, canonical)
    if not hmac.compare_digest(expected, auth.signature):
        raise SigV4Error(AuthFailure.MISMATCH, MISMATCH_MESSAGE)


def request_timestamp(request: SignedRequest) -> str:
    """`X-Amz-Date` (YYYYMMDDTHHMMSSZ), else the `Date` header converted to that form."""
    amz = request.header_values("x-amz-date")
    if amz:
        value = amz[0].strip()
        try:
            datetime.strptime(value, "%Y%m%dT%H%M%SZ")
        except ValueError:
            raise SigV4Error(AuthFailure.INCOMPLETE, f"Invalid X-Amz-Date '{value}'.") from None
        return value
    date = request.header_values("date")
    if date:
        try:
            parsed = parsedate_to_datetime(date[0])
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    raise SigV4Error(
        AuthFailure.INCOMPLETE,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    )


def _check_skew(amz_date: str, now: float) -> None:
    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()

    def stamp(t: float) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y%m%dT%H%M%SZ")

    if signed_at < now - MAX_SKEW_SECONDS:
        raise SigV4Error(
            AuthFailure.EXPIRED,
            f"Signature expired: {amz_date} is now earlier than "
            f"{stamp(now - MAX_SKEW_SECONDS)} ({stamp(now)} - 15 min.)",
        )
    if signed_at > now + MAX_SKEW_SECONDS:
        raise SigV4Error(
            AuthFailure.EXPIRED,
            f"Signature not yet current: {amz_date} is still later than "
            f"{stamp(now + MAX_SKEW_SECONDS)} ({stamp(now)} + 15 min.)",
        )


def canonical_request(request: SignedRequest, auth: SigV4Authorization) -> str:
    """The canonical request string, built from the request as received."""
    headers = canonical_headers(request, auth.signed_headers)
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.raw_path, service=auth.service),
            canonical_query(request.raw_query),
            headers,
            ";".join(auth.signed_headers),
            payload_hash(request, service=auth.service),
        ]
    )


def canonical_uri(raw_path: str, *, service: str) -> str:
    """S3 signs the path as sent; every other service normalises it and encodes it once more."""
    if service == "s3":
        return raw_path or "/"
    return quote(_remove_dot_segments(raw_path), safe="/~")


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 5.2.4, plus AWS's collapsing of empty segments (`//`), as botocore does.
    if not path:
        return "/"
    kept: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if kept:
                kept.pop()
        else:
            kept.append(segment)
    lead = "/" if path.startswith("/") else ""
    trail = "/" if path.endswith("/") and kept else ""
    return lead + "/".join(kept) + trail


def canonical_query(raw_query: str) -> str:
    """Decode every key and value (a `+` stays a plus), re-encode, sort by key then value."""
    if not raw_query:
        return ""
    if len(raw_query) > MAX_QUERY_LENGTH:
        raise SigV4Error(AuthFailure.INCOMPLETE, "The query string is too long.")
    pairs = []
    for item in raw_query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        pairs.append((_aws_encode(key), _aws_encode(value)))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def _aws_encode(text: str) -> str:
    return quote(unquote_to_bytes(text), safe="-_.~")


def canonical_headers(request: SignedRequest, signed: Iterable[str]) -> str:
    """`name:value\\n` for each signed header; a signed header the request lacks signs as empty."""
    lines = []
    for name in signed:
        values = (" ".join(value.split()) for value in request.header_values(name))
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)


def payload_hash(request: SignedRequest, *, service: str) -> str:
    computed = hashlib.sha256(request.body).hexdigest()
    declared = request.header_values("x-amz-content-sha256")
    if not declared:
        return computed
    value = declared[0].strip()
    if value == _UNSIGNED and service == "s3":
        return value
    if value.lower() != computed:
        # The body is not the one that was signed.
        raise SigV4Error(AuthFailure.MISMATCH, MISMATCH_MESSAGE)
    return value


def signature_for(secret: str, amz_date: str, auth: SigV4Authorization, canonical: str) -> str:
    """hex(HMAC(kSigning, StringToSign)), kSigning derived from the secret and the scope."""
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, auth.scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for part in (auth.date, auth.region, auth.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
