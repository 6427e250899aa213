"""``export_orders`` and ``export_products``: a stable scan streamed into a file, resumably."""

from __future__ import annotations

import hashlib
import inspect
import os
import stat
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing, suppress
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import attrs
import orjson

from omsclient._redact import Redactor
from omsclient._session import sent_path
from omsclient._validate import shown
from omsclient.errors import OmsError, ValidationError
from omsclient.export._checkpoint import (
    Checkpoint,
    CheckpointError,
    ExportError,
    ExportPaths,
    OtherServerCheckpointError,
)
from omsclient.export._parquet import jsonl_to_parquet
from omsclient.export._paths import check_output_path, check_path, refuse_finished_output
from omsclient.export._writers import CsvWriter, JsonlWriter, RowWriter
from omsclient.legacy._conditions import Condition, DateLike, format_since, format_until
from omsclient.legacy._product_scan import ProductScanState
from omsclient.legacy._scan import Scan
from omsclient.legacy._scan_state import ScanState
from omsclient.legacy.products import scan_products

if TYPE_CHECKING:
    from omsclient._client import AsyncClient

__all__ = [
    "DEFAULT_WINDOWS",
    "FORMATS",
    "ExportProgress",
    "ExportSummary",
    "Format",
    "Kind",
    "ProgressCallback",
    "check_output",
    "export_orders",
    "export_products",
    "product_query_fingerprint",
    "query_fingerprint",
]

Format = Literal["jsonl", "csv", "parquet"]
"""An output format, as ``format=`` takes it: JSON lines, CSV or Parquet (left out, the
output file's extension names it)."""
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")
"""Every :data:`Format`, the ones ``format=`` accepts."""
Kind = Literal["orders", "products"]
"""What an export or a sync reads: the ``kind`` of its summary."""
DEFAULT_WINDOWS = 4
"""Windows scanned concurrently by default: 4 requests in flight, well within one client's cap."""

Row = dict[str, Any]


@attrs.frozen
class ExportProgress:
    """Where a running export stands, passed to the ``progress`` callback after each batch,
    and every :data:`CONVERTING_EVERY` seconds while a Parquet export converts its rows.

    Attributes:
        exported: rows in the output so far, earlier runs of a resumed export included.
        total: how many rows matched when this run started (the server's count); None when
            the server sends no total.
        this_run: rows written by this run.
        elapsed: seconds since this run started.
        converting: True once every row is read, while a Parquet export converts them (ten
            minutes or more for a million rows; nothing is sent meanwhile).
        converted: while converting, the share of the conversion done, from 0 to 1 (it reads
            the rows twice: for their types, then to write them); None otherwise.
    """

    exported: int
    total: int | None
    this_run: int
    elapsed: float
    converting: bool = False
    converted: float | None = None


CONVERTING_EVERY = 1.0
"""Seconds between the progress reports of a Parquet export converting its rows."""


class ProgressCallback(Protocol):
    """What ``progress=`` takes: called with an :class:`ExportProgress` after each batch."""

    def __call__(self, progress: ExportProgress, /) -> object: ...


@attrs.frozen
class ExportSummary:
    """The outcome of an export.

    Attributes:
        path: the output file, absolute (a relative path is taken from the folder the
            export started in).
        kind: ``"orders"`` or ``"products"``.
        format: ``"jsonl"``, ``"csv"`` or ``"parquet"``.
        exported: rows in the output (each order or product once).
        server_total: rows matching the same filters when the scan ended (one last count);
            None when the server sends no total.
        this_run: rows written by this run (less than ``exported`` after a resume).
        resumed: this run continued from a checkpoint.
        elapsed: seconds this run took.
        requests: HTTP requests this run sent, each attempt of a retried search counted.
        windows: windows the scan used.
        missed_because: why the scan may have skipped or repeated rows other than by the data
            changing, as its warnings said (``"the server's time zone"``), in this run or an
            interrupted one it resumed; empty when none did (see :attr:`difference`).
    """

    path: Path
    kind: Kind
    format: Format
    exported: int
    server_total: int | None
    this_run: int
    resumed: bool
    elapsed: float
    requests: int
    windows: int
    missed_because: tuple[str, ...] = ()

    @property
    def difference(self) -> int | None:
        """``exported - server_total``; None when the server sends no total.

        Non-zero when the data changed during the scan: rows that left the filter were
        exported while they matched, rows that arrived after their part of the scan was read
        are counted but not exported. The scan's guarantee covers the rows that matched for
        the whole scan, each exported exactly once. A server that misreads the scan's
        requests (compares dates in another time zone than the client's ``legacy_timezone``,
        never sends some orders of a second) makes it non-zero too: the scan warns of it on
        the ``omsclient`` logger, and :attr:`missed_because` says so.
        """
        return None if self.server_total is None else self.exported - self.server_total


