"""PostgreSQL for teams: psycopg 3, COPY into a staging table, then one upsert per batch."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import orjson

from omsclient._exact_json import dumps_exact, loads_as_sent
from omsclient._json_copy import copy_json
from omsclient._storable import UNSTORABLE_ESCAPE, holds_escape, storable_value
from omsclient.dbsync._errors import DatabaseError, DatabaseUrlError
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
from omsclient.dbsync._url import passwords_of

__all__ = ["PostgresStore"]

T = TypeVar("T")

# How long a run waits for the lock of one that was killed: the server ends the dead client's
# session (and lets go of its lock) as soon as it notices the connection closed, within moments.
_KILLED_RUN_GRACE = 1.0

_TYPES = {"integer": "bigint", "number": "numeric", "text": "text", "date": "timestamptz"}
# A date comes as UTC text (2024-10-09 02:24:39): staged as it is, made a timestamptz by the
# merge.
_STAGED_TYPES = {**_TYPES, "date": "text"}
_MERGED = {"date": "({}::timestamp AT TIME ZONE 'UTC')"}
# What a column narrower than the bigint or numeric staged holds, as a condition on the value:
# a value past it is NULL, as a value the model refuses is, where the merge failed the batch on
# every run ("integer out of range", "out of range for type real").
# 2^-150 and 2^128 - 2^103, written out whole (a Decimal's context would round them).
_HALF_SUBNORMAL = (
    "7.00649232162408535461864791644958065640130970938257885878534141944895541342930300743319"
    "094181060791015625e-46"
)
_HALF_PAST_MAX = str(2**128 - 2**103)
_HOLDS = {
    "int2": "{0} BETWEEN -32768 AND 32767",
    "int4": "{0} BETWEEN -2147483648 AND 2147483647",
    # What rounds to a finite real other than 0: past half the smallest subnormal (2^-150) and
    # short of half-way from the largest to 2^128, both exact, as the value staged (numeric) is
    # compared exactly. PostgreSQL prints real's ends as 1e-45 and 3.4028235e38: reals.
    "float4": f"({{0}} = 0 OR abs({{0}}) > {_HALF_SUBNORMAL} AND abs({{0}}) < {_HALF_PAST_MAX})",
}
# The column types an existing table may have: each takes what the merge writes, as meant. A
# timestamp without a time zone is not one: it would take each UTC date as the server's
# TimeZone's local time. json has no equality, which the merge's comparison needs.
# A product id passes 32 bits (2353000006 and up), a customer id 16 (2678321 in the spec's
# sample): a column too narrow fails every run after its first request.
_ACCEPTED = {
    "integer": frozenset({"int2", "int4", "int8", "numeric"}),
    "product_id": frozenset({"int8", "numeric"}),
    "customer_id": frozenset({"int4", "int8", "numeric"}),
    "number": frozenset({"numeric", "float4", "float8"}),
    "text": frozenset({"text", "varchar"}),
    "date": frozenset({"timestamptz"}),
    "json": frozenset({"jsonb"}),
}
_RELATION_KINDS = {
    "p": "a partitioned table",
    "v": "a view",
    "m": "a materialized view",
    "f": "a foreign table",
    "c": "a type",
    "S": "a sequence",
    "i": "an index",
    "I": "an index",
}
# pg_attribute's letters for a column's storage and compression, as ALTER TABLE names them.
_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}
_SCHEMA_LOCK = 0x6F6D_735F_7379_6E63  # "oms_sync": the advisory lock the CREATEs take
_CLAIM_LOCK = 0x6F6D_735F_636C_6169  # "oms_clai": the advisory lock first states are saved under
# What the tables' creation refuses for good, by SQLSTATE, and what to do about it.
_SETUP_REMEDIES = {
    "42501": "grant the user CREATE on the schema, or have the tables made for it as "
    "docs/sync.md says",
    "25006": "the session is read-only: a standby, or default_transaction_read_only is on; "
    "sync into a database it may write",
    "3F000": "its search_path names no schema to create the tables in: set one, e.g. with "
    "the URL parameter options=-csearch_path%3Dpublic (after its ? or &)",
}

# What to do about a failure, by SQLSTATE. 57014, a statement the server cancelled (a cancel
# of the sync's own reaches the caller as its cancellation instead): a statement_timeout ends
# a wait for another session's lock, which the next run may not meet, as well as a batch the
# database writes slower than it allows, which every run would: the message cannot tell them
# apart (it is in the server's language).
# The session is idle while the sync reads the server's pages (a minute, if it answers
# slowly): an idle_session_timeout shorter than that ends every run at its first batch.
_REMEDIES = {
    "57014": "if the user's or the database's statement_timeout ended it and every run stops "
    "here, set a longer one for the sync, e.g. with the URL parameter "
    "options=-cstatement_timeout%3D0 (after its ? or &)",
    "57P05": "the user's or the database's idle_session_timeout closed the session while the "
    "sync read the server's pages; turn it off for the sync, e.g. with the URL parameter "
    "options=-cidle_session_timeout%3D0 (after its ? or &)",
}


def _jsonb(data: bytes) -> bytes:
    """``data`` as jsonb takes it: each character jsonb refuses in a string or key (NUL, JSON's
    ``\\u0000``; a lone surrogate, ``\\ud800`` without its other half) replaced by its
    escape as six characters, the rest as sent.

    jsonb refuses them, so one order holding one failed its batch, and every later run failed
    on it again: the sync stopped for good. Replaced, the order is stored like any other
    (docs/sync.md); SQLite keeps the JSON as sent.
    """
    # The fast path: no NUL or surrogate escape (three substring searches for them took 10 µs
    # for a live order of 6 KB).
    if not holds_escape(UNSTORABLE_ESCAPE, data):
        return data
    try:
        # Every number as sent (2.5000000000000001, 1e400 alike): the order's other values go
        # back to jsonb as the server sent them.
        value = loads_as_sent(data)
    except (ValueError, RecursionError):
        return data  # jsonb says what is wrong with it
    cleaned = storable_value(value)
    return data if cleaned == value else dumps_exact(cleaned)


# What PostgreSQL's numeric (and so jsonb's numbers) holds: digits before the point, after it.
_NUMERIC_DIGITS = 131_072
_NUMERIC_SCALE = 16_383


def _number_in_range(value: Any) -> Any:
    """``value``, or its text (a JSON string) when it is a number past numeric's range
    (``1e200000``, ``1e-20000``)."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent  # a letter for an infinity or a NaN
        past = isinstance(exponent, int) and -exponent > _NUMERIC_SCALE
        return str(value) if past or value.adjusted() >= _NUMERIC_DIGITS else value
    return value


