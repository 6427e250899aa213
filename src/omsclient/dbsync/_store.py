"""What the sync asks of a database, whichever it is."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs
import orjson

from omsclient._decoding import show
from omsclient.dbsync._errors import DatabaseUrlError, RunningElsewhereError
from omsclient.dbsync._tables import KEY_BYTES, Record, Table
from omsclient.errors import DecodeError
from omsclient.legacy._sent import SentOrder

__all__ = [
    "Counts",
    "Store",
    "check_layout",
    "distinct_records",
    "index_name",
    "other_source",
    "running_elsewhere",
    "sources_of",
    "unstorable",
]


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

    def hold(self, query: str, kind: str) -> None:
        """Keep other runs of ``query`` out until :meth:`close`; a process that dies lets go.

        Raises:
            DatabaseError: another run of ``query`` holds it.
        """

    def load_state(self, query: str) -> object:
        """The saved state of ``query`` as stored, or None before its first run."""

    def sources(self, kind: str) -> set[str]:
        """The servers (:func:`~omsclient.export._exporter.source_of`) the saved states of
        every query of ``kind`` name."""

    def save_state(self, query: str, kind: str, state: dict[str, Any]) -> None:
        """Save the state of ``query`` (its own transaction)."""

    def claim(self, query: str, kind: str, state: dict[str, Any]) -> str | None:
        """Save the first state of ``query`` unless a saved state of ``kind`` names another
        source than ``state``'s (:func:`other_source`): that one then, and nothing saved.
        One transaction, which two claims at once take in turn: of two first runs from two
        servers, the second sees the first's source.
        """

    def queries(self, kind: str) -> list[str]:
        """The queries of ``kind`` whose state is saved."""

    def holds_rows(self, table: Table) -> bool:
        """Whether ``table`` holds any row."""

    def apply(
        self, table: Table, rows: Sequence[Any], query: str, kind: str, state: dict[str, Any]
    ) -> Counts:
        """Upsert ``rows`` (dicts, or orders as sent) and save ``state`` in one transaction."""

    def interrupt(self) -> None:
        """Stop the statement running in another thread, if any: it fails, its transaction
        rolls back (a cancelled run must not wait for another session's lock)."""

    def close(self) -> None:
        """Close the connection."""


def check_layout(
    name: str,
    key: str,
    kinds: Mapping[str, str],
    display: str,
    found: dict[str, str],
    key_unique: bool,
    types: Mapping[str, frozenset[str]] | None = None,
) -> None:
    """Refuse a table ``name`` that exists (another program's, or altered by hand) in a shape
    the batches cannot write as the sync means: ``kinds`` maps the columns it needs to what
    they hold (:attr:`Table.kinds`, :data:`STATE_KINDS`), ``found`` its columns to their types,
    checked against ``types`` (by column name, else by kind) when given.

    Its first batch failed after the first request, or (a ``timestamp`` without a time zone)
    stored every date shifted by the server's TimeZone, run after run.

    Raises:
        DatabaseUrlError: naming each column missing or of another type.
    """
    problems = []
    for column, kind in kinds.items():
        allowed = None if types is None else types.get(column, types.get(kind))
        if column not in found:
            problems.append(f"{name} has no column {column}")
        elif allowed is not None and found[column] not in allowed:
            wanted = " or ".join(sorted(allowed))
            problems.append(f"{column} is {found[column]}, not {wanted}")
    if not key_unique and key in found:
        problems.append(
            f"{key} is not unique (no primary key or unique index on it, not deferrable)"
        )
    if problems:
        raise DatabaseUrlError(
            f"{display} holds a table {name} the sync cannot write: "
            f"{'; '.join(problems)}. Sync into another database (or schema), or make the "
            f"table as docs/sync.md says"
        )


def sources_of(states: Iterable[str]) -> set[str]:
    """The sources the saved ``states`` (JSON texts) name; one that names none, or is no JSON
    (altered by hand: its own query's run says so), names nothing here."""
    found = set()
    for text in states:
        try:
            state = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        source = state.get("source") if isinstance(state, dict) else None
        if isinstance(source, str):
            found.add(source)
    return found


def other_source(sources: set[str], source: str) -> str | None:
    """A source among ``sources`` other than ``source``, the same one every time, or None.

    Every query's of a kind count, not one query's alone: the same table holds the rows of
    each, and a query run first on another shop would overwrite those sharing its ids. A state
    from before sources were recorded names none: the first one reads into it.
    """
    return min(sources - {source}, default=None)


def running_elsewhere(kind: str, display: str, holder: str = "") -> RunningElsewhereError:
    """The refusal of a run whose query another run is syncing into the same database;
    ``holder`` says more of what holds the lock, if anything."""
    return RunningElsewhereError(
        f"another sync of these {kind} is running on {display} (the same filters): "
        f"this one stopped before sending anything; run it once that one has finished{holder}"
    )


def distinct_records(table: Table, rows: Sequence[Any]) -> dict[Any, Record]:
    """``rows`` as records by key, the last one winning; rows without a key are an error."""
    keyed: dict[Any, Record] = {}
    for row in rows:
        record = table.record(row) if isinstance(row, (dict, SentOrder)) else None
        if record is None or record[0] is None:
            sent = None if record is None else _key_sent(table, row)
            problem = (
                f"has no {table.key}"
                if sent is None or sent == ""
                else f"has {table.key} {show(sent)}, which is no {_KEYS[table.key_kind]}"
            )
            raise _refused(table, problem)
        key = record[0]
        # UTF-8 takes at most four bytes a character: a key of a quarter as many is short.
        if isinstance(key, str) and len(key) > KEY_BYTES // 4 and len(key.encode()) > KEY_BYTES:
            raise _refused(table, _too_long(table.key, key))
        keyed[key] = record
    return keyed


def _too_long(name: str, key: str) -> str:
    """What is wrong with a key past :data:`KEY_BYTES`, quoting only its start: the whole id
    would be a message of kilobytes."""
    start = key[:24]
    quoted = f"'{start}...'" if start.isprintable() else f"a text of {len(key):,} characters"
    return (
        f"has {name} {quoted} of {len(key.encode()):,} bytes (UTF-8), longer than the "
        f"{KEY_BYTES:,} bytes a key may be (PostgreSQL's index on {name} holds about 2,700): "
        "it cannot be stored"
    )


_SYNC = "sync."


def unstorable(exc: Exception) -> bool:
    """Whether ``exc`` is the refusal of a row no database can hold (its key): the next run
    meets the same row, until the server sends it otherwise."""
    return isinstance(exc, DecodeError) and exc.operation.startswith(_SYNC) and not exc.transient


def _refused(table: Table, problem: str) -> DecodeError:
    return DecodeError(
        f"a row of {table.name} {problem}",
        operation=f"{_SYNC}{table.name}",
        method="POST",
        path="",
        status_code=200,
        content_type="application/json",
        snippet="",
        transient=False,
    )


# What a key column holds: a row's key that reads as none of it cannot be stored, and saying
# "has no product_id" of a row that has one would send the reader looking for the wrong thing.
_KEYS = {"integer": "integer within 64 bits", "text": "text"}


def _key_sent(table: Table, row: Any) -> Any:
    return row.order_id if isinstance(row, SentOrder) else row.get(table.key)


def index_name(table: str, column: str, taken: Callable[[str], bool]) -> str:
    """The name of the index the sync makes on ``table``'s ``column``: ``table_column``, or
    the first of ``table_column_2``, ``_3``... not ``taken``. A table renamed keeps its
    indexes' names, which the table made anew in its place then needs for its own."""
    name = f"{table}_{column}"
    candidates = itertools.chain([name], (f"{name}_{n}" for n in itertools.count(2)))
    return next(candidate for candidate in candidates if not taken(candidate))