# The output extensions a format is inferred from when none is given (case does not matter).
_FORMAT_SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
}


def _check_flag(value: object, name: str) -> None:
    # Any object is true or false: resume="no" would resume, overwrite="no" overwrite.
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, got {shown(value)}")


def check_progress(progress: object) -> None:
    """Refuse a ``progress`` that cannot be called, before anything is sent: it is first called
    once a batch is written, where it would fail with a ``TypeError``.

    Raises:
        ValidationError: naming ``progress`` and what it is.
    """
    if progress is not None and not callable(progress):
        raise ValidationError(f"progress must be callable, got {type(progress).__name__}")


async def report(progress: Callable[[Any], object] | None, where: object) -> None:
    """Tell ``progress`` where the job stands: a callback that is an ``async def`` is awaited
    (called only, it would never run, a warning for each batch its one trace)."""
    if progress is not None:
        result = progress(where)
        if inspect.isawaitable(result):
            await result


def _arguments(
    path: str | os.PathLike[str],
    format: Format | None,
    resume: bool,
    overwrite: bool,
    progress: ProgressCallback | None,
) -> Format:
    """The format of an export, once its other arguments are known to be of the right kind."""
    check_path(path)
    _check_flag(resume, "resume")
    _check_flag(overwrite, "overwrite")
    check_progress(progress)
    return _format(format, path)


def _format(value: object, path: str | os.PathLike[str]) -> Format:
    """``value`` as a format; None means the one ``path``'s extension names."""
    if value is None:
        inferred = _FORMAT_SUFFIXES.get(Path(path).suffix.lower())
        if inferred is None:
            raise ValidationError(
                f"cannot tell the format from {os.fspath(path)!r}: name the file .jsonl, .csv "
                "or .parquet, or pass format='jsonl', 'csv' or 'parquet'"
            )
        return inferred
    for name in FORMATS:
        if value == name:
            return name
    raise ValidationError(f"format must be one of {', '.join(FORMATS)}, got {shown(value)}")


