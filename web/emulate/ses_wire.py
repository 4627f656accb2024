"""SES requests as they arrive: who sent them (SigV4), and SES v2's JSON members read with the
checks SES makes, each failure a `BadRequestException` naming the member.

The access key id of the signature names the mailbox (identities, templates, configuration sets
and the suppression list are kept per mailbox), the credential scope the region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from mailyard.web.emulate.ses_errors import SESError, bad_request, from_sigv4
from mailyard.web.emulate.sigv4 import SignedRequest, SigV4Error, parse_authorization
from mailyard.web.emulate.state import Emulators
from mailyard.web.emulate.wire import client_addr

MAX_MAILBOX = 128


@dataclass(frozen=True)
class Caller:
    """Who made an SES request: the access key id (the mailbox), the region, the peer."""

    access_key_id: str
    region: str
    client_addr: str

    @property
    def mailbox(self) -> str:
        return self.access_key_id


def signed_request(request: Request, body: bytes) -> SignedRequest:
    """The request exactly as it arrived: the raw (still percent-encoded) path and query."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    return SignedRequest(
        request.method,
        raw_path.decode("utf-8", "replace"),
        request.scope.get("query_string", b"").decode("latin-1"),
        tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]),
        body,
    )


def authenticate(request: Request, body: bytes, emulators: Emulators, now: float) -> Caller:
    """The caller, or an `SESError` worded as SES words a missing or bad signature."""
    try:
        if emulators.verifier.strict:
            auth = emulators.verifier.authenticate(signed_request(request, body), now=now)
        else:  # lenient: the header must parse; nothing else is read
            auth = parse_authorization(request.headers.get("authorization"))
    except SigV4Error as exc:
        raise from_sigv4(exc) from None
    if len(auth.access_key_id) > MAX_MAILBOX or not auth.access_key_id.isprintable():
        raise SESError(
            "IncompleteSignatureException",
            400,
            f"The access key id may have at most {MAX_MAILBOX} printable characters.",
            v1_code="IncompleteSignature",
        )
    return Caller(auth.access_key_id, auth.region, client_addr(request))


# -- v2 JSON members --------------------------------------------------------------------------


def text(body: dict[str, Any], name: str, where: str = "", *, required: bool = False) -> str | None:
    value = body.get(name)
    label = f"{where}{name}"
    if value is None:
        if required:
            raise bad_request(f"{label} is required.")
        return None
    if not isinstance(value, str):
        raise bad_request(f"{label} must be a string.")
    return value


def required_text(body: dict[str, Any], name: str, where: str = "") -> str:
    value = text(body, name, where, required=True)
    assert value is not None
    return value


def obj(
    body: dict[str, Any], name: str, where: str = "", *, required: bool = False
) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"{where}{name} is required.")
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{where}{name} must be an object.")
    return value


def items(body: dict[str, Any], name: str, where: str = "") -> list[Any]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"{where}{name} must be a list.")
    return value


def texts(body: dict[str, Any], name: str, where: str = "") -> tuple[str, ...]:
    value = items(body, name, where)
    if not all(isinstance(v, str) for v in value):
        raise bad_request(f"{where}{name} must be a list of strings.")
    return tuple(value)


def flag(body: dict[str, Any], name: str, where: str = "") -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise bad_request(f"{where}{name} must be true or false.")
    return value


def pairs(
    body: dict[str, Any], name: str, keys: tuple[str, str], where: str = ""
) -> list[tuple[str, str]]:
    """A list of two-member objects (`Tags` `Key`/`Value`, `EmailTags` `Name`/`Value`)."""
    found = []
    for index, item in enumerate(items(body, name, where)):
        label = f"{where}{name}[{index}]."
        if not isinstance(item, dict):
            raise bad_request(f"{where}{name}[{index}] must be an object.")
        found.append((required_text(item, keys[0], label), required_text(item, keys[1], label)))
    return found


def page_size(value: Any, default: int = 100, maximum: int = 1000) -> int:
    """`PageSize` from a query string or a JSON body."""
    if value is None or value == "":
        return default
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise bad_request("PageSize must be a whole number.") from None
    if not 1 <= size <= maximum:
        raise bad_request(f"PageSize must be between 1 and {maximum}.")
    return size
