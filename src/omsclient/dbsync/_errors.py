"""Errors of the database side of a sync."""

from __future__ import annotations

from omsclient.errors import ConfigurationError, OmsError

__all__ = ["DatabaseError", "DatabaseUrlError", "OtherServerError", "RunningElsewhereError"]


class DatabaseError(OmsError):
    """The database failed during a sync (a write, a lost connection).

    Every batch commits together with the sync state, so whatever was committed is consistent:
    run the same sync again and it continues where the failure stopped it.
    """


class DatabaseUrlError(DatabaseError, ConfigurationError):
    """The database URL is malformed, names something that does not exist, the database
    cannot be opened, or it holds rows synced from another server. Raised before any request
    is sent and before anything is written."""


class OtherServerError(DatabaseUrlError):
    """The database holds rows synced from another server, or as another user. Nothing is
    written; an orders sync that met another server's first state only as it saved its own
    (two first runs at once) has sent the searches that find its watermark."""


class RunningElsewhereError(DatabaseError):
    """Another run of the same sync holds its lock on the database: this one stopped before
    sending anything or writing, so it has nothing to continue; its message says to wait."""
