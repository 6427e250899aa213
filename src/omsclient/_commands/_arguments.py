"""The ``omsclient`` command's arguments: their types, their groups, and the conditions they
stand for."""

from __future__ import annotations

import argparse
import importlib.util
import math
import re
from pathlib import Path
from typing import Any

from omsclient._aiohttp_versions import aiohttp_problem
from omsclient._session import DEFAULT_MAX_RESPONSE_BYTES
from omsclient._validate import API_YEARS, INT64_MAX, OutsideTheYears
from omsclient.dbsync import DEFAULT_OVERLAP
from omsclient.dbsync._runner import MAX_OVERLAP
from omsclient.errors import ValidationError
from omsclient.export import DEFAULT_WINDOWS, FORMATS
from omsclient.export._paths import ends_as_a_folder
from omsclient.legacy import Condition, Op, OrderField, ProductField, format_datetime
from omsclient.legacy._scan import MAX_WINDOWS
from omsclient.legacy._scan_dates import LAST_SECOND, to_epoch_second
from omsclient.sandbox._cli import MAX_ORDERS
from omsclient.sandbox._config import DEFAULT_ORDERS

__all__ = [
    "SANDBOX_LATENCY",
    "add_export_arguments",
    "add_sandbox_arguments",
    "add_sync_arguments",
    "bulk_transport",
    "conditions_of",
    "count",
    "date_argument",
    "includes",
    "output_format",
    "output_path",
    "positive",
    "seconds",
    "status",
    "transport",
    "windows",
]

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
SANDBOX_LATENCY = 0.05
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


# The two forms the command takes, read the same on every Python: a date alone, or a date and
# a time (seconds optional) with an optional zone. datetime.fromisoformat alone would not do:
# from 3.11 it also reads 20240131, 2024-W05-3 or 2024-01-31Z as a midnight, and --until would
# then drop that whole day instead of running to its end.
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?", re.ASCII)


def _date(text: str) -> tuple[str, bool]:
    """``text`` as the API writes it, and whether it was a date alone."""
    stripped = text.strip()
    date_only = _DATE_ONLY.fullmatch(stripped) is not None
    if date_only or _DATE_TIME.fullmatch(stripped):
        # In the form asked for: its value is what is wrong, if anything.
        try:
            return format_datetime(stripped), date_only
        except OutsideTheYears:
            raise argparse.ArgumentTypeError(
                f"{text!r} is outside the years the API stores "
                f"({API_YEARS.start}..{API_YEARS.stop - 1} in UTC)"
            ) from None
        except ValidationError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is no real date and time (a month, day, hour, minute, second or "
                "offset out of range)"
            ) from None
    raise argparse.ArgumentTypeError(
        f"{text!r} is not a date like 2024-01-31 or 2024-01-31T08:00:00 (UTC; seconds may be "
        "left out, a Z or +01:00 may follow the time)"
    )


def date_argument(text: str) -> str:
    """A date argument, as the API writes it: a date alone is its midnight."""
    return _date(text)[0]


def _end_of_day(midnight: str) -> str:
    return midnight.replace("T00:00:00", "T23:59:59")


def until_argument(text: str) -> str:
    """An ``--until`` argument: a date alone stands for the whole of that day."""
    value, date_only = _date(text)
    return _end_of_day(value) if date_only else value


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


def sandbox_orders(text: str) -> int:
    value = positive(text)
    if value > MAX_ORDERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_ORDERS:,}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    # inf would be a wait that never ends.
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds >= 0")
    return value


