"""The ``omsclient`` command: bulk export, incremental sync into a database, the sandbox.

Exit codes: 0 done, 1 the server or the network failed (or the output could not be written),
2 bad arguments or settings (nothing was sent), 130 interrupted (resume with ``--resume``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omsclient._redact import Redactor
from omsclient.dbsync import (
    DEFAULT_OVERLAP,
    DatabaseError,
    SyncProgress,
    SyncSummary,
    sync_orders,
    sync_products,
)
from omsclient.errors import (
    ApiError,
    ConfigurationError,
    DecodeError,
    OmsError,
    TransportError,
    ValidationError,
)
from omsclient.export import (
    DEFAULT_WINDOWS,
    FORMATS,
    CheckpointError,
    ExportProgress,
    ExportSummary,
    MissingExtraError,
    check_output,
)
from omsclient.export._checkpoint import ExportPaths
from omsclient.export._exporter import export_orders, export_products  # the async functions
from omsclient.legacy import Condition, Op, OrderField, ProductField, format_datetime
from omsclient.legacy._scan import MAX_WINDOWS
from omsclient.sandbox._config import DEFAULT_ORDERS, DEFAULT_PRODUCTS

if TYPE_CHECKING:
    from omsclient.sandbox import SandboxInfo

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

SANDBOX_LATENCY = 0.05

_ENVIRONMENT = """\
credentials:
  Read from the environment only: OMS_LEGACY_URL, OMS_USERNAME, OMS_PASSWORD.
  There are no options for them on purpose: a password typed as an option stays in your shell
  history and is visible to every user of the machine in the process list (ps).
  Try it without any: --sandbox reads from a built-in sandbox.

exit codes:
  0 done, 1 server or network error, 2 bad arguments (nothing sent), 130 interrupted.
"""

_ORDER_FIELDS = {
    "ordered": OrderField.DATE_ORDERED,
    "production_files_ready": OrderField.DATE_PRODUCTION_FILES_READY,
    "files_ready": OrderField.DATE_PRODUCTION_FILES_READY,
    "invoice": OrderField.INVOICE_NUMBER,
    "invoice_number": OrderField.INVOICE_NUMBER,
    "status": OrderField.ORDER_STATUS,
    "order_status": OrderField.ORDER_STATUS,
    "due": OrderField.DATE_DUE,
    "shipped": OrderField.DATE_SHIPPED,
    "invoiced": OrderField.DATE_INVOICED,
    "modified": OrderField.DATE_MODIFIED,
}
_PRODUCT_FIELDS = {
    "code": ProductField.CODE,
    "name": ProductField.NAME,
    "supplier": ProductField.SUPPLIER,
    "id": ProductField.PRODUCT_ID,
    "product_id": ProductField.PRODUCT_ID,
    "modified": ProductField.DATE_MODIFIED,
}
_OPS = {
    "eq": Op.EQ,
    "==": Op.EQ,
    "=": Op.EQ,
    "ne": Op.NE,
    "!=": Op.NE,
    "lt": Op.LT,
    "<": Op.LT,
    "gt": Op.GT,
    ">": Op.GT,
    "le": Op.LE,
    "<=": Op.LE,
    "ge": Op.GE,
    ">=": Op.GE,
    "between": Op.BETWEEN,
}
_INCLUDES = {
    "workflow": "include_workflow_data",
    "po": "include_po_data",
    "shipments": "include_shipments",
    "production-files": "include_production_file_info",
}
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


# -- argument types ----------------------------------------------------------------------------


def _date(text: str) -> str:
    try:
        return format_datetime(text)
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date like 2024-01-31 or 2024-01-31T08:00:00 (UTC)"
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds >= 0")
    return value


def _count(text: str) -> int:
    return 0 if text.strip() == "0" else _positive(text)


def _windows(text: str) -> int:
    value = _positive(text)
    if value > MAX_WINDOWS:
        raise argparse.ArgumentTypeError(f"at most {MAX_WINDOWS}")
    return value


def _status(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a status number (1 ready for production, 2 ready for shipping, "
            "3 shipped)"
        ) from None


def _includes(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in _INCLUDES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown part {', '.join(unknown) or text!r}; choose from {', '.join(_INCLUDES)}"
        )
    return names


def _field_key(text: str) -> str:
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    return key.removeprefix("date_")


def _where(text: str, fields: dict[str, Any]) -> Condition:
    """``FIELD:OP:VALUE`` (a date VALUE may hold colons; BETWEEN takes ``DATE1..DATE2``)."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise ValidationError(f"--where {text!r}: expected FIELD:OP:VALUE, e.g. status:eq:1")
    name, op_text, value = (p.strip() for p in parts)
    field = fields.get(_field_key(name))
    if field is None:
        raise ValidationError(
            f"--where {text!r}: unknown field {name!r}; choose from {', '.join(sorted(fields))}"
        )
    op = _OPS.get(op_text.lower())
    if op is None:
        raise ValidationError(
            f"--where {text!r}: unknown operator {op_text!r}; use eq, ne, lt, gt, le, ge or between"
        )
    if not field.is_date:
        return Condition(field, op, string=value)
    if op is Op.BETWEEN:
        low, sep, high = value.partition("..")
        if not sep:
            raise ValidationError(f"--where {text!r}: between takes DATE1..DATE2")
        return Condition(field, op, date1=low.strip(), date2=high.strip())
    return Condition(field, op, date1=value)


