"""The exceptions `sandbox` raises, in one tree.

    SandboxError
    ├── NotFoundError        a message, part or tag that does not exist
    ├── InvalidInputError    a caller's value is wrong; `.field` names it
    │   └── QueryError       a search query that cannot be parsed
    └── StoreError           the database could not do what was asked
        └── StorageFullError the disk or the database's page limit is full

Edges translate these: the HTTP layer to 4xx/5xx JSON, the SMTP handler to reply codes.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base class of every error `sandbox` raises on purpose."""


class NotFoundError(SandboxError):
    """The thing asked for does not exist."""


class InvalidInputError(SandboxError):
    """A caller gave a value that cannot be used; `field` names the parameter."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class QueryError(InvalidInputError):
    """A search query could not be understood."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="query")


class StoreError(SandboxError):
    """The database failed; transient from the caller's point of view."""


class StorageFullError(StoreError):
    """The database cannot grow (disk full or page limit reached)."""
