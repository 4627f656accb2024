"""SMTP AUTH credentials from a file: one `user:password` per line, `#` starts a comment."""

from __future__ import annotations

import ssl
from pathlib import Path

from mailyard.sandbox.errors import InvalidInputError


def load_credentials(path: str) -> dict[str, str]:
    """Read the file; a malformed line is an error naming its number (never its text)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}", "smtp-auth-file") from exc
    credentials = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user:
            # The line may hold a password: say where, not what.
            raise InvalidInputError(
                f"{path}, line {number}: expected user:password", "smtp-auth-file"
            )
        credentials[user] = password
    if not credentials:
        raise InvalidInputError(f"{path} holds no credentials", "smtp-auth-file")
    return credentials


def server_tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server-side TLS context from PEM files."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise InvalidInputError(
            f"cannot load the TLS certificate {cert} with key {key}: {exc}", "smtp-tls-cert"
        ) from exc
    return context