def overlap_seconds(text: str) -> float:
    value = seconds(text)
    if value > MAX_OVERLAP.total_seconds():
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than a year ({MAX_OVERLAP.total_seconds():.0f} seconds)"
        )
    return value


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def invoice(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an invoice number, not a blank")
    return text


class _Once(argparse.Action):
    """Stores an option's value, refusing the option given twice (the second would replace the
    first without a word, where repeated --where conditions add up), and notes it given in
    ``given``: a --sandbox-* option without --sandbox would be ignored, and the command read
    from the server the OMS_* variables name, so the command refuses it."""

    repeatable = False

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if option_string in namespace.given and not self.repeatable:
            raise argparse.ArgumentError(self, "given twice: it takes one value")
        setattr(namespace, self.dest, values)
        namespace.given = [*namespace.given, option_string]


class _SandboxOnly(_Once):
    """As :class:`_Once`, the last value given kept: no filter, a setting of the sandbox."""

    repeatable = True


def windows(text: str) -> int:
    value = positive(text)
    if value > MAX_WINDOWS:
        raise argparse.ArgumentTypeError(f"at most {MAX_WINDOWS}")
    return value


_STATUS = re.compile(r"[0-9]{1,19}")


def status(text: str) -> int:
    # ASCII digits only (int() also reads other scripts' digits and 1_0), and a number a
    # status can be: 1 or more, within the API's 64-bit integers.
    digits = text.strip()
    if _STATUS.fullmatch(digits) and 1 <= int(digits) <= INT64_MAX:
        return int(digits)
    raise argparse.ArgumentTypeError(
        f"{text!r} is not a status number, a whole number >= 1 (1 ready for production, "
        "2 ready for shipping, 3 shipped)"
    )


def includes(text: str) -> list[str]:
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
        example = "status:eq:1" if fields is _ORDER_FIELDS else "id:gt:100"
        raise ValidationError(f"--where {text!r}: expected FIELD:OP:VALUE, e.g. {example}")
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
    try:
        if not field.is_date:
            if op is Op.BETWEEN:
                raise ValidationError(f"between works on date fields only, not {name}")
            return Condition(field, op, string=value)
        if op is Op.BETWEEN:
            low, sep, high = value.partition("..")
            if not sep:
                raise ValidationError("between takes DATE1..DATE2")
            return Condition(field, op, date1=_where_date(low), date2=until_argument(high))
        return _date_condition(field, op, value)
    except (ValidationError, argparse.ArgumentTypeError) as exc:
        # Said in the command's words: the option and the text typed, not Condition's.
        raise ValidationError(f"--where {text!r}: {_in_command_words(str(exc), name)}") from None


def _date_condition(field: Any, op: Op, text: str) -> Condition:
    """A date alone stands for the whole of that day, as in ``--since``/``--until``: the
    server compares to the second, and its midnight alone would drop the rest of the day from
    ``le`` and ``between`` and match almost nothing with ``eq``."""
    start, date_only = _date(text)
    if not date_only:
        return Condition(field, op, date1=start)
    end = _end_of_day(start)
    if op is Op.EQ:
        return Condition(field, Op.BETWEEN, date1=start, date2=end)
    if op is Op.NE:
        # Outside a day is two ranges; conditions are ANDed, so no one condition says it.
        raise ValidationError(
            "ne takes a date and a time (a date alone is a whole day, which one condition "
            "cannot leave out)"
        )
    return Condition(field, op, date1=end if op in (Op.LE, Op.GT) else start)


def _where_date(text: str) -> str:
    """A ``--where`` date, held to the forms ``--since`` takes (fromisoformat alone would read
    20240131 or 2024-W05-3 as a midnight from Python 3.11 on)."""
    return _date(text)[0]


def _in_command_words(message: str, name: str) -> str:
    # Condition speaks of the Python API ("OrderField.ORDER_STATUS holds whole numbers:
    # string must be one"); the user typed a field name and a value.
    message = re.sub(r"^(?:Order|Product)Field\.\w+(?: string)?", name, message)
    return message.replace(": string must be one", ": the value must be one")


def _add_filter_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    orders = kind == "orders"
    filters = parser.add_argument_group("filters (all ANDed)")
    # An order's date is chosen with --date-field; a product's is the date it was modified.
    modified = "" if orders else "modified "
    filters.add_argument(
        "--since",
        type=date_argument,
        action=_Once,
        metavar="DATE",
        help=f"{modified}from this date (UTC)",
    )
    filters.add_argument(
        "--until",
        type=until_argument,
        action=_Once,
        metavar="DATE",
        help=f"{modified}up to this date, inclusive (a date alone: to the end of that day)",
    )
    if orders:
        filters.add_argument(
            "--date-field",
            action=_Once,
            choices=("ordered", "production-files-ready", "due", "shipped", "invoiced", "modified"),
            default="ordered",
            metavar="FIELD",
            help="the date --since/--until apply to: ordered (the default), "
            "production-files-ready, due, shipped, invoiced or modified",
        )
        filters.add_argument(
            "--status", type=status, action=_Once, metavar="N", help="order status N only"
        )
        filters.add_argument(
            "--invoice", type=invoice, action=_Once, metavar="INV", help="this invoice number only"
        )
        # The two order documents swap fields 6 and 7: the server's own numbering decides what
        # "shipped" and "invoiced" filter on, so the command must be able to follow either.
        filters.add_argument(
            "--field-numbering",
            action=_Once,
            choices=("api", "blueprint"),
            default="api",
            help="how the server numbers order fields 6 and 7: api = 6 Shipped, 7 Invoiced "
            "(the API reference, default); blueprint = 6 Invoiced, 7 Shipped",
        )
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
        type=windows,
        default=DEFAULT_WINDOWS,
        metavar="N",
        help=f"date windows scanned at once, one request each (default {DEFAULT_WINDOWS})",
    )


