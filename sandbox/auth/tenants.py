"""Tenants: Theme Studio's themes and the clients (apps) bound to them, and the theme an email
of a client uses.

Resolution is the spec's: the client's bound theme, else the service-default theme, else the
built-in defaults, field by field (`renderer.resolve_theme`). It is read from the store at
every send, so a change made through the admin API takes effect on the next send.

Input is the spec's JSON (camelCase: `primaryColor`, `logoUrl`, ...), validated by the
renderer's own theme rules; errors name the field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

# The renderer's names are read when a theme is checked or resolved (`renderer.X`): it loads
# on first use, so `mailyard serve` does not import templates and catalogues to start (issue 10).
from mailyard import renderer
from mailyard.sandbox.auth.tokens import when
from mailyard.sandbox.clock import Clock
from mailyard.sandbox.errors import InvalidInputError, NotFoundError
from mailyard.sandbox.store.tenants import ClientRecord, TenantStore, ThemeRecord

if TYPE_CHECKING:
    from mailyard.renderer import Theme

MAX_NAME = 100
MAX_URL = 2048
_URL = re.compile(r"^https?://[^\s\"'<>\\]+$")
# Theme field -> the spec's JSON name.
SPEC_NAMES = {
    "name": "name",
    "primary_color": "primaryColor",
    "logo_url": "logoUrl",
    "footer_text": "footerText",
    "font_family_preset": "fontFamilyPreset",
    "locale": "locale",
}
_THEME_KEYS = frozenset(SPEC_NAMES.values())


def new_uuid() -> str:
    return str(uuid.uuid4())


def theme_json(record: ThemeRecord) -> dict[str, object]:
    return {
        "id": record.id,
        **{spec: record.fields.get(name) for name, spec in SPEC_NAMES.items()},
        "isDefault": record.is_default,
        "createdAt": when(record.created),
        "updatedAt": when(record.updated),
    }


def client_json(record: ClientRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "name": record.name,
        "themeId": record.theme_id,
        "selfSignup": record.self_signup,
        "signInUrl": record.sign_in_url,
        "createdAt": when(record.created),
        "updatedAt": when(record.updated),
    }


def _theme_fields(data: Mapping[str, Any]) -> dict[str, str]:
    """The set fields of a theme given in the spec's JSON; InvalidInputError naming the field."""
    given = {k: v for k, v in data.items() if k in _THEME_KEYS}
    try:
        theme = renderer.theme_from_dict(given)
    except renderer.ThemeError as exc:
        raise InvalidInputError(str(exc), exc.field) from None
    return {
        f.name: getattr(theme, f.name) for f in fields(renderer.Theme) if getattr(theme, f.name)
    }


