"""Client settings: where the APIs are and who we are, read from arguments or the environment."""

from __future__ import annotations

import os
from typing import Literal

import attrs

from omsclient.errors import ConfigurationError

__all__ = ["OrderFieldNumbering", "Settings"]

OrderFieldNumbering = Literal["api", "blueprint"]


def _url(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ConfigurationError(f"{name} must be an http:// or https:// URL, got {value!r}")
    if "?" in value or "@" in value.split("//", 1)[1].split("/", 1)[0]:
        # Credentials belong in the form body or the token, never in a URL we build on.
        raise ConfigurationError(f"{name} must not carry a query string or user info")
    return value


@attrs.frozen
class Settings:
    """Where the two APIs are and the credentials for each. Secrets never appear in the repr."""

    legacy_url: str | None = None
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    rest_url: str | None = None
    api_token: str | None = attrs.field(default=None, repr=False)
    store_id: str | None = None
    order_field_numbering: OrderFieldNumbering = "api"

    @classmethod
    def resolve(
        cls,
        *,
        legacy_url: str | None,
        username: str | None,
        password: str | None,
        rest_url: str | None,
        api_token: str | None,
        store_id: str | int | None,
        order_field_numbering: OrderFieldNumbering,
    ) -> Settings:
        """Take each setting from its argument, else from its ``OMS_*`` environment variable."""
        env = os.environ
        if order_field_numbering not in ("api", "blueprint"):
            raise ConfigurationError(
                f"order_field_numbering must be 'api' or 'blueprint', got {order_field_numbering!r}"
            )
        store = store_id if store_id is not None else env.get("OMS_STORE_ID")
        return cls(
            legacy_url=_url(legacy_url or env.get("OMS_LEGACY_URL"), "legacy_url"),
            username=username or env.get("OMS_USERNAME"),
            password=password or env.get("OMS_PASSWORD"),
            rest_url=_url(rest_url or env.get("OMS_REST_URL"), "rest_url"),
            api_token=api_token or env.get("OMS_API_TOKEN"),
            store_id=str(store) if store not in (None, "") else None,
            order_field_numbering=order_field_numbering,
        )