def bulk_transport() -> str:
    """aiohttp when the ``aiohttp`` extra's packages are installed (releases it works with):
    a bulk job's CPU goes mostly to reading large answers, which aiohttp does with less (see
    docs/performance.md); httpx otherwise."""
    return "aiohttp" if _aiohttp_refused() is None else "httpx"


def output_path(text: str) -> Path:
    """An ``--out`` argument: a file, never ``-``, which a command-line user means as stdout."""
    if text == "-":
        # Checked on the text: Path("./-") is Path("-"), and ./- is how to name that file.
        raise argparse.ArgumentTypeError(
            "'-' (stdout) cannot take an export: it is written to a file beside its checkpoint "
            "(what --resume continues from) and renamed into place when complete; name a file, "
            "e.g. --out orders.jsonl, and read it when the command ends (a file named '-': "
            "--out ./-)"
        )
    if not text:
        # Path("") is Path("."): an unset $OUT was "cannot tell the format from '.'".
        raise argparse.ArgumentTypeError("is empty: name a file, e.g. --out orders.jsonl")
    if ends_as_a_folder(text):
        # Checked on the text, which the Path returned forgets: the export would write a file
        # named new.
        raise argparse.ArgumentTypeError(f"{text} names a folder; name a file in it")
    return Path(text)


def transport(text: str) -> str:
    """A ``--transport`` argument whose package is installed: refused here, in the command's
    words, rather than by the client once the sandbox has started."""
    problem = _aiohttp_refused() if text == "aiohttp" else None
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{problem}, or use httpx")
    return text


def _aiohttp_refused() -> str | None:
    """Why the aiohttp transport cannot be used, in the command's words, or None."""
    problem = aiohttp_problem()
    if problem is not None:
        return problem.replace('transport="aiohttp"', "aiohttp", 1)
    if importlib.util.find_spec("httpx_aiohttp") is None:
        return 'aiohttp needs httpx-aiohttp: pip install "omsclient[aiohttp]"'
    return None


MIB = 1024 * 1024
_MOST_MIB = 1024 * 1024  # a tebibyte: more than any answer a machine could hold


def mebibytes(text: str) -> int:
    """A ``--max-response-mib`` argument."""
    value = positive(text)
    if value > _MOST_MIB:
        raise argparse.ArgumentTypeError(f"{text!r} is over {_MOST_MIB:,} (a tebibyte)")
    return value


def _add_client_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--transport",
        type=transport,
        choices=("httpx", "aiohttp"),
        default=bulk_transport(),
        help="what sends the requests (default: aiohttp when omsclient[aiohttp] is installed, "
        "else httpx)",
    )
    group.add_argument(
        "--max-response-mib",
        type=mebibytes,
        default=DEFAULT_MAX_RESPONSE_BYTES // MIB,
        metavar="N",
        help="the largest answer read, in MiB: a page of 100 orders or products over it is "
        f"refused (default {DEFAULT_MAX_RESPONSE_BYTES // MIB})",
    )


def add_sandbox_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    sandbox = parser.add_argument_group("sandbox (no credentials needed)")
    sandbox.add_argument(
        "--sandbox",
        action="store_true",
        help=f"{verb} from a built-in sandbox started in the background",
    )
    parser.set_defaults(given=[])
    sandbox.add_argument(
        "--sandbox-orders",
        action=_SandboxOnly,
        type=sandbox_orders,
        default=DEFAULT_ORDERS,
        metavar="N",
        help=f"orders the sandbox generates (default {DEFAULT_ORDERS})",
    )
    sandbox.add_argument(
        "--sandbox-latency",
        action=_SandboxOnly,
        type=seconds,
        default=SANDBOX_LATENCY,
        metavar="SECONDS",
        help=f"delay of each sandbox request (default {SANDBOX_LATENCY})",
    )
    sandbox.add_argument(
        "--sandbox-churn",
        action=_SandboxOnly,
        type=count,
        default=0,
        metavar="N",
        help=(
            "orders arriving and orders changing status at every sandbox search (default 0; "
            "from 99 on, an orders scan without --until never catches up with the arrivals)"
        ),
    )


