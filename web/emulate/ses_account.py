"""An SES account's state as the emulator keeps it per mailbox: the account's settings and the
verified identities, shared by SES v1 and v2.

Identities are verified as soon as they are created: there is no DNS to check and no inbox to
click a link in, so `CreateEmailIdentity`/`VerifyEmailIdentity` stand for "the owner proved it".
What verification changes is the `--ses-sandbox` rule: only created identities may send, and
only to created identities or the mailbox simulator. A domain identity gets three Easy DKIM
tokens (32 lowercase letters and digits, providers.md A7) and verifies every address at it.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any

from mailyard.sandbox import Emulation
from mailyard.web.emulate.addresses import parse_address

IDENTITY, TEMPLATE, CONFIGURATION_SET, ACCOUNT = (
    "identity",
    "template",
    "configuration_set",
    "account",
)
DKIM_ALPHABET = string.ascii_lowercase + string.digits
DEFAULT_REASONS = ["BOUNCE", "COMPLAINT"]  # accounts made after 2019-11-25 (A6)


@dataclass(frozen=True)
class Account:
    """The account-level settings (`PutAccount*`) and the enforcement status."""

    sending_enabled: bool = True
    suppressed_reasons: tuple[str, ...] = tuple(DEFAULT_REASONS)
    enforcement_status: str = "HEALTHY"

    @classmethod
    def of(cls, body: dict[str, Any] | None) -> Account:
        if body is None:
            return cls()
        return cls(
            bool(body.get("SendingEnabled", True)),
            tuple(body.get("SuppressedReasons", DEFAULT_REASONS)),
            str(body.get("EnforcementStatus", "HEALTHY")),
        )

    def json(self) -> dict[str, Any]:
        return {
            "SendingEnabled": self.sending_enabled,
            "SuppressedReasons": list(self.suppressed_reasons),
            "EnforcementStatus": self.enforcement_status,
        }


def account(repo: Emulation, mailbox: str) -> Account:
    return Account.of(repo.get(mailbox, ACCOUNT, ""))


def split_address(value: str) -> tuple[str, str]:
    """(display name, address) of `Name <addr>` or `addr`; a bare address skips the parser
    (every send passes here several times)."""
    bare = value.strip()
    if "<" not in bare and '"' not in bare and " " not in bare and "(" not in bare:
        return "", bare
    return parse_address(value)


def address_of(value: str) -> str:
    """The address in `Name <addr>` or `addr`."""
    return split_address(value)[1] or value.strip()


def identity_key(name: str) -> str:
    return name.strip().lower()


def is_domain(name: str) -> bool:
    return "@" not in name


def verified_identity(repo: Emulation, mailbox: str, address: str) -> str | None:
    """The identity that verifies `address`: itself, or its domain; None if neither exists."""
    key = identity_key(address)
    if repo.get(mailbox, IDENTITY, key) is not None:
        return key
    domain = key.rpartition("@")[2]
    if domain and repo.get(mailbox, IDENTITY, domain) is not None:
        return domain
    return None


def new_identity(name: str, rng: random.Random, now: float) -> dict[str, Any]:
    """A freshly created (and, here, at once verified) identity."""
    domain = is_domain(name)
    tokens = ["".join(rng.choice(DKIM_ALPHABET) for _ in range(32)) for _ in range(3)]
    return {
        "IdentityName": name,
        "IdentityType": "DOMAIN" if domain else "EMAIL_ADDRESS",
        "DkimTokens": tokens if domain else [],
        "DkimGenerated": now,
        "VerificationToken": "".join(
            rng.choice(string.ascii_letters + string.digits) for _ in range(44)
        ),
        "Tags": [],
        "Policies": {},
    }


def dkim_attributes(identity: dict[str, Any]) -> dict[str, Any]:
    """v2's `DkimAttributes`: Easy DKIM, signing, for a domain; not started for an address."""
    if identity["IdentityType"] != "DOMAIN":
        return {"SigningEnabled": False, "Status": "NOT_STARTED", "Tokens": []}
    return {
        "SigningEnabled": True,
        "Status": "SUCCESS",
        "Tokens": list(identity["DkimTokens"]),
        "SigningAttributesOrigin": "AWS_SES",
        "NextSigningKeyLength": "RSA_2048_BIT",
        "CurrentSigningKeyLength": "RSA_2048_BIT",
        "LastKeyGenerationTimestamp": identity["DkimGenerated"],
    }