def _jsonb_in_range(data: bytes) -> bytes:
    """``data`` as :func:`_jsonb` writes it, each number numeric cannot hold as its text."""
    try:
        value = loads_as_sent(data)
    except (ValueError, RecursionError):
        return data  # jsonb says what is wrong with it
    return dumps_exact(storable_value(copy_json(value, _number_in_range)))


def _connect_timeout(url: str) -> dict[str, Any]:
    """10 s to connect, unless the URL (``?connect_timeout=``) or ``PGCONNECT_TIMEOUT`` says
    how long: an argument would override theirs, and libpq alone waits for ever."""
    from psycopg.conninfo import conninfo_to_dict

    if "connect_timeout" in conninfo_to_dict(url) or os.environ.get("PGCONNECT_TIMEOUT"):
        return {}
    return {"connect_timeout": 10}


class PostgresStore:
    """The synced tables in a PostgreSQL database; ``data`` is ``jsonb``."""

    def __init__(self, url: str, display: str, table: Table) -> None:
        import psycopg

        from omsclient.dbsync._json_text import JsonText

        self._display = display
        self._held: str | None = None  # the query whose lock this session holds
        self._merged: dict[str, str] = {}  # each typed column as the merge writes it
        self._error = psycopg.Error
        self._json_text = JsonText
        self._out_of_range = psycopg.errors.NumericValueOutOfRange

        def refused(exc: Exception) -> DatabaseUrlError:
            message = _first_line(exc)
            # Longest first: a password holding another is replaced whole.
            for password in sorted(passwords_of(url), key=len, reverse=True):
                message = message.replace(password, "***")
            return DatabaseUrlError(f"cannot connect to {display}: {message}")

        # Autocommit: the only transactions are the explicit ones, one per batch. UTF-8 whatever
        # PGCLIENTENCODING, the role's settings or the URL say: in LATIN1 a batch holding an
        # emoji failed, in SQL_ASCII the catalog's names came back as bytes.
        # No prepared statements: behind a pooler, the server session outlives this connection,
        # and the next run's first one ("_pg3_0") already existed there.
        self._db = self._guarded(
            lambda: psycopg.connect(
                url,
                **_connect_timeout(url),
                autocommit=True,
                client_encoding="UTF8",
                prepare_threshold=None,
            ),
            refused,
        )
        # Whatever default_transaction_isolation the database or the role sets: the creation
        # and the claim of a first state read what another session committed while they waited
        # for their lock, which a repeatable-read snapshot, taken by the lock's own statement,
        # hides (two servers' first runs both claimed; a second creation found no columns).
        self._db.isolation_level = psycopg.IsolationLevel.READ_COMMITTED

        def not_created(exc: Exception) -> DatabaseError:
            if "statement pooling mode" in str(exc):  # PgBouncer's, refusing any transaction
                return self._pooled()
            problem = f"cannot create the sync tables in {display}: {_first_line(exc)}"
            remedy = _SETUP_REMEDIES.get(getattr(exc, "sqlstate", None) or "")
            if remedy is not None:
                # The role's or the database's set-up, which no later run changes.
                return DatabaseUrlError(f"{problem} ({remedy})")
            # The URL was good and the database opened (the CLI would say "bad arguments");
            # another failing CREATE is the database's, and may pass next run.
            return DatabaseError(problem)

        try:
            self._guarded(lambda: self._create(table), not_created)
        except DatabaseError:
            self._db.close()
            raise

    def _guarded(self, action: Callable[[], T], failure: Callable[[Exception], Exception]) -> T:
        """``action()``; a psycopg error raised as ``failure(it)``, outside the ``except``, so
        that it is not the error's ``__context__``: its connection holds the URL's password."""
        try:
            return action()
        except self._error as exc:
            error = failure(exc)
        except _SessionChanged:
            error = self._pooled()
        raise error

    def _create(self, table: Table) -> None:
        encoding = self._db.info.parameter_status("server_encoding")
        if encoding != "UTF8":
            # LATIN1 cannot hold an emoji (psycopg failed each batch holding one, every run);
            # SQL_ASCII hands text back as bytes.
            raise DatabaseUrlError(
                f"{self._display} is a database in {encoding}: the sync needs one in UTF8, "
                "as orders hold any character (CREATE DATABASE ... ENCODING 'UTF8')"
            )
        self._session = self._backend()
        columns = ", ".join(f"{c.name} {_TYPES[c.kind]}" for c in table.columns)
        staged = ", ".join(f"{c.name} {_STAGED_TYPES[c.kind]}" for c in table.columns)
        key_type = _TYPES[table.key_kind]
        with self._db.transaction():
            # Two first syncs at once on a fresh database both run CREATE TABLE IF NOT EXISTS;
            # PostgreSQL checks "not exists" before either commits, so one fails on the unique
            # index of pg_type. The lock, released at commit, makes the second wait and then
            # find the tables there.
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            # Only what is missing is created: CREATE TABLE IF NOT EXISTS wants CREATE on the
            # schema, and CREATE INDEX IF NOT EXISTS the table's ownership, even when all is
            # there, which refused a role granted only reads and writes on tables made for it.
            if self._missing(table.name):
                self._db.execute(
                    f"CREATE TABLE {table.name} ("
                    f"{table.key} {key_type} PRIMARY KEY, {columns}, "
                    "data jsonb NOT NULL)"
                )
            # Before its indexes: a view, or a table missing an indexed column, failed there.
            self._check(table)
            if self._owned(table.name):
                for column in table.indexed:
                    if not self._indexed(table.name, column.name):
                        name = index_name(table.name, column.name, self._taken)
                        self._db.execute(f"CREATE INDEX {name} ON {table.name} ({column.name})")
            if self._missing(STATE_TABLE):
                self._db.execute(
                    f"CREATE TABLE {STATE_TABLE} ("
                    "query text PRIMARY KEY, kind text NOT NULL, state jsonb NOT NULL, "
                    "updated_at timestamptz NOT NULL DEFAULT now())"
                )
            self._checked(STATE_TABLE, "query", STATE_KINDS)
            # A session table: each batch is copied here, then merged in one statement.
            self._check_temporary()
            self._db.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS pg_temp.{table.name}_staging "
                f"({table.key} {key_type}, {staged}, data jsonb) ON COMMIT DELETE ROWS"
            )
            self._stage_data_as(table.name)
            # Checked now, not by the first batch's write after the first request.
            for name in (table.name, STATE_TABLE):
                self._check_privileges(name)

    def _stage_data_as(self, name: str) -> None:
        """Give the staging table's ``data`` the storage and compression of the table's.

        A batch's JSON is stored, compressed, in the staging table first, and the merge copies
        each stored value as it is: a table whose ``data`` was set to lz4 (faster than pglz,
        PostgreSQL's default) or to ``STORAGE EXTERNAL`` (none) got pglz values all the same.
        """
        # Set every time: a pooler's session may keep the staging table of an earlier run.
        columns = "attstorage::text, NULL"
        if self._db.info.server_version >= 140000:  # no compression of its own before 14
            columns = "attstorage::text, attcompression::text"
        storage, method = self._db.execute(
            f"SELECT {columns} FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attname = 'data'",
            (name,),
        ).fetchone() or ("x", None)
        settings = [f"SET STORAGE {_STORAGE.get(storage, 'EXTENDED')}"]
        if method is not None:
            settings.append(f"SET COMPRESSION {_COMPRESSION.get(method, 'DEFAULT')}")
        self._db.execute(
            f"ALTER TABLE pg_temp.{name}_staging "
            + ", ".join(f"ALTER COLUMN data {setting}" for setting in settings)
        )

    def _backend(self) -> int:
        """The server process of the session this connection reaches now."""
        (pid,) = self._db.execute("SELECT pg_backend_pid()").fetchone() or (0,)
        return int(pid)

    def _failed(self, doing: str) -> Callable[[Exception], Exception]:
        """The error for a failure while ``doing`` (``"cannot write to"``...): one saying so
        when the connection has reached another server session since it opened."""

        def failure(exc: Exception) -> Exception:
            with contextlib.suppress(self._error):
                if self._backend() != self._session:
                    return self._pooled()
            return DatabaseError(f"{doing} {self._display}: {_first_line(exc)}")

        return failure

    def _pooled(self) -> DatabaseUrlError:
        return DatabaseUrlError(
            f"{self._display} hands this sync's statements to more than one server session: a "
            "pooler in transaction or statement mode (PgBouncer's pool_mode = transaction or "
            "statement, a cloud database's transaction pooler) is in between, and the sync "
            "needs one session for its run (its lock and its staging table live there); "
            "connect to PostgreSQL directly or through a pool in session mode"
        )

    def _check(self, table: Table) -> None:
        found = self._checked(table.name, table.key, table.kinds)
        for column in table.columns:
            merged = _MERGED.get(column.kind, "{}").format(column.name)
            holds = _HOLDS.get(found.get(column.name, ""))
            if holds:
                merged = f"CASE WHEN {holds.format(merged)} THEN {merged} END"
            self._merged[column.name] = merged

    def _checked(self, name: str, key: str, kinds: dict[str, str]) -> dict[str, str]:
        """Refuse the table ``name`` if the batches cannot write it (see :func:`check_layout`);
        its columns' types."""
        relkind, persistence = self._db.execute(
            "SELECT relkind::text, relpersistence::text FROM pg_class WHERE oid = to_regclass(%s)",
            (name,),
        ).fetchone() or ("r", "p")
        if persistence == "t":
            # A search_path naming pg_temp first made the tables temporary: every run stored
            # all, said so, and left nothing for the next.
            raise DatabaseUrlError(
                f"{self._display} holds {name} as a temporary table, which ends with the "
                "session: its search_path names pg_temp before a schema of its own. Put "
                "pg_temp last (or leave it out), or name a schema first"
            )
        if relkind != "r":
            # A partitioned table refused the merge's RETURNING (xmax = 0), each run; a view
            # its indexes. Refused now, with the URL's other set-up problems.
            raise DatabaseUrlError(
                f"{self._display} holds {name} as {_RELATION_KINDS.get(relkind, 'no table')}: "
                "the sync writes into an ordinary table. Sync into another database (or "
                "schema), or make the table as docs/sync.md says"
            )
        found: dict[str, str] = dict(
            self._db.execute(
                # A length or a precision (varchar(4), numeric(3,0)) is part of the type: it
                # would refuse what the merge writes.
                "SELECT a.attname, CASE WHEN a.atttypmod >= 0 AND t.typname IN "
                "('varchar', 'numeric') THEN format_type(a.atttypid, a.atttypmod) "
                "ELSE t.typname END FROM pg_attribute a "
                "JOIN pg_type t ON t.oid = a.atttypid "
                "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped",
                (name,),
            ).fetchall()
        )
        # ON CONFLICT takes no deferrable key as its arbiter.
        unique = self._db.execute(
            "SELECT EXISTS (SELECT FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indimmediate "
            "AND i.indnkeyatts = 1 AND i.indpred IS NULL AND a.attname = %s)",
            (name, key),
        ).fetchone()
        check_layout(name, key, kinds, self._display, found, bool(unique and unique[0]), _ACCEPTED)
        if self._db.info.server_version < 120000:
            return found  # no collation compares otherwise before PostgreSQL 12
        (exact,) = self._db.execute(
            "SELECT coalesce(bool_and(c.collisdeterministic), true) FROM pg_attribute a "
            "JOIN pg_collation c ON c.oid = a.attcollation "
            "WHERE a.attrelid = to_regclass(%s) AND a.attname = %s",
            (name, key),
        ).fetchone() or (True,)
        if not exact:
            # A case-insensitive collation (ICU's, deterministic = false) made "INV1" and
            # "inv1" one key: a page holding both failed every run, naming no order.
            raise DatabaseUrlError(
                f"{self._display} holds {name} with a key ({key}) whose collation compares "
                "texts other than byte by byte: keys differing in case are other orders. "
                "Give the column a deterministic collation (the database's default)"
            )
        return found

    def _missing(self, name: str) -> bool:
        found = self._db.execute("SELECT to_regclass(%s) IS NULL", (name,)).fetchone()
        return bool(found and found[0])

    def _indexed(self, name: str, column: str) -> bool:
        """Whether the table ``name`` has an index led by ``column``. Not looked up by the
        index's name: a table renamed keeps its indexes' names, and the table made anew in its
        place was left with none."""
        found = self._db.execute(
            "SELECT EXISTS (SELECT FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE i.indrelid = to_regclass(%s) AND a.attname = %s)",
            (name, column),
        ).fetchone()
        return bool(found and found[0])

    def _taken(self, name: str) -> bool:
        return not self._missing(name)

    def _owned(self, name: str) -> bool:
        found = self._db.execute(
            "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = to_regclass(%s)",
            (name,),
        ).fetchone()
        return bool(found and found[0])

    def _check_temporary(self) -> None:
        allowed = self._db.execute(
            "SELECT has_database_privilege(current_database(), 'TEMPORARY')"
        ).fetchone()
        if not (allowed and allowed[0]):
            raise DatabaseUrlError(
                f"the user of {self._display} may not create temporary tables, in which each "
                "batch is staged: grant it TEMPORARY ON DATABASE"
            )

    def _check_privileges(self, name: str) -> None:
        denied = [
            privilege
            for privilege in ("SELECT", "INSERT", "UPDATE")
            if not self._db.execute(
                "SELECT has_table_privilege(to_regclass(%s), %s)", (name, privilege)
            ).fetchone()[0]  # type: ignore[index]
        ]
        if denied:
            raise DatabaseUrlError(
                f"the user of {self._display} may not {', '.join(denied)} {name}: grant it "
                f"SELECT, INSERT, UPDATE ON {name}"
            )

    def hold(self, query: str, kind: str) -> None:
        """Hold a session advisory lock on ``query`` and these tables until :meth:`close`.

        The server lets go when the connection ends, however the process ends: a moment after
        a run is killed, not at once, so a run started right then waits for it a little.
        """
        # A pooler in transaction mode hands statements to its sessions in turn: caught
        # before the lock is taken, the run leaves none in a session the pooler keeps.
        for _ in range(_SESSION_PROBES):
            if self._guarded(self._backend, self._failed("cannot lock the sync of")) != (
                self._session
            ):
                raise self._pooled()
        deadline = time.monotonic() + _KILLED_RUN_GRACE
        while not self._try_hold(query):
            if time.monotonic() >= deadline:
                raise running_elsewhere(kind, self._display, self._holder(query))
            time.sleep(0.05)

    def _holder(self, query: str) -> str:
        """What the refusal adds of the session holding ``query``'s lock: behind a pooler in
        transaction mode, a run's lock can outlive it in a session the pooler keeps."""
        with contextlib.suppress(self._error):
            found = self._db.execute(
                f"WITH k AS (SELECT {_LOCK_KEY} AS key) SELECT l.pid FROM pg_locks l, k "
                # Advisory locks are a database's own: a clone of this one (CREATE DATABASE
                # ... TEMPLATE) holds the same key for its own sync.
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND l.classid::bigint = (k.key >> 32) & 4294967295 "
                "AND l.objid::bigint = k.key & 4294967295",
                (_lock_name(query), STATE_TABLE),
            ).fetchone()
            if found:
                return (
                    f" (its lock is held by the server process {found[0]}; if no sync of them "
                    "runs, a connection pooler in transaction mode kept an earlier run's lock "
                    f"in one of its sessions: SELECT pg_terminate_backend({found[0]}) lets go "
                    "of it, run as the role holding it, a superuser or a member of "
                    "pg_signal_backend)"
                )
        return ""

    def _try_hold(self, query: str) -> bool:
        # Keyed on the state table the sync reads and writes (its oid), not on current_schema():
        # a role whose own schema comes first in its search path, empty, reaches the same
        # tables as another role by another current_schema(). Taken only in the session the
        # store opened: behind a pooler in transaction mode, a lock taken in another outlived
        # the run there, and every later run, direct ones too, was told another one ran.
        (held,) = self._guarded(
            lambda: self._db.execute(
                "SELECT CASE WHEN pg_backend_pid() = %s "
                f"THEN pg_try_advisory_lock({_LOCK_KEY}) END",
                (self._session, _lock_name(query), STATE_TABLE),
            ).fetchone(),
            self._failed("cannot lock the sync of"),
        ) or (False,)
        if held is None:
            raise self._pooled()
        if held:
            self._held = query
        return bool(held)

    def load_state(self, query: str) -> object:
        """The saved state of ``query`` as stored (the runner checks it), or None."""
        found = self._states("query", query)
        return orjson.loads(found[0]) if found else None

    def sources(self, kind: str) -> set[str]:
        """The servers the saved states of every query of ``kind`` name."""
        return sources_of(self._states("kind", kind))

    def queries(self, kind: str) -> list[str]:
        """The queries of ``kind`` whose state is saved."""
        return self._states("kind", kind, "query")

    def _states(self, column: str, value: str, read: str = "state::text") -> list[str]:
        """The saved states (their JSON texts), or their ``read`` column, whose ``column``
        is ``value``."""

        def select() -> Any:
            with self._db.transaction():
                return self._db.execute(
                    f"SELECT {read} FROM {STATE_TABLE} WHERE {column} = %s", (value,)
                ).fetchall()

        found = self._guarded(
            select,
            self._failed("cannot read the sync state from"),
        )
        return [text for (text,) in found]

    def holds_rows(self, table: Table) -> bool:
        """Whether ``table`` holds any row."""

        def select() -> bool:
            with self._db.transaction():
                return (
                    self._db.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is not None
                )

        return self._guarded(select, self._failed(f"cannot read {table.name} from"))

    def _save_state(self, query: str, kind: str, state: dict[str, Any]) -> None:
        """Save the state of ``query``, in the transaction under way; raise if the session is
        not the one the store opened (a pooler between: see :meth:`_pooled`)."""
        (session,) = self._db.execute(
            f"INSERT INTO {STATE_TABLE} (query, kind, state) VALUES (%s, %s, %s::jsonb) "
            "ON CONFLICT (query) DO UPDATE SET state = EXCLUDED.state, updated_at = now() "
            # Told by the statement each transaction runs anyway: no request of its own.
            "RETURNING pg_backend_pid()",
            # A text the state holds may carry a NUL or a lone surrogate, which jsonb refuses:
            # a scan naming such an order id comes as its JSON text already (the runner's
            # _saved_scan), which reads back exact; anything else is stored as the databases
            # store it.
            (query, kind, orjson.dumps(storable_value(state)).decode()),
        ).fetchone() or (0,)
        if session != self._session:
            # Rolled back with the transaction: what another session wrote for this run (its
            # lock held elsewhere) is not kept.
            raise _SessionChanged

    def save_state(self, query: str, kind: str, state: dict[str, Any]) -> None:
        """Save the state of ``query``."""

        def save() -> None:
            with self._db.transaction():
                self._save_state(query, kind, state)

        self._guarded(save, self._failed("cannot write to"))

    def claim(self, query: str, kind: str, state: dict[str, Any]) -> str | None:
        """Save the first state of ``query`` unless a state of ``kind`` names another source
        (:meth:`Store.claim <omsclient.dbsync._store.Store.claim>`): under an advisory lock,
        the states read after it is granted (each statement sees what was committed before
        it began)."""

        def save() -> str | None:
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_CLAIM_LOCK,))
                other = other_source(sources_of(self._states("kind", kind)), state["source"])
                if other is None:
                    self._save_state(query, kind, state)
                return other

        return self._guarded(save, self._failed("cannot write to"))

    def apply(
        self, table: Table, rows: Sequence[Any], query: str, kind: str, state: dict[str, Any]
    ) -> Counts:
        """COPY the rows into the staging table, upsert those whose data changed, save
        ``state``: one transaction."""
        keyed = distinct_records(table, rows)

        def write() -> list[bool]:
            try:
                return self._write(table, keyed, query, kind, state, _jsonb)
            except self._out_of_range:
                # A number past numeric's range in an order (1e200000) failed its batch, and
                # would on every run: the batch again, each such number stored as its text.
                # Rare enough that no order pays for looking for one before.
                return self._write(table, keyed, query, kind, state, _jsonb_in_range)

        written = self._guarded(
            write,
            self._failed("cannot write to"),
        )
        new = sum(1 for inserted in written if inserted)
        updated = len(written) - new
        return Counts(new, updated, len(keyed) - len(written))

    def _write(
        self,
        table: Table,
        keyed: dict[Any, Record],
        query: str,
        kind: str,
        state: dict[str, Any],
        jsonb: Callable[[bytes], bytes],
    ) -> list[bool]:
        """Whether each row written was inserted (else updated), in one transaction."""
        names = table.column_names
        # Named in its schema: a search_path listing pg_temp last, as PostgreSQL's docs advise
        # for security, found a permanent table of that name first, and emptied it.
        staging = f"pg_temp.{table.name}_staging"
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names[1:])
        merged = [table.key, *(self._merged[c.name] for c in table.columns), "data"]
        with self._db.transaction():
            with self._db.cursor() as cursor:
                cursor.adapters.register_dumper(bytes, self._json_text)
                with cursor.copy(f"COPY {staging} ({', '.join(names)}) FROM STDIN") as copy:
                    for key, values, data in keyed.values():
                        copy.write_row([key, *values, jsonb(data)])
                # In the key's order, as every run locks the rows it upserts: runs of other
                # queries writing the same rows, each in the order its pages came, deadlocked.
                cursor.execute(
                    f"INSERT INTO {table.name} ({', '.join(names)}) "
                    f"SELECT {', '.join(merged)} FROM {staging} ORDER BY {table.key} "
                    f"ON CONFLICT ({table.key}) DO UPDATE SET {updates} "
                    f"WHERE {table.name}.data IS DISTINCT FROM EXCLUDED.data "
                    # xmax is 0 on a row version an INSERT created, not on an UPDATE's.
                    "RETURNING (xmax = 0)"
                )
                written = [inserted for (inserted,) in cursor.fetchall()]
                # ON COMMIT DELETE ROWS would too; emptied now so a retry starts clean.
                cursor.execute(f"DELETE FROM {staging}")
            self._save_state(query, kind, state)
        return written

    def interrupt(self) -> None:
        """Ask the server to cancel the statement running in another thread, if any."""
        # The call's own error says what ended it; one failing to reach the server leaves the
        # statement to end by itself, as it would have without the cancel.
        # cancel_safe (psycopg 3.2) encrypts the request as the connection is, where libpq 17
        # can; cancel() is what psycopg 3.1 has.
        cancel = getattr(self._db, "cancel_safe", self._db.cancel)
        with contextlib.suppress(self._error):
            cancel()

    def close(self) -> None:
        """Let go of the lock, then close the connection."""
        if self._held is not None:
            # Closing would let go of it too, but not a session a pooler keeps: the next run
            # would be told this one still runs. Asked of the session holding it, which a
            # pooler in transaction mode hands out among others (a few tries); a connection
            # lost has let go already.
            with contextlib.suppress(self._error):
                for _ in range(_UNLOCK_TRIES):
                    (unlocked,) = self._db.execute(
                        "SELECT CASE WHEN pg_backend_pid() = %s "
                        f"THEN pg_advisory_unlock({_LOCK_KEY}) END",
                        (self._session, _lock_name(self._held), STATE_TABLE),
                    ).fetchone() or (False,)
                    if unlocked is not None:
                        break
        self._db.close()


_LOCK_KEY = "hashtextextended(%s || to_regclass(%s)::oid::text, 0)"
_SESSION_PROBES = 3  # statements a run sends before its lock, to catch a pooler handing them out
_UNLOCK_TRIES = 50  # statements a pooler hands to its sessions, until the one holding the lock


def _lock_name(query: str) -> str:
    """The text the advisory lock of ``query``'s runs is keyed on (with the state table)."""
    return f"omsclient sync {query} "


class _SessionChanged(Exception):
    """A transaction ran in another server session than the store opened."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    remedy = _REMEDIES.get(getattr(exc, "sqlstate", None) or "")
    return line if remedy is None else f"{line} ({remedy})"