def add_export_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    orders = kind == "orders"
    _add_filter_arguments(parser, kind)
    output = parser.add_argument_group("output")
    output.add_argument(
        "--out",
        required=True,
        type=output_path,
        action=_Once,
        metavar="PATH",
        help="the output file (not -)",
    )
    output.add_argument(
        "--format",
        action=_Once,
        choices=FORMATS,
        help="default: from the --out extension (.jsonl or .ndjson, .csv, .parquet)",
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
            type=includes,
            action="extend",  # repeated, the parts add up
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
    _add_client_arguments(output)
    output.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    add_sandbox_arguments(parser, "export")


def add_sync_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    _add_filter_arguments(parser, kind)
    database = parser.add_argument_group("database")
    database.add_argument(
        "--db",
        required=True,
        action=_Once,
        metavar="URL",
        help="sqlite:///orders.db (a file, created if missing) or postgresql://user@host/dbname",
    )
    if kind == "orders":
        _add_concurrency_argument(database)
        database.add_argument(
            "--overlap",
            type=overlap_seconds,
            default=DEFAULT_OVERLAP.total_seconds(),
            metavar="SECONDS",
            help="a later run starts this long before the last watermark "
            f"(default {DEFAULT_OVERLAP.total_seconds():.0f})",
        )
    _add_client_arguments(database)
    database.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    add_sandbox_arguments(parser, "sync")


def _bound(until: str | None) -> str | None:
    """``--until``, or None where it is no bound (the API's last second, as the scan reads
    it): sent as a condition on another date than the scan's, it would leave out every row
    without one (an order never shipped)."""
    if until is None or to_epoch_second(until, "--until") >= LAST_SECOND:
        return None
    return until


def conditions_of(args: argparse.Namespace) -> tuple[list[Condition], dict[str, Any]]:
    """The conditions and the scan's own keyword arguments (``since``/``until``)."""
    conditions: list[Condition] = []
    scan: dict[str, Any] = {}
    until = _bound(args.until)
    if args.kind == "orders":
        if args.date_field == "ordered":
            # Date Ordered is the scan's key: a range on it narrows the keyset, not a filter.
            scan = {"since": args.since, "until": until}
        else:
            field = _ORDER_FIELDS[_field_key(args.date_field)]
            if args.since:
                conditions.append(Condition(field, Op.GE, date1=args.since))
            if until:
                conditions.append(Condition(field, Op.LE, date1=until))
        if args.status is not None:
            conditions.append(Condition(OrderField.ORDER_STATUS, Op.EQ, string=args.status))
        if args.invoice is not None:
            try:
                invoiced = Condition(OrderField.INVOICE_NUMBER, Op.EQ, string=args.invoice)
            except ValidationError as exc:
                raise ValidationError(_in_command_words(str(exc), "--invoice")) from None
            conditions.append(invoiced)
        scan.update({_INCLUDES[name]: True for name in getattr(args, "include", [])})
        scan["include_login_tokens"] = getattr(args, "include_login_tokens", False)
        scan["windows"] = args.concurrency
    else:
        if args.since:
            conditions.append(Condition(ProductField.DATE_MODIFIED, Op.GE, date1=args.since))
        if until:
            conditions.append(Condition(ProductField.DATE_MODIFIED, Op.LE, date1=until))
    fields = _ORDER_FIELDS if args.kind == "orders" else _PRODUCT_FIELDS
    conditions.extend(_where(text, fields) for text in args.where)
    if args.since and args.until and args.until < args.since:
        raise ValidationError("--until is before --since")
    return conditions, scan


def output_format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    fmt = _SUFFIXES.get(args.out.suffix.lower())
    if fmt is None:
        raise ValidationError(
            f"cannot tell the format from {str(args.out)!r}: add --format jsonl, csv or parquet"
        )
    return fmt