# -- the parser --------------------------------------------------------------------------------


def _add_filter_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    orders = kind == "orders"
    filters = parser.add_argument_group("filters (all ANDed)")
    filters.add_argument("--since", type=_date, metavar="DATE", help="from this date (UTC)")
    filters.add_argument("--until", type=_date, metavar="DATE", help="up to this date, inclusive")
    if orders:
        filters.add_argument(
            "--date-field",
            choices=("ordered", "production-files-ready", "due", "shipped", "invoiced", "modified"),
            default="ordered",
            help="the date --since/--until apply to (default: ordered)",
        )
        filters.add_argument("--status", type=_status, metavar="N", help="order status N only")
        filters.add_argument("--invoice", metavar="INV", help="this invoice number only")
    fields = ", ".join(sorted(_ORDER_FIELDS if orders else _PRODUCT_FIELDS))
    filters.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FIELD:OP:VALUE",
        help=f"any condition, repeatable; FIELD: {fields}; OP: eq ne lt gt le ge between "
        "(DATE1..DATE2). Example: --where modified:ge:2024-06-01",
    )


def _add_concurrency_argument(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--concurrency",
        type=_windows,
        default=DEFAULT_WINDOWS,
        metavar="N",
        help=f"date windows scanned at once, one request each (default {DEFAULT_WINDOWS})",
    )


def _add_sandbox_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    sandbox = parser.add_argument_group("sandbox (no credentials needed)")
    sandbox.add_argument(
        "--sandbox",
        action="store_true",
        help=f"{verb} from a built-in sandbox started in the background",
    )
    sandbox.add_argument(
        "--sandbox-orders",
        type=_positive,
        default=DEFAULT_ORDERS,
        metavar="N",
        help=f"orders the sandbox generates (default {DEFAULT_ORDERS})",
    )
    sandbox.add_argument(
        "--sandbox-latency",
        type=_seconds,
        default=SANDBOX_LATENCY,
        metavar="SECONDS",
        help=f"delay of each sandbox request (default {SANDBOX_LATENCY})",
    )
    sandbox.add_argument(
        "--sandbox-churn",
        type=_count,
        default=0,
        metavar="N",
        help="orders arriving and orders changing status at every sandbox search (default 0)",
    )