def _flag(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidInputError(f"{key} must be true or false", key)
    return value


def _unknown_keys(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise InvalidInputError(
            f"unknown field {extra[0]!r}; allowed: {', '.join(sorted(allowed))}", extra[0]
        )


class Tenants:
    """Themes and clients, validated; the theme a client's emails use."""

    THEME_KEYS = _THEME_KEYS | {"isDefault", "id"}
    CLIENT_KEYS = frozenset({"id", "name", "themeId", "selfSignup", "signInUrl"})

    def __init__(
        self, store: TenantStore, clock: Clock, new_id: Callable[[], str] = new_uuid
    ) -> None:
        self.store = store
        self._clock = clock
        self._new_id = new_id

    # -- themes -----------------------------------------------------------------------------

    def theme(self, theme_id: str) -> ThemeRecord:
        found = self.store.theme(theme_id)
        if found is None:
            raise NotFoundError(f"no theme has the id {theme_id[:80]!r}")
        return found

    async def create_theme(self, data: Mapping[str, Any]) -> ThemeRecord:
        _unknown_keys(data, self.THEME_KEYS)
        values = _theme_fields(data)
        if "name" not in values:
            raise InvalidInputError("name is required: it is the sender's display name", "name")
        theme_id = _identifier(data.get("id")) or self._new_id()
        if self.store.theme(theme_id) is not None:
            raise InvalidInputError(f"a theme with the id {theme_id!r} exists", "id")
        now = self._clock.now()
        record = ThemeRecord(theme_id, values, _flag(data, "isDefault", False), now, now)
        return await self.store.save_theme(record)

    async def update_theme(self, theme_id: str, data: Mapping[str, Any]) -> ThemeRecord:
        """Change the fields given (null clears one); the rest stay."""
        _unknown_keys(data, self.THEME_KEYS - {"id"})
        current = self.theme(theme_id)
        merged: dict[str, Any] = {SPEC_NAMES[k]: v for k, v in current.fields.items()}
        merged.update({k: v for k, v in data.items() if k in _THEME_KEYS})
        values = _theme_fields({k: v for k, v in merged.items() if v is not None})
        if "name" not in values:
            raise InvalidInputError(
                "name cannot be cleared: it is the sender's display name", "name"
            )
        record = replace(
            current,
            fields=values,
            is_default=_flag(data, "isDefault", current.is_default),
            updated=self._clock.now(),
        )
        return await self.store.save_theme(record)

    async def delete_theme(self, theme_id: str) -> None:
        if not await self.store.delete_theme(theme_id, self._clock.now()):
            raise NotFoundError(f"no theme has the id {theme_id[:80]!r}")

    # -- clients ----------------------------------------------------------------------------

    def client(self, client_id: str) -> ClientRecord:
        found = self.store.client(client_id)
        if found is None:
            raise NotFoundError(f"no client has the id {client_id[:80]!r}")
        return found

    def _checked_client(self, data: Mapping[str, Any], current: ClientRecord) -> ClientRecord:
        name = data.get("name", current.name)
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise InvalidInputError(f"name must be 1-{MAX_NAME} characters", "name")
        theme_id = data.get("themeId", current.theme_id)
        if theme_id is not None and (
            not isinstance(theme_id, str) or self.store.theme(theme_id) is None
        ):
            raise InvalidInputError(f"no theme has the id {str(theme_id)[:80]!r}", "themeId")
        url = data.get("signInUrl", current.sign_in_url)
        if url is not None and (
            not isinstance(url, str) or len(url) > MAX_URL or not _URL.match(url)
        ):
            raise InvalidInputError("signInUrl must be an http(s) URL", "signInUrl")
        return replace(
            current,
            name=name.strip(),
            theme_id=theme_id,
            self_signup=_flag(data, "selfSignup", current.self_signup),
            sign_in_url=url,
            updated=self._clock.now(),
        )

    async def create_client(self, data: Mapping[str, Any]) -> ClientRecord:
        _unknown_keys(data, self.CLIENT_KEYS)
        client_id = _identifier(data.get("id")) or self._new_id()
        if self.store.client(client_id) is not None:
            raise InvalidInputError(f"a client with the id {client_id!r} exists", "id")
        if "name" not in data:
            raise InvalidInputError("name is required", "name")
        now = self._clock.now()
        blank = ClientRecord(client_id, "", None, True, None, now, now)
        return await self.store.save_client(self._checked_client(data, blank))

    async def update_client(self, client_id: str, data: Mapping[str, Any]) -> ClientRecord:
        _unknown_keys(data, self.CLIENT_KEYS - {"id"})
        return await self.store.save_client(self._checked_client(data, self.client(client_id)))

    async def delete_client(self, client_id: str) -> None:
        if not await self.store.delete_client(client_id):
            raise NotFoundError(f"no client has the id {client_id[:80]!r}")

    # -- resolution -------------------------------------------------------------------------

    def theme_for(self, client_id: str | None = None, theme_id: str | None = None) -> Theme:
        """The theme an email uses: `theme_id`'s or the client's bound theme, then the service
        default, then the built-in defaults, field by field. Read now: the next send sees a
        change."""
        bound: ThemeRecord | None = None
        if theme_id is not None:
            bound = self.theme(theme_id)
        elif client_id is not None:
            client = self.store.client(client_id)
            if client is not None and client.theme_id is not None:
                bound = self.store.theme(client.theme_id)
        default = self.store.default_theme()
        return renderer.resolve_theme(
            renderer.Theme(**bound.fields) if bound else None,
            renderer.Theme(**default.fields) if default else None,
        )

    def client_name(self, client_id: str | None) -> str | None:
        client = self.store.client(client_id) if client_id else None
        return client.name if client else None


def _identifier(value: object) -> str | None:
    """A caller-chosen id: 1-64 letters, digits, '-' or '_' (the spec's ids are UUIDs)."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise InvalidInputError("id must be 1-64 letters, digits, - or _", "id")
    return value
