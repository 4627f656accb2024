"""The one frozen `Settings` the service runs with: flag > environment (`MAILYARD_*`) > default."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 1025
DEFAULT_HTTP_PORT = 8025


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    smtp_port: int = DEFAULT_SMTP_PORT
    http_port: int = DEFAULT_HTTP_PORT
    db: str = "mailyard.db"
    db_sync: str = "NORMAL"
    max_messages: int = 0
    max_age: float = 0
    smtp_max_size: int = 50 * 1024 * 1024
    smtp_max_recipients: int = 1000
    smtp_max_connections: int = 500
    smtp_tls_cert: str | None = None
    smtp_tls_key: str | None = None
    smtp_tls_implicit: bool = False
    smtp_require_tls: bool = False
    smtp_auth_file: str | None = None
    smtp_auth_required: bool = False
    log_level: str = "info"
    allowed_hosts: tuple[str, ...] = ()
    ui_auth_file: str | None = None


_DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw]?)$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """`90`, `30m`, `12h`, `7d`, `2w` as seconds; raises ValueError with the accepted forms."""
    match = _DURATION_RE.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration; use e.g. 3600, 30m, 12h, 7d or 2w")
    return float(match.group(1)) * _SECONDS[match.group(2)]


_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)b?$")


def parse_size(text: str) -> int:
    """`1048576`, `512k`, `50M`, `1G` as bytes."""
    match = _SIZE_RE.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a size; use e.g. 52428800, 512k, 50M or 1G")
    return int(
        float(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]
    )