def _add_export_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    orders = kind == "orders"
    _add_filter_arguments(parser, kind)
    output = parser.add_argument_group("output")
    output.add_argument("--out", required=True, type=Path, metavar="PATH", help="the output file")
    output.add_argument(
        "--format",
        choices=FORMATS,
        help="default: from the --out extension (.jsonl, .csv, .parquet)",
    )
    output.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted export from the checkpoint beside --out",
    )
    output.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a finished export already at --out (without it, that is refused)",
    )
    if orders:
        output.add_argument(
            "--include",
            type=_includes,
            default=[],
            metavar="PARTS",
            help=f"add optional parts to each order, comma-separated: {', '.join(_INCLUDES)}",
        )
        output.add_argument(
            "--include-login-tokens",
            action="store_true",
            help="keep the user's login key in document URLs (a credential; left out by default)",
        )
        _add_concurrency_argument(output)
    output.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    _add_sandbox_arguments(parser, "export")


def _add_sync_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    _add_filter_arguments(parser, kind)
    database = parser.add_argument_group("database")
    database.add_argument(
        "--db",
        required=True,
        metavar="URL",
        help="sqlite:///orders.db (a file, created if missing) or postgresql://user@host/dbname",
    )
    if kind == "orders":
        _add_concurrency_argument(database)
        database.add_argument(
            "--overlap",
            type=_seconds,
            default=DEFAULT_OVERLAP.total_seconds(),
            metavar="SECONDS",
            help="a later run starts this long before the last watermark "
            f"(default {DEFAULT_OVERLAP.total_seconds():.0f})",
        )
    database.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    _add_sandbox_arguments(parser, "sync")


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``omsclient`` command."""
    from omsclient import __version__

    parser = argparse.ArgumentParser(
        prog="omsclient",
        description="Bulk export from a print-shop order management system.",
        epilog=_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"omsclient {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    export = commands.add_parser(
        "export",
        help="export orders or products to JSON lines, CSV or Parquet",
        description="Export every matching order or product exactly once, even while the "
        "data changes; resumable with --resume.",
        epilog=_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = export.add_subparsers(dest="kind", required=True, metavar="orders|products")
    for kind in ("orders", "products"):
        sub = kinds.add_parser(
            kind,
            help=f"export {kind}",
            epilog=_ENVIRONMENT,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_export_arguments(sub, kind)
        sub.set_defaults(usage_parser=sub)
    sync = commands.add_parser(
        "sync",
        help="keep orders or products in SQLite or PostgreSQL current, reading only changes",
        description="Store every matching order or product in a database table; later runs "
        "read only what changed. A run stopped at any point is completed by the next.",
        epilog=_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync_kinds = sync.add_subparsers(dest="kind", required=True, metavar="orders|products")
    for kind in ("orders", "products"):
        sub = sync_kinds.add_parser(
            kind,
            help=f"sync {kind}",
            epilog=_ENVIRONMENT,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_sync_arguments(sub, kind)
        sub.set_defaults(usage_parser=sub)
    from omsclient.sandbox._cli import add_arguments

    sandbox = commands.add_parser(
        "sandbox",
        help="serve the built-in sandbox (both APIs, generated data) until Ctrl-C",
        description="Serve the legacy and REST order management APIs from generated data.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_arguments(sandbox)
    sandbox.set_defaults(usage_parser=sandbox)
    for sub in (export, sync):
        sub.set_defaults(usage_parser=sub)
    return parser


# -- from arguments to an export ---------------------------------------------------------------


def _conditions(args: argparse.Namespace) -> tuple[list[Condition], dict[str, Any]]:
    """The conditions and the scan's own keyword arguments (``since``/``until``)."""
    conditions: list[Condition] = []
    scan: dict[str, Any] = {}
    if args.kind == "orders":
        if args.date_field == "ordered":
            # Date Ordered is the scan's key: a range on it narrows the keyset, not a filter.
            scan = {"since": args.since, "until": args.until}
        else:
            field = _ORDER_FIELDS[_field_key(args.date_field)]
            if args.since:
                conditions.append(Condition(field, Op.GE, date1=args.since))
            if args.until:
                conditions.append(Condition(field, Op.LE, date1=args.until))
        if args.status is not None:
            conditions.append(Condition(OrderField.ORDER_STATUS, Op.EQ, string=args.status))
        if args.invoice is not None:
            conditions.append(Condition(OrderField.INVOICE_NUMBER, Op.EQ, string=args.invoice))
        scan.update({_INCLUDES[name]: True for name in getattr(args, "include", [])})
        scan["include_login_tokens"] = getattr(args, "include_login_tokens", False)
        scan["windows"] = args.concurrency
    else:
        if args.since:
            conditions.append(Condition(ProductField.DATE_MODIFIED, Op.GE, date1=args.since))
        if args.until:
            conditions.append(Condition(ProductField.DATE_MODIFIED, Op.LE, date1=args.until))
    fields = _ORDER_FIELDS if args.kind == "orders" else _PRODUCT_FIELDS
    conditions.extend(_where(text, fields) for text in args.where)
    if args.since and args.until and args.until < args.since:
        raise ValidationError("--until is before --since")
    return conditions, scan


