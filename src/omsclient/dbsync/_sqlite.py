"""SQLite, the embedded default: the standard library's ``sqlite3``, one file, nothing to run."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import orjson

from omsclient._file_lock import file_lock
from omsclient._json_read import not_json
from omsclient._new_files import still_at
from omsclient._storable import storable_value, utf8_value
from omsclient.dbsync._errors import DatabaseError, DatabaseUrlError
from omsclient.dbsync._lock_file import lock_file_of
from omsclient.dbsync._store import (
    Counts,
    check_layout,
    distinct_records,
    index_name,
    other_source,
    running_elsewhere,
    sources_of,
)
from omsclient.dbsync._tables import STATE_KINDS, STATE_TABLE, Record, Table

__all__ = ["SqliteStore"]


_TYPES = {"integer": "INTEGER", "number": "REAL", "text": "TEXT", "date": "TEXT"}

# What a key column made by hand may be: another affinity turns the keys the sync looks up
# ("927602" into 927602, 5 into "5"), and every row is taken for new on every run.
_KEY_AFFINITIES = {
    "text": frozenset({"TEXT", "BLOB"}),
    "integer": frozenset({"INTEGER", "NUMERIC"}),
}

# What a key compared by one of SQLite's collations takes for one key; another (an
# application's own) is named as comparing keys equal.
_MERGED = {"NOCASE": "differing in case", "RTRIM": "differing in spaces at the end"}


def _affinity(declared: str) -> str:
    """The affinity SQLite gives a column of the ``declared`` type (its rules, in order)."""
    declared = declared.upper()
    if "INT" in declared:
        return "INTEGER"
    if any(name in declared for name in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in declared or not declared:
        return "BLOB"
    if any(name in declared for name in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


# How long a statement waits for another connection's lock before "database is locked".
_BUSY_SECONDS = 10.0


def _write_ahead_log(db: sqlite3.Connection) -> None:
    """Switch ``db`` to the write-ahead log, waiting out another connection's switch.

    Two connections switching a new file at once deadlock on its lock, and SQLite answers one
    of them "database is locked" at once, without waiting: once the other is done, the file is
    in the mode asked for and the switch is a no-op.
    """
    deadline = time.monotonic() + _BUSY_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.005)


def _number(text: str) -> int | Decimal:
    """A JSON number with a point or an exponent as jsonb's numeric compares it: exactly, and
    ``2.50``, ``2.5`` and ``25e-1`` alike (``100.0`` as ``100``)."""
    number = Decimal(text)
    if number.adjusted() <= _INTEGRAL_DIGITS and number == number.to_integral_value():
        return int(number)
    return number.normalize()


_INTEGRAL_DIGITS = 1000  # past that, compared as a Decimal: no int of a million digits
_JSON = msgspec.json.Decoder(float_hook=_number)
_CANONICAL = msgspec.json.Encoder(order="sorted", decimal_format="number")


def _canonical(text: str | bytes) -> bytes | None:
    """``text``'s JSON written one way (keys sorted, compact), numbers compared as jsonb does:
    None when it is no JSON."""
    try:
        return _CANONICAL.encode(_JSON.decode(text))
    except (msgspec.MsgspecError, RecursionError):
        pass
    # msgspec reads no lone surrogate (``\ud800`` without its other half), which servers
    # send: the standard library does, and each is written as the escape it came in, as the
    # PostgreSQL store compares it. Without this, such an order was rewritten and counted as
    # updated on every run.
    try:
        value = json.loads(
            text if isinstance(text, str) else text.decode(),
            parse_float=_number,
            parse_constant=not_json,
        )
        return _CANONICAL.encode(utf8_value(value))
    except (ValueError, RecursionError, msgspec.MsgspecError):
        return None


def _same_json(before: object, after: bytes) -> bool:
    """Whether two JSON texts differ only in formatting (key order, spaces, escapes).

    As PostgreSQL's jsonb comparison is: a flag from 1 to true is a change (Python's ``==``
    holds ``1 == True``), and so is a number changing past a double's precision
    (``2.5000000000000001`` to ``2.5``) or an integer beyond 64 bits in its last digits;
    ``1`` and ``1.0``, or ``2.5`` and ``2.50``, are the same number. A text that is no JSON
    counts as changed, and so does a value that is no text (another program's number).
    """
    if not isinstance(before, (str, bytes)):
        return False
    # Texts whose values differ read plainly differ read exactly too (numbers equal exactly
    # are one double; 1 and true, equal here, go on to the exact reading): a changed order,
    # the common case here, is told for a third of what reading both exactly costs.
    with contextlib.suppress(msgspec.MsgspecError, RecursionError):
        if msgspec.json.decode(before) != msgspec.json.decode(after):
            return False
    canonical = _canonical(before)
    return canonical is not None and canonical == _canonical(after)


def _encoded(stored: object) -> object:
    """A stored ``data`` as the bytes a record holds: its text encoded (SQLite holds any value
    in any column: another program's blob or number is left as it is)."""
    return stored.encode() if type(stored) is str else stored


def _parameters(db: sqlite3.Connection) -> int:
    """How many parameters a statement of ``db`` may take: 999, SQLite's least (its default
    before 3.32), where Python cannot ask (``getlimit`` is 3.11's)."""
    if sys.version_info >= (3, 11):
        return db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return 999


# SQLite's primary result codes of a database that is there but not usable right now.
_BUSY, _LOCKED, _IOERR, _FULL = 5, 6, 10, 13
_PASSING_TEXT = ("database is locked", "database table is locked", "disk is full", "disk I/O")


def _passing(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says the database is held or its disk full, which a later run may not
    meet (the error code from Python 3.11, the text before)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_BUSY, _LOCKED, _IOERR, _FULL)
    return any(text in str(exc) for text in _PASSING_TEXT)


T = TypeVar("T")

# The most rows an INSERT writes. SQLite compiles a statement of many rows at about twice the
# instructions it then spends writing each (95 k a row), once for each size a connection
# writes: a first sync of 4,000 orders in statements of up to 1,024 rows compiled nearly every
# row it wrote, and ran 196.7 k instructions an order in SQLite and around it, against 173.6 k
# with 64 (173.3 with 32, 175.3 with 16; 175.3 for a page a transaction in one statement of 100).
_STATEMENT_ROWS = 64


def _chunks(items: list[T], most: int) -> Iterator[list[T]]:
    """``items`` in chunks whose sizes are powers of two, none past ``most`` (one at least),
    the largest first: statements of a few sizes, each of which sqlite3 compiles once and keeps
    (its cache holds 128), where a statement for each batch's count would be compiled for each.
    """
    size = 1 << (max(1, most).bit_length() - 1)
    start = 0
    while start < len(items):
        while size > len(items) - start:
            size //= 2
        yield items[start : start + size]
        start += size


@functools.cache
def _select_statement(table: Table, keys: int) -> str:
    """The statement reading the stored JSON and indexed columns of ``keys`` rows of
    ``table`` by key."""
    marks = ", ".join("?" * keys)
    indexed = "".join(f", {c.name}" for c in table.indexed)
    return f"SELECT {table.key}, data{indexed} FROM {table.name} WHERE {table.key} IN ({marks})"


@functools.cache
def _indexed_places(table: Table) -> tuple[tuple[str, int], ...]:
    """Each indexed column's name and its place among a record's values."""
    return tuple((c.name, table.columns.index(c)) for c in table.indexed)


def _unchanged(table: Table, values: list[Any], stored: Sequence[object]) -> tuple[str, ...]:
    """The indexed columns whose stored value is the new one, of the same type: a value equal
    but of another type (``1`` and ``1.0``) is written again, as SQLite may store it apart."""
    return tuple(
        name
        for (name, place), before in zip(_indexed_places(table), stored, strict=True)
        if type(before) is type(after := values[place]) and before == after
    )


@functools.cache
def _insert_statement(table: Table, rows: int, kept: tuple[str, ...] = ()) -> str:
    """The statement upserting ``rows`` rows of ``table``, each its key, columns and JSON; a
    row already there keeps its ``kept`` columns (indexed ones whose value is the same).

    SQLite rewrites an index's entry for every row an ``UPDATE`` sets its column in, whether
    the value changed or not: an order whose status and date modified changed cost the store
    259 µs of CPU among 20,000 stored when it set every column, 190 when it kept the six
    indexed columns it did not change (benchmarks/README.md, levers).

    Values alone: SQLite takes a statement of many rows that calls a function (as
    ``datetime(?, 'unixepoch')`` did for the dates) for one that may fail halfway, and copies
    each page it changes to a statement journal first, a temporary file: 62 MB written beside
    a 34 MB file in a first sync of 4,000 orders.

    In a UTF-8 file (SQLite's default) the JSON is bound as the bytes it came in and stored as
    the text they are (valid UTF-8: a page's split checks it, and ``dumps_exact`` writes no
    other): decoding each order to a ``str`` first cost about 1 µs an order of a sync's CPU
    (benchmarks/README.md). A ``CAST`` keeps the statement one that cannot fail halfway; of a
    ``str``, bound for a file in UTF-16, it changes nothing.
    """
    names = table.column_names
    updates = ", ".join(f"{name} = excluded.{name}" for name in names[1:] if name not in kept)
    row = f"({', '.join('?' * (len(names) - 1))}, CAST(? AS TEXT))"
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES {', '.join([row] * rows)} "
        f"ON CONFLICT ({table.key}) DO UPDATE SET {updates}"
    )


class SqliteStore:
    """The synced tables in one SQLite file (write-ahead log, so readers never wait)."""

    def __init__(self, path: str, table: Table) -> None:
        self._path = path
        self._held = contextlib.ExitStack()
        try:
            # The sync hands each call to a worker thread, one at a time.
            self._db = sqlite3.connect(
                path, timeout=_BUSY_SECONDS, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise DatabaseUrlError(f"cannot open the SQLite database {path}: {exc}") from None
        try:
            # SQLite's largest page. Nine of the live shapes' 6.5 KB rows fill 90 % of it, where
            # a 32 KiB page holds four and leaves a fifth of itself empty (ten and five of the
            # sample's), and the default 4 KiB spills each order into a chain of overflow pages.
            # Storing 4,000 orders cost 23.0 µs of CPU an order (sample) and 28.0 (live shapes)
            # against 26.6 and 30.4 with 32 KiB pages: half the pages to log, balance and copy
            # back, in a file 9 % smaller for the live shapes. A changed row costs more, its
            # whole page written again (docs/sync.md). Only a new file takes it; an existing
            # one keeps its size.
            self._db.execute("PRAGMA page_size=65536")
            _write_ahead_log(self._db)
            # A commit then writes the log without waiting for the disk to flush it (it is
            # flushed at each checkpoint, and when the file's last connection closes). A power
            # loss may take the last batches, each with the state that counts it, so the next
            # run reads them again; a killed process takes nothing. Measured in
            # benchmarks/README.md (levers).
            self._db.execute("PRAGMA synchronous=NORMAL")
            # A batch's rows go into the table and into each index at their keys' places. Past
            # a few thousand orders those pages outgrow SQLite's default cache (2 MB, 31 of
            # these pages): each batch then wrote pages to the log before its commit and read
            # them back, again and again. Storing 100,000 orders made 5.4 write calls an order
            # and 5.0 reads, against 0.7 and 0.16, and a first sync cost 163 µs of CPU an order
            # against 120 (benchmarks/README.md, levers). The cache takes memory only as pages
            # are read: a file of 4,000 orders (31 MB) never fills it.
            self._db.execute("PRAGMA cache_size=-65536")  # KiB: 64 MiB
            self._create(table)
            # UTF-8 unless an existing file was made in UTF-16 (which it keeps for good).
            self._utf8 = self._db.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"
            # The file it made or found: one removed or replaced under the sync takes what
            # the sync wrote with it, and the summary would report rows no file holds.
            # Absolute, as SQLite holds it: a program changing its folder meanwhile moves
            # no file.
            # (Not normalized: "link/.." is the link's target's parent, as the OS resolves it.)
            self._file = Path(path).absolute()
            self._opened = os.stat(self._file)
        except DatabaseUrlError:
            self._db.close()
            raise
        except sqlite3.Error as exc:
            self._db.close()
            if _passing(exc):
                # Not a DatabaseUrlError: the file is a database, held or out of room for now
                # (the command would say "bad arguments", and a wrapper would not run it again).
                raise DatabaseError(
                    f"cannot use the SQLite database {path} now: {exc} (another program may "
                    "hold it, or its disk is full); run again once it is free"
                ) from None
            raise DatabaseUrlError(f"cannot use the SQLite database {path}: {exc}") from None
        except BaseException:
            # The file gone between the checks and os.stat(), a Ctrl-C: no one else would
            # close it (Python 3.13 warns of the connection left open).
            self._db.close()
            raise

    def hold(self, query: str, kind: str) -> None:
        """Hold an exclusive lock on ``PATH-sync-QUERY.lock`` until :meth:`close`.

        A file beside the database, not the database itself: closing any other descriptor of
        the database file would drop SQLite's own locks held in this process.
        """
        path = lock_file_of(self._path, query)
        try:
            self._held.enter_context(file_lock(path, lambda: running_elsewhere(kind, self._path)))
        except OSError as exc:
            raise DatabaseError(f"cannot create the lock file {path}: {exc}") from None

    def _create(self, table: Table) -> None:
        columns = ", ".join(f"{c.name} {_TYPES[c.kind]}" for c in table.columns)
        with self._transaction():
            # ``data`` is never NULL but not declared NOT NULL: that constraint, which may stop
            # a statement halfway, has SQLite keep a statement journal (see _insert_statement);
            # a table made by an earlier version keeps it, and writes the journal.
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {table.name} ("
                f"{table.key} {_TYPES[table.key_kind]} PRIMARY KEY, {columns}, data TEXT)"
            )
            # Before the indexes: one on a column the table lacks would fail on that column
            # alone, in SQLite's words, where the check names every column missing.
            self._check(table.name, table.key, table.kinds)
            # Looked up by what they index, not by name: a table renamed keeps its indexes'
            # names, and the table made anew in its place was left with none.
            led = {
                self._db.execute(f"PRAGMA index_info({index})").fetchone()[2]
                for _, index, *_ in self._db.execute(f"PRAGMA index_list({table.name})")
            }
            names = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
            for column in table.indexed:
                if column.name not in led:
                    name = index_name(table.name, column.name, names.__contains__)
                    self._db.execute(f"CREATE INDEX {name} ON {table.name} ({column.name})")
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} ("
                "query TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, "
                "updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            self._check(STATE_TABLE, "query", STATE_KINDS)

    def _check(self, name: str, key: str, kinds: dict[str, str]) -> None:
        info = self._db.execute(f"PRAGMA table_info({name})").fetchall()
        found = {column: _affinity(kind) for _, column, kind, _, _, _ in info}
        unique = [column for _, column, _, _, _, pk in info if pk] == [key]
        collations: set[str] = set()
        for _, index, is_unique, _, partial in self._db.execute(
            f"PRAGMA index_list({name})"
        ).fetchall():
            if is_unique and not partial:
                columns = self._db.execute(f"PRAGMA index_xinfo({index})").fetchall()
                keyed = [row for row in columns if row[5]]  # the key's columns, not the rowid
                if [row[2] for row in keyed] == [key]:
                    unique = True
                # Every unique index on the key merges rows by its collation, a text PRIMARY
                # KEY's own (sqlite_autoindex_...) among them.
                collations.update(row[4] for row in keyed if row[2] == key)
        check_layout(
            name, key, kinds, self._path, found, unique, {key: _KEY_AFFINITIES[kinds[key]]}
        )
        if other := sorted(collations - {"BINARY"}):
            # COLLATE NOCASE made "INV1" and "inv1" one key: the one read last replaced the
            # other on every run, under the first's id.
            merged = " or ".join(_MERGED.get(collation, "compared equal") for collation in other)
            raise DatabaseUrlError(
                f"{self._path} holds {name} with a key ({key}) compared {' and '.join(other)}, "
                f"not byte by byte: keys {merged} are different keys. Make the key column "
                "without COLLATE"
            )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # A full disk or an I/O error has SQLite roll the transaction back itself: a
            # ROLLBACK then fails, and its error would hide the one that says why.
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def load_state(self, query: str) -> object:
        """The saved state of ``query`` as stored, its text if no JSON (the runner checks
        it), or None."""
        found = self._states("query", query)
        if not found:
            return None
        try:
            return orjson.loads(found[0])
        except orjson.JSONDecodeError:
            return found[0]  # no JSON (a column of TEXT holds anything): the runner says so

    def sources(self, kind: str) -> set[str]:
        """The servers the saved states of every query of ``kind`` name."""
        return sources_of(self._states("kind", kind))

    def queries(self, kind: str) -> list[str]:
        """The queries of ``kind`` whose state is saved."""
        return self._states("kind", kind, "query")

    def _states(self, column: str, value: str, read: str = "state") -> list[str]:
        """The saved states (their texts), or their ``read`` column, whose ``column`` is
        ``value``."""
        try:
            found = self._db.execute(
                f"SELECT {read} FROM {STATE_TABLE} WHERE {column} = ?", (value,)
            ).fetchall()
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot read the sync state from {self._path}: {exc}") from None
        return [text for (text,) in found]

    def holds_rows(self, table: Table) -> bool:
        """Whether ``table`` holds any row."""
        try:
            return self._db.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is not None
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot read {table.name} from {self._path}: {exc}") from None

    def _save_state(self, query: str, kind: str, state: dict[str, Any]) -> None:
        self._db.execute(
            f"INSERT INTO {STATE_TABLE} (query, kind, state) VALUES (?, ?, ?) "
            "ON CONFLICT (query) DO UPDATE SET state = excluded.state, "
            "updated_at = CURRENT_TIMESTAMP",
            # A text the state holds may carry a lone surrogate, which orjson refuses: a scan
            # naming such an order id comes as its JSON text already (the runner's _saved_scan),
            # which reads back exact; anything else is stored as the databases store it.
            (query, kind, orjson.dumps(storable_value(state)).decode()),
        )

    def save_state(self, query: str, kind: str, state: dict[str, Any]) -> None:
        """Save the state of ``query``."""
        try:
            with self._transaction():
                self._save_state(query, kind, state)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot write to {self._path}: {exc}") from None
        self._still_there()

    def claim(self, query: str, kind: str, state: dict[str, Any]) -> str | None:
        """Save the first state of ``query`` unless a state of ``kind`` names another source
        (:meth:`Store.claim <omsclient.dbsync._store.Store.claim>`): the write lock taken
        first, the states read under it."""
        try:
            with self._transaction():
                other = other_source(sources_of(self._states("kind", kind)), state["source"])
                if other is None:
                    self._save_state(query, kind, state)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot write to {self._path}: {exc}") from None
        self._still_there()
        return other

    def apply(
        self, table: Table, rows: Sequence[Any], query: str, kind: str, state: dict[str, Any]
    ) -> Counts:
        """Upsert the rows whose data changed and save ``state``, in one transaction."""
        keyed = distinct_records(table, rows)
        try:
            with self._transaction():
                counts = self._upsert(table, keyed)
                self._save_state(query, kind, state)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot write to {self._path}: {exc}") from None
        self._still_there()
        return counts

    def _still_there(self) -> None:
        """Raise unless the database's path still names the file it opened."""
        if not still_at(self._file, self._opened):
            raise DatabaseError(
                f"the SQLite database {self._path} was removed or replaced while the sync "
                "wrote to it: what this run wrote went with it; run again"
            )

    def _upsert(self, table: Table, keyed: dict[Any, Record]) -> Counts:
        stored: dict[Any, tuple[object, Sequence[object]]] = {}
        most = _parameters(self._db)
        for chunk in _chunks(list(keyed), most):
            for key, data, *indexed in self._db.execute(
                _select_statement(table, len(chunk)), chunk
            ):
                stored[key] = data, indexed
        new = updated = 0
        # The rows to write, by the indexed columns they keep as stored: a statement each.
        changed: dict[tuple[str, ...], list[list[Any]]] = {}
        for key, values, data in keyed.values():
            kept: tuple[str, ...] = ()
            if key not in stored:
                # Not by its value: a NULL another program wrote in `data` is a row there, and
                # the order written over it is updated, as PostgreSQL's store counts it.
                new += 1
            else:
                before, indexed = stored[key]
                if _encoded(before) == data or _same_json(before, data):
                    # The same text, or the same JSON written another way (by an older
                    # version, or as a blob by another program).
                    continue
                updated += 1
                kept = _unchanged(table, values, indexed)
            # SQLite casts a blob to text in a UTF-16 file as if its length were even: an
            # order's JSON of an odd length would lose its last byte.
            changed.setdefault(kept, []).append(
                [key, *values, data if self._utf8 else data.decode()]
            )
        # Many rows a statement, not one (executemany): sqlite3 lets go of the interpreter's
        # lock for every statement it runs and waits to take it back, and beside an event loop
        # running Python each wait lasts until the loop lets go (up to the interpreter's 5 ms
        # switch interval). A row a statement then wrote a few hundred rows a second.
        for kept, rows in changed.items():
            for chunk in _chunks(rows, min(_STATEMENT_ROWS, most // len(table.column_names))):
                self._db.execute(
                    _insert_statement(table, len(chunk), kept),
                    [value for row in chunk for value in row],
                )
        return Counts(new, updated, len(keyed) - new - updated)

    def interrupt(self) -> None:
        """Stop the statement running in another thread, if any (a no-op between them)."""
        self._db.interrupt()

    def close(self) -> None:
        """Close the database, then let go of the lock."""
        self._db.close()
        self._held.close()