def query_fingerprint(
    kind: str,
    fmt: str,
    numbering: str,
    conditions: Sequence[Condition],
    zone: tzinfo | None = None,
    **extra: Any,
) -> str:
    """What a checkpoint records of the query it belongs to, so that it resumes only that query.

    The client's ``legacy_timezone`` (``zone``) is part of it when set: its conditions select
    other orders.

    Raises:
        ValidationError: a condition that is not a :class:`Condition`.
    """
    encoded = []
    for n, condition in enumerate(conditions, start=1):
        if not isinstance(condition, Condition):
            raise ValidationError(f"condition {n} must be a Condition, got {shown(condition)}")
        # Numbered whatever the count, not the form a search sends (one condition goes flat):
        # checkpoints written before that choice keep resuming their query.
        encoded.append(condition.encode(n, numbering))  # type: ignore[arg-type]
    if zone is not None:  # left out at UTC: what was written before keeps matching
        extra["legacy_timezone"] = str(zone)
    text = orjson.dumps([kind, fmt, numbering, encoded, extra], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()


def product_query_fingerprint(
    fmt: str, conditions: Sequence[Condition], zone: tzinfo | None = None
) -> str:
    """The fingerprint of a product query: the default client's, whatever the client's
    ``order_field_numbering``, which numbers order fields 6 and 7 and no product field.

    So a product export or sync continues under either setting, and what a client at the
    default wrote before keeps matching. What a ``"blueprint"`` client wrote before does not: its
    checkpoint is refused, and its sync state is not found (the sync reads from the first
    product, as every completed run does).

    Raises:
        ValidationError: a condition that is not a :class:`Condition`.
    """
    return query_fingerprint("products", fmt, "api", conditions, zone)


def source_of(client: AsyncClient) -> str:
    """Where an export or a sync reads from, as a checkpoint or a sync state records it: the
    legacy API's host and the folder it is served under (two shops behind one gateway are two
    servers), not its port (the sandbox's changes from run to run), and the user."""
    settings = client.settings
    url = settings.legacy_url or ""
    folder = sent_path(url) if url else ""
    return f"{urlsplit(url).hostname or ''}{folder} {settings.username or ''}"


def host_of(source: str) -> str:
    """The host (and folder) of a recorded :func:`source_of`, all an error may quote of it (not
    the user)."""
    return source.partition(" ")[0]


def _open_writer(fmt: Format, path: Path, checkpoint: Checkpoint | None, mode: int) -> RowWriter:
    size = checkpoint.size if checkpoint else 0
    if fmt == "csv":
        return CsvWriter(path, size, checkpoint.columns if checkpoint else None, mode)
    return JsonlWriter(path, size, mode)


def check_output(
    path: str | os.PathLike[str],
    format: Format | None = None,
    *,
    resume: bool = False,
    overwrite: bool = True,
) -> Path:
    """Check that an export to ``path`` can be written, before anything is sent; the path.

    ``format`` is inferred from ``path``'s extension when not given, as the exports do.

    A symlink is followed: the export is written where it points. Checks that the output is
    not a pipe or a device, that the folder exists and is writable, that neither the output
    nor the files beside it (``.partial``, ``.checkpoint``, ``.lock``) are folders, that
    Parquet has pyarrow, and, with ``overwrite=False``, that no finished output is there
    already (unless ``resume`` finds a checkpoint to finish) and, unless ``resume``, that no
    earlier export stopped before it ended left its checkpoint.

    Raises:
        ValidationError: the path cannot be used; the message names it and says why.
        MissingExtraError: Parquet without pyarrow installed.
    """
    check_path(path)
    _check_flag(resume, "resume")
    _check_flag(overwrite, "overwrite")
    try:
        return check_output_path(path, _format(format, path), resume=resume, overwrite=overwrite)
    except OSError as exc:
        # A name past what the file system takes (over 255 bytes), in the path or a folder
        # of it: pathlib's checks raise it where they say False for a missing file.
        raise ValidationError(f"cannot write {os.fspath(path)}: {exc.strerror or exc}") from None


async def _run(
    *,
    kind: Kind,
    fmt: Format,
    path: str | os.PathLike[str],
    query: str,
    make_scan: Callable[[dict[str, Any] | None], Scan[Any]],
    resume: bool,
    overwrite: bool,
    progress: ProgressCallback | None,
    source: str,
    redact: Redactor,
) -> ExportSummary:
    started = time.monotonic()
    check_output(path, fmt, resume=resume, overwrite=overwrite)
    paths = ExportPaths.for_output(path, staged=fmt == "parquet")
    callback = _Callback(progress)
    with paths.lock():
        if not overwrite:
            # Again under the lock: another export to this path may have finished since the
            # check above (or a command's own, made before its client started), and its
            # output is not this one's to replace.
            refuse_finished_output(paths, resume=resume)
        try:
            return await _locked(
                kind, fmt, paths, query, source, make_scan, resume, callback, started, redact
            )
        except OSError as exc:
            # Not the output's: a connection error, the client's RequestTimeoutError, which
            # is a TimeoutError and so an OSError too, or the callback's own (a webhook's
            # timeout), which its caller catches as it raised it.
            if isinstance(exc, (ConnectionError, OmsError)) or callback.raised:
                raise
            # A full disk, a file-size limit, a folder gone: each batch was saved with its
            # checkpoint, so what was written before is kept for a resume.
            if paths.checkpoint.exists():
                kept = (
                    "the rows written before are kept, and a resume continues from them once "
                    "it can be written"
                )
            else:
                # Failed before a first batch was saved: nothing to resume, and what was
                # written would only hold on to the room a full disk needs.
                with suppress(OSError):
                    paths.clear()
                kept = "no row was kept; run it again once it can be written"
            raise ExportError(
                f"cannot write the export {paths.final}: {exc.strerror or exc}; {kept}"
            ) from exc


def _load(paths: ExportPaths, kind: str, fmt: Format, query: str, source: str) -> Checkpoint | None:
    checkpoint = Checkpoint.load(paths.checkpoint)
    if checkpoint is not None:
        if checkpoint.source is None and not checkpoint.finished:
            # Written before the source was recorded: nothing tells whether another server's
            # or user's rows would be appended to these (a finished one only renames).
            raise CheckpointError(
                f"cannot resume: {paths.checkpoint} was written by an earlier omsclient, which "
                "did not record the server and user it read from; start again without resume"
            )
        if checkpoint.source not in (None, source):
            # The same filters on another shop's server (the sandbox's, say): its rows would
            # be appended to these.
            raise OtherServerCheckpointError(
                f"cannot resume: {paths.checkpoint} was written reading from "
                f"{host_of(checkpoint.source)} (or as another user); resume against "
                "the same server and user, or start again without resume"
            )
        if (checkpoint.kind, checkpoint.format) != (kind, fmt):
            raise CheckpointError(
                f"cannot resume: {paths.checkpoint} is for a {checkpoint.format} export of "
                f"{checkpoint.kind}, not {fmt} of {kind}"
            )
        if checkpoint.query != query:
            raise CheckpointError(
                f"cannot resume: {paths.checkpoint} was written with other filters, or another "
                "legacy_timezone (OMS_LEGACY_TIMEZONE), or by an earlier omsclient, which "
                "recorded them otherwise; resume with the same ones, or start again without "
                "resume"
            )
    return checkpoint


def _remove(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def _finish(paths: ExportPaths, checkpoint: Checkpoint) -> None:
    """Rename the complete output into place and remove the export's files.

    Every step can be repeated: a kill anywhere in here leaves a finished checkpoint, and the
    resume calls this again. The output's identity in the checkpoint tells whether the rename
    already happened (``final`` may be an older export's file until then).
    """
    if paths.identity(paths.final) != checkpoint.output:
        if paths.identity(paths.partial) != checkpoint.output:
            raise CheckpointError(
                f"cannot resume: {paths.partial} is missing or changed since the export "
                "finished; start again without resume"
            )
        _keep_mode(paths.partial, paths.final)
        os.replace(paths.partial, paths.final)
    # The checkpoint goes last: while it exists, a resume can still finish the job.
    _remove(paths.staging)
    _remove(paths.checkpoint)


def _keep_mode(new: Path, old: Path) -> None:
    """Give ``new`` the permission bits of ``old``, the file it replaces: an output made
    private (``chmod 600``) stays so, as a shell's ``>`` and ``cp`` keep it."""
    try:
        mode = stat.S_IMODE(old.stat().st_mode)
    except FileNotFoundError:
        return
    os.chmod(new, mode)


async def _to_parquet(
    staging: Path,
    partial: Path,
    mode: int,
    redact: Redactor,
    rows: int,
    tick: Callable[[float], Awaitable[None]],
) -> None:
    """Convert the ``rows`` staged in a thread that has stopped when this returns, awaiting
    ``tick(share done)`` now and every :data:`CONVERTING_EVERY` seconds meanwhile (a long
    conversion would otherwise look hung).

    A cancelled wait for a thread returns at once (asyncio's task.cancel(), a timeout, Ctrl-C)
    and the thread would go on writing ``partial`` after the export ended and released its
    lock, under a resume's own conversion. So the thread is told to stop, which it does at its
    next row, and waited for; so it is when ``tick`` raises. Not in a task group, which would
    raise a failed conversion or tick inside an exception group.
    """
    stop, finished = threading.Event(), threading.Event()
    failed: list[BaseException] = []
    read = 0  # rows, over the conversion's passes: two, and two more if rows need tidying

    def counted(chunk: int) -> None:
        nonlocal read
        read += chunk

    def share() -> float:
        # Short of 1 until it ends: a failed pass's tidying and second try read them again.
        return min(read / (2 * rows), 0.99) if rows else 0.0

    def convert() -> None:
        try:
            jsonl_to_parquet(staging, partial, stop, redact, counted, mode=mode)
        except BaseException as exc:  # raised in the event loop's task, as itself
            failed.append(exc)
        finally:
            finished.set()

    threading.Thread(target=convert, name="omsclient-parquet", daemon=True).start()
    try:
        await tick(share())
        while not await anyio.to_thread.run_sync(
            finished.wait, CONVERTING_EVERY, abandon_on_cancel=True
        ):
            await tick(share())
    finally:
        stop.set()
        if not finished.is_set():
            # Waited for in another thread, so the event loop's other tasks run meanwhile.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(finished.wait)
    if failed:
        raise failed[0]


def _summary(
    kind: Kind,
    fmt: Format,
    paths: ExportPaths,
    checkpoint: Checkpoint,
    *,
    this_run: int,
    resumed: bool,
    started: float,
    requests: int,
) -> ExportSummary:
    return ExportSummary(
        path=paths.final,
        kind=kind,
        format=fmt,
        exported=checkpoint.rows,
        server_total=checkpoint.server_total,
        this_run=this_run,
        resumed=resumed,
        elapsed=time.monotonic() - started,
        requests=requests,
        windows=len(checkpoint.scan.get("windows", [None])),
        missed_because=checkpoint.missed_because,
    )


@attrs.define
class _Callback:
    """The ``progress`` callback, remembering whether an exception came from it."""

    progress: ProgressCallback | None
    raised: bool = False

    async def __call__(self, where: ExportProgress) -> None:
        try:
            await report(self.progress, where)
        except BaseException:
            self.raised = True
            raise


async def _locked(
    kind: Kind,
    fmt: Format,
    paths: ExportPaths,
    query: str,
    source: str,
    make_scan: Callable[[dict[str, Any] | None], Scan[Any]],
    resume: bool,
    progress: _Callback,
    started: float,
    redact: Redactor,
) -> ExportSummary:
    checkpoint = _load(paths, kind, fmt, query, source) if resume else None
    if checkpoint is not None and checkpoint.finished:
        # Killed after the output was complete: finish the rename and the clean-up only.
        _finish(paths, checkpoint)
        return _summary(
            kind, fmt, paths, checkpoint, this_run=0, resumed=True, started=started, requests=0
        )
    try:
        scan = make_scan(checkpoint.scan if checkpoint else None)
    except ValidationError as exc:
        if checkpoint is None:
            raise
        raise CheckpointError(f"cannot resume from {paths.checkpoint}: {exc}") from None
    if checkpoint is None:
        paths.clear()

    await scan.plan()  # an order scan's first page gives the total: count() then sends nothing
    total = await scan.count()
    exported = checkpoint.rows if checkpoint else 0
    this_run = 0
    made_as = paths.made_as()
    writer = _open_writer(fmt, paths.rows_file, checkpoint, made_as)
    columns: tuple[str, ...] | None = None

    earlier = checkpoint.missed_because if checkpoint else ()

    def save(size: int) -> Checkpoint:
        state = scan.state
        assert state is not None
        saved = Checkpoint(
            kind,
            fmt,
            query,
            state.to_dict(),
            exported,
            size,
            columns,
            source=source,
            missed_because=tuple(dict.fromkeys((*earlier, *scan.missed_because))),
        )
        saved.save(paths.checkpoint, made_as)
        return saved

    try:
        # Closed here, not by the garbage collector: a failing write or progress callback
        # must not leave the scan's window fetches in flight.
        async with aclosing(scan.pages()) as pages:
            async for page in pages:
                writer.write(page.items)
                exported += len(page.items)
                this_run += len(page.items)
                columns = writer.columns if isinstance(writer, CsvWriter) else None
                save(writer.sync())
                await progress(
                    ExportProgress(exported, total, this_run, time.monotonic() - started)
                )
        columns = writer.columns if isinstance(writer, CsvWriter) else None
        done = save(writer.sync())
    finally:
        writer.close()

    server_total = await scan.count()
    if paths.staging is not None:

        async def converting(share: float) -> None:
            elapsed = time.monotonic() - started
            done = ExportProgress(exported, total, this_run, elapsed, True, share)
            await progress(done)

        await _to_parquet(paths.staging, paths.partial, made_as, redact, exported, converting)
    output = paths.identity(paths.partial)
    if output is None:
        raise ExportError(
            f"{paths.partial} was removed before it could be renamed to {paths.final}; "
            "start again without resume"
        )
    done = attrs.evolve(done, server_total=server_total, output=output)
    done.save(paths.checkpoint, made_as)
    _finish(paths, done)
    return _summary(
        kind,
        fmt,
        paths,
        done,
        this_run=this_run,
        resumed=checkpoint is not None,
        started=started,
        requests=scan.requests,
    )


async def export_orders(
    client: AsyncClient,
    path: str | os.PathLike[str],
    *conditions: Condition,
    format: Format | None = None,
    since: DateLike | None = None,
    until: DateLike | None = None,
    windows: int = DEFAULT_WINDOWS,
    resume: bool = False,
    overwrite: bool = True,
    progress: ProgressCallback | None = None,
    include_workflow_data: bool = False,
    include_po_data: bool = False,
    include_shipments: bool = False,
    include_production_file_info: bool = False,
    include_login_tokens: bool = False,
) -> ExportSummary:
    """Export every order matching the conditions to ``path``, each exactly once.

    Orders are read with :meth:`Orders.scan <omsclient.legacy.Orders.scan>` (a keyset scan on
    Date Ordered, ``windows`` ranges at once), so the output is right even while orders arrive
    and change: every order that matched for the whole export is in it exactly once, as long
    as its Date Ordered does not change (a re-dated order comes again at its new date). Rows go
    to ``PATH.partial``, renamed to ``path`` at the end; a checkpoint (``PATH.checkpoint``) is
    written after each batch, so a killed export continues with ``resume=True`` and the output
    still holds each order once. Memory stays flat: rows stream from the scan to the file.

    Args:
        client: the client to read with.
        path: the output file; a symlink is followed (the file it points to is written).
        conditions: filters on :class:`~omsclient.legacy.OrderField` s, ANDed (none: all).
        format: ``"jsonl"`` (every field as sent), ``"csv"`` (one row per order, nested values
            as JSON) or ``"parquet"`` (nested structure kept; needs ``omsclient[parquet]``).
            Without it, ``path``'s extension says: ``.jsonl`` (or ``.ndjson``), ``.csv``,
            ``.parquet``; any other extension is a :class:`~omsclient.ValidationError`.
        since, until: Date Ordered range, inclusive, UTC, to the second (a date alone in
            ``until`` runs to the end of that day).
        windows: date ranges scanned concurrently, 1..64.
        resume: continue from the checkpoint beside ``path`` if there is one (with the same
            filters and format); without it, an earlier partial output is replaced.
        overwrite: ``False`` refuses, before anything is sent, an output that exists already
            (a finished export; with ``resume``, one with no checkpoint left to finish), and,
            without ``resume``, the checkpoint of an earlier export that stopped before it
            ended, as :func:`check_output` does; checked again once the export holds its lock,
            so an export to the same path finishing meanwhile keeps its output.
        progress: called with an :class:`ExportProgress` after each batch; an exception it
            raises stops the export, resumable.
        include_workflow_data, include_po_data, include_shipments,
        include_production_file_info, include_login_tokens: what each order includes, as in
            :meth:`Orders.search <omsclient.legacy.Orders.search>`. Without
            ``include_login_tokens`` the server leaves the user's login key (a credential) out
            of document URLs, so it never reaches the file.

    Returns:
        An :class:`ExportSummary`: rows exported and the server's count at the end.

    Raises:
        ValidationError: bad filters, format or path, no format and an extension that
            names none, or, with ``overwrite=False``, an output already there (nothing sent).
        ConfigurationError: the client has no legacy API URL or credentials (nothing sent,
            no file written).
        CheckpointError: ``resume=True`` and the checkpoint belongs to another export.
        MissingExtraError: Parquet without pyarrow installed.
        ApiError, TransportError: the server failed; the export can be resumed.
    """
    fmt = _arguments(path, format, resume, overwrite, progress)
    includes = {
        "include_workflow_data": include_workflow_data,
        "include_po_data": include_po_data,
        "include_shipments": include_shipments,
        "include_production_file_info": include_production_file_info,
        "include_login_tokens": include_login_tokens,
    }
    for name, value in includes.items():
        _check_flag(value, name)  # before the fingerprint, whose JSON takes no huge integer
    query = query_fingerprint(
        "orders",
        fmt,
        client.settings.order_field_numbering,
        conditions,
        client.settings.legacy_timezone,
        since=None if since is None else format_since(since),
        until=None if until is None else format_until(until),
        includes=includes,
    )

    def make_scan(state: dict[str, Any] | None) -> Scan[Any]:
        options: dict[str, Any] = {
            "since": since,
            "until": until,
            "windows": windows,
            "state": None if state is None else ScanState.from_dict(state),
            **includes,
        }
        # Each order's bytes as sent: JSON lines (and Parquet, made from them) write them as
        # they are, CSV reads them with every integer exact (raw=True's dicts hold an integer
        # beyond 64 bits as a float).
        return client.legacy.orders.scan(*conditions, raw="sent", **options)

    make_scan(None)  # checks every argument before anything is touched or sent
    return await _run(
        kind="orders",
        fmt=fmt,
        path=path,
        query=query,
        make_scan=make_scan,
        resume=resume,
        overwrite=overwrite,
        progress=progress,
        source=source_of(client),
        # A value pyarrow quotes in its error may be a secret the server echoed.
        redact=client._session.redact,
    )


async def export_products(
    client: AsyncClient,
    path: str | os.PathLike[str],
    *conditions: Condition,
    format: Format | None = None,
    resume: bool = False,
    overwrite: bool = True,
    progress: ProgressCallback | None = None,
) -> ExportSummary:
    """Export every product matching the conditions to ``path``, each exactly once.

    Products are read in ascending Product Id (``id > last id``), which never changes, so
    products added or edited during the export cannot make it skip or repeat one. Output,
    checkpoints, resume and formats work as in :func:`export_orders`.

    Args:
        client: the client to read with.
        path: the output file.
        conditions: filters on :class:`~omsclient.legacy.ProductField` s, ANDed (none: all).
        format: ``"jsonl"``, ``"csv"`` or ``"parquet"``; without it, from ``path``'s
            extension as in :func:`export_orders`.
        resume: continue from the checkpoint beside ``path``.
        overwrite: ``False`` keeps an output already there, as in :func:`export_orders`.
        progress: called with an :class:`ExportProgress` after each batch.

    Raises:
        ValidationError: bad filters, format or path, no format and an extension that names
            none, a ``resume`` or ``overwrite`` that is no bool, a ``progress`` that cannot
            be called, a ``client`` that is no client, or, with ``overwrite=False``, an output
            already there (nothing sent).
        ConfigurationError: the client has no legacy API URL or credentials (nothing sent,
            no file written).
        CheckpointError: ``resume=True`` and the checkpoint belongs to another export.
        MissingExtraError: Parquet without pyarrow installed.
        ApiError, TransportError: the server failed; the export can be resumed.
    """
    fmt = _arguments(path, format, resume, overwrite, progress)
    query = product_query_fingerprint(fmt, conditions, client.settings.legacy_timezone)

    def make_scan(state: dict[str, Any] | None) -> Scan[Any]:
        return scan_products(
            client.legacy.products,
            *conditions,
            state=None if state is None else ProductScanState.from_dict(state),
        )

    make_scan(None)
    return await _run(
        kind="products",
        fmt=fmt,
        path=path,
        query=query,
        make_scan=make_scan,
        resume=resume,
        overwrite=overwrite,
        progress=progress,
        source=source_of(client),
        # A value pyarrow quotes in its error may be a secret the server echoed.
        redact=client._session.redact,
    )
