"""The lock file a SQLite sync holds beside its database, and how much longer its name is."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["LOCK_NAME_ADDS", "lock_file_of"]

_QUERY_TAG = 12
_SUFFIX = "-sync-{}.lock"

LOCK_NAME_ADDS = len(_SUFFIX.format("x" * _QUERY_TAG))
"""How many bytes the lock file's name adds to the database file's."""


def lock_file_of(database: str, query: str) -> Path:
    """The lock file of the sync of ``query`` into SQLite file ``database``: beside the file
    itself, so that a sync through a symlink to the database takes the same lock."""
    return Path(os.path.realpath(database) + _SUFFIX.format(query[:_QUERY_TAG]))