def _output_format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    fmt = _SUFFIXES.get(args.out.suffix.lower())
    if fmt is None:
        raise ValidationError(
            f"cannot tell the format from {str(args.out)!r}: add --format jsonl, csv or parquet"
        )
    return fmt


def _check_environment() -> None:
    import os

    missing = [
        name
        for name in ("OMS_LEGACY_URL", "OMS_USERNAME", "OMS_PASSWORD")
        if not os.environ.get(name)
    ]
    if missing:
        raise ConfigurationError(
            f"set {', '.join(missing)} in the environment (see omsclient export --help), "
            "or try --sandbox"
        )


@contextlib.contextmanager
def _sandbox(args: argparse.Namespace) -> Iterator[SandboxInfo]:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401

        from omsclient.sandbox import Churn, Faults, SandboxConfig, serve
    except ImportError:
        raise ConfigurationError(
            "--sandbox needs the sandbox extra: pip install 'omsclient[sandbox]'"
        ) from None
    config = SandboxConfig(
        orders=args.sandbox_orders,
        # As many products per order as the default sandbox has.
        products=max(50, args.sandbox_orders * DEFAULT_PRODUCTS // DEFAULT_ORDERS),
        faults=Faults(latency=args.sandbox_latency),
        churn=Churn(new_orders=args.sandbox_churn, changed_orders=args.sandbox_churn),
    )
    with serve(config) as info:
        yield info


# -- running -----------------------------------------------------------------------------------


class _Display:
    """A rich progress bar on stderr: rows, rate, and ETA from the server's total."""

    def __init__(self, kind: str, quiet: bool, verb: str = "exporting") -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.kind = kind
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=quiet,
        )
        self.task = self.progress.add_task(f"{verb} {kind}", total=None, rate="")

    def update_sync(self, done: SyncProgress) -> None:
        rate = done.read / done.elapsed if done.elapsed > 0 else 0.0
        self.progress.update(
            self.task,
            completed=done.read,
            total=max(done.total, done.read),
            rate=f"{rate:,.0f} {self.kind}/s",
        )

    def update(self, done: ExportProgress) -> None:
        rate = done.this_run / done.elapsed if done.elapsed > 0 else 0.0
        self.progress.update(
            self.task,
            completed=done.exported,
            total=max(done.total, done.exported),
            rate=f"{rate:,.0f} {self.kind}/s",
        )


