"""What the sync asks of a database, whichever it is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import attrs

from omsclient.dbsync._tables import Table

__all__ = ["Counts", "Store", "distinct_rows"]

Row = dict[str, Any]


@attrs.frozen
class Counts:
    """What one batch did: rows inserted, rows whose data changed, rows already up to date."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


class Store(Protocol):
    """A database holding synced tables and the sync state, one transaction per batch."""

    def load_state(self, query: str) -> dict[str, Any] | None:
        """The saved state of ``query``, or None before its first run."""

    def save_state(self, query: str, kind: str, state: dict[str, Any]) -> None:
        """Save the state of ``query`` (its own transaction)."""

    def apply(
        self, table: Table, rows: Sequence[Row], query: str, kind: str, state: dict[str, Any]
    ) -> Counts:
        """Upsert ``rows`` and save ``state`` in one transaction."""

    def close(self) -> None:
        """Close the connection."""


def distinct_rows(table: Table, rows: Sequence[Row]) -> dict[Any, Row]:
    """``rows`` by key, the last one winning; rows without a key are an error."""
    from omsclient.errors import DecodeError

    keyed: dict[Any, Row] = {}
    for row in rows:
        key = table.key_of(row) if isinstance(row, dict) else None
        if key is None:
            raise DecodeError(
                f"a row of {table.name} has no {table.key}",
                operation=f"sync.{table.name}",
                method="POST",
                path="",
                status_code=200,
                content_type="application/json",
                snippet="",
            )
        keyed[key] = row
    return keyed
