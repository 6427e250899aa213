"""Database URLs: ``sqlite:///path.db`` and ``postgresql://user@host:port/dbname``."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import attrs

from omsclient.dbsync._errors import DatabaseUrlError

__all__ = ["DatabaseUrl", "parse_database_url"]

_POSTGRES_SCHEMES = ("postgresql", "postgres")


@attrs.frozen
class DatabaseUrl:
    """A parsed database URL.

    Attributes:
        kind: ``"sqlite"`` or ``"postgresql"``.
        target: the SQLite file, or the URL to hand to psycopg.
        display: the URL without its password, for messages and summaries.
    """

    kind: str
    target: str = attrs.field(repr=False)
    display: str


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _sqlite(url: str) -> DatabaseUrl:
    rest = url[len("sqlite:") :]
    if not rest.startswith("///"):
        raise DatabaseUrlError(
            f"database URL {url!r}: a SQLite URL is sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db (three slashes, then the path)"
        )
    text = rest[3:].split("?", 1)[0]
    if not text or text == ":memory:":
        raise DatabaseUrlError(
            f"database URL {url!r}: name the SQLite file, e.g. sqlite:///orders.db "
            "(an in-memory database would be lost at the end of the sync)"
        )
    path = Path(text)
    if path.is_dir():
        raise DatabaseUrlError(f"database URL {url!r}: {path} is a folder, not a database file")
    if not path.parent.is_dir():
        raise DatabaseUrlError(f"database URL {url!r}: the folder {path.parent} does not exist")
    return DatabaseUrl("sqlite", str(path), url)


def _postgres(url: str) -> DatabaseUrl:
    display = _without_password(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates it
    except ValueError as exc:
        raise DatabaseUrlError(f"database URL {display!r}: {exc}") from None
    if importlib.util.find_spec("psycopg") is None:
        raise DatabaseUrlError("PostgreSQL needs psycopg: pip install 'omsclient[postgres]'")
    return DatabaseUrl("postgresql", url, display)


def parse_database_url(url: str) -> DatabaseUrl:
    """Check ``url`` and say which database it names; nothing is opened or created.

    Raises:
        DatabaseUrlError: an unknown scheme, a SQLite path whose folder does not exist, or
            PostgreSQL without psycopg installed. The message never holds the password.
    """
    if not isinstance(url, str) or not url.strip():
        raise DatabaseUrlError(f"database URL must be a non-empty string, got {url!r}")
    scheme, sep, _ = url.partition(":")
    scheme = scheme.lower()
    if not sep:
        raise DatabaseUrlError(
            f"database URL {url!r} has no scheme: use sqlite:///orders.db or "
            "postgresql://user@host/dbname"
        )
    if scheme == "sqlite":
        return _sqlite(url)
    if scheme.split("+", 1)[0] in _POSTGRES_SCHEMES:
        if "+" in scheme:
            raise DatabaseUrlError(
                f"database URL {_without_password(url)!r}: write postgresql://..., "
                "without a driver name"
            )
        return _postgres(url)
    raise DatabaseUrlError(
        f"database URL {_without_password(url)!r}: unknown database {scheme!r}; "
        "use sqlite:///path.db or postgresql://user@host/dbname"
    )