def _summary_table(summary: ExportSummary) -> Any:
    from rich.table import Table

    table = Table(title=f"Exported {summary.kind}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rate = summary.this_run / summary.elapsed if summary.elapsed > 0 else 0.0
    difference = summary.difference
    note = ""
    if difference:
        note = (
            f" ({summary.kind} arrived or changed during the export; every one that matched "
            "throughout is in the file exactly once)"
        )
    rows = [
        ("Output", f"{summary.path} ({summary.format})"),
        (f"{summary.kind.capitalize()} exported", f"{summary.exported:,}"),
        ("Server total now", f"{summary.server_total:,}"),
        ("Difference", f"{difference:+,}{note}" if difference else "0"),
        ("This run", f"{summary.this_run:,}" + (" (resumed)" if summary.resumed else "")),
        ("Requests", f"{summary.requests:,} over {summary.windows} window(s)"),
        ("Elapsed", f"{summary.elapsed:.1f} s ({rate:,.0f} {summary.kind}/s)"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


async def _run_export(
    args: argparse.Namespace,
    fmt: str,
    conditions: list[Condition],
    scan: dict[str, Any],
    client_kwargs: dict[str, Any],
) -> ExportSummary:
    import omsclient

    display = _Display(args.kind, args.quiet)
    async with omsclient.AsyncClient(**client_kwargs) as oms:
        with display.progress:
            if args.kind == "orders":
                return await export_orders(
                    oms,
                    args.out,
                    *conditions,
                    format=fmt,  # type: ignore[arg-type]
                    resume=args.resume,
                    progress=display.update,
                    **scan,
                )
            return await export_products(
                oms,
                args.out,
                *conditions,
                format=fmt,  # type: ignore[arg-type]
                resume=args.resume,
                progress=display.update,
            )


@contextlib.contextmanager
def _collector_frozen() -> Iterator[None]:
    """Keep what start-up built out of the garbage collector's walks while the export runs.

    An export keeps pages of fresh objects alive, so CPython's full collections come often, and
    each walks every object of the process: the modules, rich, httpx, the sandbox. Frozen, they
    are not walked (see docs/performance.md); this command owns its process, so it may.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _error(message: str) -> None:
    # Errors from the client are redacted already; this also covers every other message.
    redact = Redactor([os.environ.get("OMS_PASSWORD"), os.environ.get("OMS_API_TOKEN")])
    print(f"omsclient: error: {redact(message)}", file=sys.stderr)


def _has_checkpoint(args: argparse.Namespace, fmt: str) -> bool:
    return ExportPaths.for_output(args.out, staged=fmt == "parquet").checkpoint.exists()


def _export(args: argparse.Namespace) -> int:
    try:
        conditions, scan = _conditions(args)
        fmt = _output_format(args)
        if not args.sandbox:
            _check_environment()
        # Before the sandbox starts and before the progress bar: fail at once on a bad --out.
        check_output(args.out, fmt, resume=args.resume, overwrite=args.overwrite)  # type: ignore[arg-type]
    except (ValidationError, ConfigurationError, MissingExtraError) as exc:
        _error(str(exc))
        return EXIT_USAGE
    try:
        with contextlib.ExitStack() as stack:
            client_kwargs: dict[str, Any] = {}
            if args.sandbox:
                info = stack.enter_context(_sandbox(args))
                client_kwargs = info.client_kwargs()
            with _collector_frozen():
                summary = asyncio.run(_run_export(args, fmt, conditions, scan, client_kwargs))
    except KeyboardInterrupt:
        if _has_checkpoint(args, fmt):
            _error(f"interrupted; run the same command with --resume to continue into {args.out}")
        else:
            _error("interrupted before anything was written")
        return EXIT_INTERRUPTED
    except (ValidationError, ConfigurationError, CheckpointError, MissingExtraError) as exc:
        _error(str(exc))
        return EXIT_USAGE
    except (ApiError, TransportError, DecodeError) as exc:
        hint = "\nRun the same command with --resume to continue."
        _error(f"{exc}{hint if _has_checkpoint(args, fmt) else ''}")
        return EXIT_ERROR
    except OmsError as exc:
        _error(str(exc))
        return EXIT_ERROR
    except OSError as exc:
        # Name the output the user asked for, not whichever of its side files failed.
        _error(f"cannot write {args.out}: {exc.strerror or exc} ({exc.filename})")
        return EXIT_ERROR
    if not args.quiet:
        from rich.console import Console

        Console().print(_summary_table(summary))
    return EXIT_OK


# -- sync --------------------------------------------------------------------------------------


def _sync_summary_table(summary: SyncSummary) -> Any:
    from rich.table import Table

    table = Table(title=f"Synced {summary.kind}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    how = "every matching row" if summary.full else "changes since the last run"
    if summary.resumed:
        how += ", continuing an interrupted run"
    rate = summary.read / summary.elapsed if summary.elapsed > 0 else 0.0
    rows = [
        ("Database", f"{summary.database} (table {summary.table})"),
        ("Read", f"{summary.read:,} ({how})"),
        ("New", f"{summary.new:,}"),
        ("Updated", f"{summary.updated:,}"),
        ("Unchanged", f"{summary.unchanged:,}"),
        ("Requests", f"{summary.requests:,}"),
        ("Elapsed", f"{summary.elapsed:.1f} s ({rate:,.0f} {summary.kind}/s)"),
    ]
    if summary.watermark is not None:
        rows.append(("Watermark", f"{summary.watermark} (Date Modified, UTC)"))
    for name, value in rows:
        table.add_row(name, value)
    return table


def _sync_call(args: argparse.Namespace, conditions: list[Condition], scan: dict[str, Any]) -> Any:
    """The sync the arguments describe, arguments checked; run it with an AsyncClient."""
    if args.kind == "orders":
        since, until = scan.get("since"), scan.get("until")

        def start(oms: Any, progress: Any) -> Any:
            return sync_orders(
                oms,
                args.db,
                *conditions,
                since=since,
                until=until,
                windows=args.concurrency,
                overlap=args.overlap,
                progress=progress,
            )

        return start

    def start_products(oms: Any, progress: Any) -> Any:
        return sync_products(oms, args.db, *conditions, progress=progress)

    return start_products


async def _run_sync(
    args: argparse.Namespace, start: Any, client_kwargs: dict[str, Any]
) -> SyncSummary:
    import omsclient

    display = _Display(args.kind, args.quiet, verb="syncing")
    async with omsclient.AsyncClient(**client_kwargs) as oms:
        with display.progress:
            summary: SyncSummary = await start(oms, display.update_sync)
            return summary


def _check_database(args: argparse.Namespace) -> None:
    from omsclient.dbsync._url import parse_database_url

    parse_database_url(args.db)


def _sync(args: argparse.Namespace) -> int:
    try:
        conditions, scan = _conditions(args)
        if not args.sandbox:
            _check_environment()
        _check_database(args)
        start = _sync_call(args, conditions, scan)
    except (ValidationError, ConfigurationError) as exc:
        _error(str(exc))
        return EXIT_USAGE
    again = "\nRun the same command again to continue."
    try:
        with contextlib.ExitStack() as stack:
            client_kwargs: dict[str, Any] = {}
            if args.sandbox:
                info = stack.enter_context(_sandbox(args))
                client_kwargs = info.client_kwargs()
            summary = asyncio.run(_run_sync(args, start, client_kwargs))
    except KeyboardInterrupt:
        _error("interrupted; every batch stored so far is kept: run the same command to continue")
        return EXIT_INTERRUPTED
    except (ValidationError, ConfigurationError) as exc:
        # DatabaseUrlError is one: the database could not be opened, nothing was sent.
        _error(str(exc))
        return EXIT_USAGE
    except (ApiError, TransportError, DecodeError, DatabaseError) as exc:
        _error(f"{exc}{again}")
        return EXIT_ERROR
    except OmsError as exc:
        _error(str(exc))
        return EXIT_ERROR
    if not args.quiet:
        from rich.console import Console

        Console().print(_sync_summary_table(summary))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``omsclient`` command with ``argv`` (default: the process arguments)."""
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:
            # argparse reports these with the top-level usage; the subcommand's is the help.
            usage: argparse.ArgumentParser = getattr(args, "usage_parser", parser)
            usage.error(f"unrecognized arguments: {' '.join(unknown)}")
    except SystemExit as exc:
        # argparse exits 2 after printing the usage error, 0 after --help.
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command == "sandbox":
        from omsclient.sandbox._cli import run

        return run(args)
    if args.command == "sync":
        return _sync(args)
    return _export(args)


if __name__ == "__main__":
    raise SystemExit(main())
