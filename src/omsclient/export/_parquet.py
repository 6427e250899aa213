"""Parquet output: JSON lines staged during the scan, converted in two streaming passes.

Staging as JSON lines makes a Parquet export resumable exactly like a JSONL one (a Parquet
file cannot be appended to or repaired after a kill). The first pass infers one schema from all
rows, merging what each chunk shows (a field null so far, a key only some orders have, nested
objects with different keys); the second writes the rows with that schema, read by pyarrow's
JSON reader where it reads them as the first pass did, chunks gathered into row groups. Nested
objects become structs, arrays become lists: the nesting is kept.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from omsclient._decoding import php_list
from omsclient._exact_json import loads_as_sent
from omsclient._new_files import create_new
from omsclient._redact import Redactor
from omsclient._storable import SURROGATE_ESCAPE, holds_escape, utf8_value
from omsclient.export._checkpoint import ExportError

__all__ = ["ConversionStopped", "MissingExtraError", "jsonl_to_parquet", "require_pyarrow"]

CHUNK_ROWS = 1000
CHUNK_BYTES = 256 * 1024 * 1024
"""A chunk holds at most CHUNK_ROWS rows and, unless one row is larger, CHUNK_BYTES of JSON
lines. pyarrow holds a column's text in one array only below 2 GiB; past that it hands back
pieces, which the conversion cannot take as one row group."""


ROW_GROUP_BYTES = 64 * 1024 * 1024
"""Chunks are gathered into a row group until they hold this much Arrow data. pyarrow's writer
holds each row group's metadata until the file is closed, about 0.4 MB for the 215 columns of
the sandbox's orders: with a row group a 1,000-row chunk, a million orders held 0.4 GB more at
the end than at the start; gathered ten at a time, 49 MB. The conversion's peak for 20,000 and
200,000 sandbox orders: 208 and 291 MB then, 300 and 311 MB now (the gathered chunks cost
their 64 MiB once; the growth is gone)."""


class MissingExtraError(ExportError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def require_pyarrow() -> None:
    """Fail early, with the extra to install, if pyarrow is missing."""
    try:
        importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise MissingExtraError(
            "Parquet output needs pyarrow: pip install 'omsclient[parquet]'"
        ) from None


class ConversionStopped(Exception):
    """The conversion was asked to stop (its export was cancelled); the target is incomplete."""


Counted = Callable[[int], None]
"""Told the rows of each chunk a conversion reads, in every pass it makes over them."""


def _chunks(path: Path, stop: threading.Event | None, counted: Counted) -> Iterator[list[Any]]:
    for chunk in _read(path, stop):
        counted(len(chunk))
        yield chunk


def _read(path: Path, stop: threading.Event | None) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    size = 0
    with path.open("rb") as lines:
        for line in lines:
            # At every row, and after the last (an empty file): a conversion asked to stop
            # before it opened the target never writes it.
            if stop is not None and stop.is_set():
                raise ConversionStopped
            if line.strip():
                # Every number as sent: an integer exact (orjson would turn one beyond 64 bits
                # into a float; one past what a Parquet integer holds then fails the
                # conversion, naming its field), any other a Decimal, so a decimal column
                # holds the value sent where a double would make 1.50 read back 1.5.
                row = loads_as_sent(line)
                if holds_escape(SURROGATE_ESCAPE, line):  # the only rows looked through
                    # A Parquet string is UTF-8, which holds no lone surrogate: its escape, six
                    # characters, as in a CSV cell and the database sync's text columns.
                    row = utf8_value(row)
                if chunk and size + len(line) > CHUNK_BYTES:
                    yield chunk
                    chunk, size = [], 0
                chunk.append(row)
                size += len(line)
                if len(chunk) >= CHUNK_ROWS:
                    yield chunk
                    chunk, size = [], 0
    if stop is not None and stop.is_set():
        raise ConversionStopped
    if chunk:
        yield chunk


Where = tuple[str, ...]
"""A place in a row: the keys down to it, ``"[]"`` for a list's items."""

Sent = tuple[str | tuple[str], ...]
"""A place as the rows were sent: a :data:`Where` in which a key of an object of indexes is
``(key,)``. Whether such an object is read as an array is settled only once every row is seen."""


@attrs.define
class _Shapes:
    """The places where rows hold what decides the type of a column, or how to tidy it."""

    objects: set[Any] = attrs.Factory(set)
    """Places holding an object with a key that is not an index."""
    indexes: set[Any] = attrs.Factory(set)
    """Places holding an object of indexes (PHP's array whose keys are no longer 0, 1, 2...)."""
    arrays: set[Any] = attrs.Factory(set)
    """Places holding an array with items."""
    decimals: set[Any] = attrs.Factory(set)
    """Places holding a decimal."""


def _of_indexes(value: dict[Any, Any]) -> bool:
    """Whether ``value`` has keys, every one an index (an array PHP wrote as an object)."""
    return bool(value) and type(php_list(value)) is list


@attrs.define
class _Places:
    """What the rows hold, by place as sent (see :data:`Sent`)."""

    sent: _Shapes = attrs.Factory(_Shapes)
    seen: set[Sent] = attrs.Factory(set)
    """Every place of every row."""

    def add(self, value: Any, where: Sent = ()) -> None:
        """Add the places of one row."""
        self.seen.add(where)
        if isinstance(value, dict):
            indexes = _of_indexes(value)
            if value:
                (self.sent.indexes if indexes else self.sent.objects).add(where)
            for key, item in value.items():
                self.add(item, (*where, (key,) if indexes else key))
        elif isinstance(value, list):
            if value:
                self.sent.arrays.add(where)
            for item in value:
                self.add(item, (*where, "[]"))
        elif isinstance(value, Decimal):
            self.sent.decimals.add(where)

    def columns(self) -> _Columns:
        """The places as the Parquet columns hold them: an object of indexes where other rows
        hold arrays is an array, its entries the array's items; elsewhere an object."""
        column: dict[Sent, Where] = {}
        arrays: set[Where] = set()
        # Parents first: the arrays at a place decide where the entries below it go.
        for where in sorted(self.seen, key=len):
            column[where] = _column(where, column, arrays)
            if where in self.sent.arrays:
                arrays.add(column[where])

        def moved(places: set[Any]) -> set[Where]:
            return {column[where] for where in places}

        return _Columns(
            _Shapes(
                moved(self.sent.objects),
                moved(self.sent.indexes),
                arrays,
                moved(self.sent.decimals),
            )
        )


def _column(where: Sent, column: dict[Sent, Where], arrays: set[Where]) -> Where:
    """The column of ``where``, its parent's already in ``column`` and ``arrays``."""
    if not where:
        return ()
    parent = column[where[:-1]]
    last = where[-1]
    if isinstance(last, tuple):
        return (*parent, "[]" if parent in arrays else last[0])
    return (*parent, last)


@attrs.define
class _Columns:
    """What the rows hold, by the column each place is written to."""

    at: _Shapes

    def holds_objects(self, where: Where) -> bool:
        """Whether the column at ``where`` is a struct (if its values agree at all)."""
        at = self.at
        return where in at.objects or (where in at.indexes and where not in at.arrays)

    def tidy(self, value: Any, where: Where = ()) -> Any:
        """``value`` with the empty shapes Parquet cannot hold made null: ``{}`` where no row
        holds an object with keys (a Parquet struct needs a field), and ``[]`` where rows hold
        objects (PHP, so the live server, sends an empty object as ``[]``; a column is a struct
        or a list, not both); an object of indexes where rows hold arrays as its array (PHP
        writes an array whose keys are no longer 0, 1, 2... so); and an integer where rows
        hold decimals as its decimal (one beyond 64 bits in a chunk where its column holds no
        decimal cannot be read as an integer column, though the decimal column the chunks
        merge into holds it)."""
        if isinstance(value, dict):
            if where in self.at.arrays and _of_indexes(value):
                return [self.tidy(item, (*where, "[]")) for item in php_list(value)]
            if not value and not self.holds_objects(where):
                return None
            return {key: self.tidy(item, (*where, key)) for key, item in value.items()}
        if isinstance(value, list):
            if not value and self.holds_objects(where):
                return None
            return [self.tidy(item, (*where, "[]")) for item in value]
        if type(value) is int and where in self.at.decimals:
            return Decimal(value)
        return value


def _tidied(
    source: Path, stop: threading.Event | None, counted: Counted
) -> Callable[[], Iterator[list[Any]]]:
    """The staged rows, each tidied with the places a first pass over all of them found."""
    places = _Places()
    for chunk in _chunks(source, stop, counted):
        for row in chunk:
            places.add(row)
    columns = places.columns()

    def chunks() -> Iterator[list[Any]]:
        for chunk in _chunks(source, stop, counted):
            yield [columns.tidy(row) for row in chunk]

    return chunks


def _leaves_mapped(type: Any, leaf: Callable[[Any, Where], Any], where: Where = ()) -> Any:
    """``type`` with each type that is neither a struct nor a list replaced by ``leaf(it, the
    place it is at)``."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    if pa.types.is_struct(type):
        return pa.struct(
            [
                field.with_type(_leaves_mapped(field.type, leaf, (*where, field.name)))
                for field in type
            ]
        )
    if pa.types.is_list(type):
        value_type = _leaves_mapped(type.value_type, leaf, (*where, "[]"))
        return pa.list_(type.value_field.with_type(value_type))
    return leaf(type, where)


def _widened(type: Any) -> Any:
    """``type`` with each decimal as wide as a decimal goes, at its scale."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    def widest(leaf: Any, _where: Where) -> Any:
        return pa.decimal256(_MAX_DIGITS, leaf.scale) if pa.types.is_decimal(leaf) else leaf

    return _leaves_mapped(type, widest)


_MAX_DIGITS = 76
"""The most digits a Parquet decimal holds (pyarrow's decimal256)."""


def _decimal(precision: int, scale: int) -> Any:
    """The narrower of pyarrow's decimal types that holds ``precision`` digits."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return (pa.decimal128 if precision <= 38 else pa.decimal256)(precision, scale)


Digits = dict[Where, int]
"""How many digits before the point the numbers at each place need."""


def _fitted(type: Any, array: Any, digits: Digits, where: Where = ()) -> Any:
    """``type`` with each decimal's precision enough for the values at its place in ``array``
    (of ``_widened(type)``); ``digits`` gets the digits before the point each place needs."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import pyarrow.compute as pc  # type: ignore[import-untyped,import-not-found,unused-ignore]

    if pa.types.is_struct(type):
        return pa.struct(
            [
                field.with_type(_fitted(field.type, array.field(i), digits, (*where, field.name)))
                for i, field in enumerate(type)
            ]
        )
    if pa.types.is_list(type):
        value_type = _fitted(type.value_type, array.flatten(), digits, (*where, "[]"))
        return pa.list_(type.value_field.with_type(value_type))
    if not (pa.types.is_decimal(type) or pa.types.is_integer(type)):
        return type
    ends = pc.min_max(array)
    if not ends["min"].is_valid:
        return type
    # copy_abs, not abs: abs rounds to the context's 28 digits.
    widest = max(Decimal(ends["min"].as_py()).copy_abs(), Decimal(ends["max"].as_py()).copy_abs())
    scale = type.scale if pa.types.is_decimal(type) else 0
    # A decimal is at its column's scale: its digits are the unscaled integer's.
    before = max(len(widest.as_tuple().digits) - scale, 0)
    if not pa.types.is_decimal(type):
        digits[where] = before
        return type
    digits[where] = max(type.precision - scale, before)
    return _decimal(digits[where] + scale, scale)


def _type_of(values: list[Any], digits: Digits) -> Any:
    """The type of one pyarrow array holding ``values``, which are converted to it (a
    conversion fails where an inference alone may not: an integer beyond 64 bits).

    pyarrow infers a decimal's precision from the decimals alone, then refuses an integer
    with more digits (the price ``10`` beside ``9.99``: ``decimal128(3, 2)``), though it
    takes one into a decimal type that holds it. Such a column is converted at its scale and
    the widest precision, which tells the digits its values need: no pass in Python.
    ``digits`` gets, for each place holding numbers, the most digits before the point its
    numbers need.
    """
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    inferred = pa.infer_type(values)
    found: Digits = {}
    type = _fitted(inferred, pa.array(values, type=_widened(inferred)), found)
    for where, count in found.items():
        digits[where] = max(digits.get(where, 0), count)
    return type


def _narrowed(type: Any, digits: Digits) -> Any:
    """``type`` with each decimal of the precision its place's numbers need: pyarrow's merge of
    an integer column into a decimal one gives the decimal room for any 64-bit integer."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    def needed(leaf: Any, where: Where) -> Any:
        if not pa.types.is_decimal(leaf) or where not in digits:
            return leaf
        precision = max(digits[where] + leaf.scale, 1)
        return _decimal(precision, leaf.scale) if precision <= _MAX_DIGITS else leaf

    return _leaves_mapped(type, needed)


Batches = Callable[[Any], Iterator[Any]]
"""The rows' record batches in a given schema, for the conversion's second pass."""


def _convert(
    chunks: Callable[[], Iterator[list[Any]]],
    target: Path,
    mode: int,
    read_again: Batches | None = None,
) -> int:
    """The rows of ``chunks`` written to ``target``: their schema from a first pass over them,
    then the file from a second, by ``read_again`` if given (unless it refuses a row), else
    from ``chunks`` again."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    schema = None
    digits: Digits = {}
    for chunk in chunks():
        # pa.array over objects takes the union of their keys (from_pylist would take the
        # first row's keys only and drop the rest).
        found = pa.schema(list(_type_of(chunk, digits)))
        schema = (
            found
            if schema is None
            else pa.unify_schemas([schema, found], promote_options="permissive")
        )
    narrowed = _narrowed_schema(schema, digits)
    if schema is not None and read_again is not None:  # pyarrow's reader refuses an empty file
        with contextlib.suppress(_ReadOtherwise):
            return _written(narrowed, read_again, target, mode)
    # The file written again from scratch where pyarrow refused a row, the schema kept.
    return _written(narrowed, _converted(chunks), target, mode)


def _narrowed_schema(found: Any, digits: Digits) -> Any:
    """The schema the first pass ``found`` (None: no row), each decimal as narrow as its
    place's numbers allow."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return pa.schema(list(_narrowed(pa.struct(list(found or [])), digits)))


def _written(schema: Any, batches: Batches, target: Path, mode: int) -> int:
    """The record batches ``batches`` gives in ``schema`` written to a new file at ``target``,
    gathered into row groups of about :data:`ROW_GROUP_BYTES`; the row count."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]

    rows = 0
    with (
        create_new(target, mode) as out,
        pq.ParquetWriter(out, schema, compression="zstd") as writer,
    ):
        gathered: list[Any] = []
        size = 0  # the Arrow bytes gathered
        for batch in batches(schema):
            gathered.append(batch)
            size += batch.nbytes
            rows += batch.num_rows
            if size >= ROW_GROUP_BYTES:
                _write_row_group(writer, pa.Table.from_batches(gathered))
                gathered, size = [], 0
        if gathered:
            _write_row_group(writer, pa.Table.from_batches(gathered))
    return rows


def _converted(chunks: Callable[[], Iterator[list[Any]]]) -> Batches:
    """The rows of ``chunks`` read again, each chunk converted to a record batch."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    def batches(schema: Any) -> Iterator[Any]:
        for chunk in chunks():
            # The explicit type takes an integer into its column's decimal.
            array = pa.array(chunk, type=pa.struct(list(schema)))
            yield pa.RecordBatch.from_struct_array(array)

    return batches


class _ReadOtherwise(Exception):
    """pyarrow's JSON reader refused a row the conversion's own reading takes."""


ARROW_BLOCK_BYTES = 4 * 1024 * 1024
"""How much of the JSON lines pyarrow's reader is handed at a time (the lines that end in it).

Pieces of 16 MiB, each a new ``bytes`` and pyarrow's buffers as large, left the process's
heap larger with each export's size (the conversion's peak 328 MB for 20,000 orders of the live
shapes, 383 for 80,000); of 4 MiB, 271 and 285, of 1 MiB 279 and 284, as much CPU
(benchmarks/README.md, levers)."""


def _read_by_arrow(path: Path, stop: threading.Event | None, counted: Counted) -> Batches:
    """The second pass of a conversion whose first read every row as it was sent: pyarrow's
    JSON reader, given the schema the first pass found, reads the lines into record batches
    itself.

    Reading each row into Python values again and converting them took about 130 µs of CPU
    an order of the live shapes, most of it the collector walking each chunk's objects;
    pyarrow's reader takes 31-43 (benchmarks/README.md, levers). It reads what the first
    pass read, value for value, and refuses the rows it does not (a lone surrogate, which the
    first pass writes as its escape; a key twice in an object): those files are read again
    the conversion's own way (:class:`_ReadOtherwise`).

    The lines are handed to it a few megabytes at a time: its streaming reader
    (``open_json``) reads the whole file ahead of the batches it hands back (a 252 MB file held
    187 MB in pyarrow's memory), where the conversion's memory stays flat with the export's
    size.
    """
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import pyarrow.json as pj  # type: ignore[import-untyped,import-not-found,unused-ignore]

    def batches(schema: Any) -> Iterator[Any]:
        parse = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
        try:
            for lines in _lines_in_pieces(path, min(ARROW_BLOCK_BYTES, CHUNK_BYTES)):
                if stop is not None and stop.is_set():
                    raise ConversionStopped
                if len(lines) >= _ARROW_BLOCK_LIMIT:
                    raise _ReadOtherwise  # one row past what a block of pyarrow's holds
                read = pj.ReadOptions(use_threads=False, block_size=len(lines))
                for batch in pj.read_json(pa.py_buffer(lines), read, parse).to_batches():
                    counted(batch.num_rows)
                    yield batch
            if stop is not None and stop.is_set():
                raise ConversionStopped
        except pa.ArrowException:
            raise _ReadOtherwise from None

    return batches


_ARROW_BLOCK_LIMIT = 2**31  # pyarrow's block size is a 32-bit integer


def _lines_in_pieces(path: Path, size: int) -> Iterator[bytes]:
    """The lines of the file at ``path``, in pieces of whole lines: those that end in the
    next ``size`` bytes read, with the rest of the line the piece before cut."""
    parts: list[bytes] = []
    with path.open("rb") as source:
        while data := source.read(size):
            end = data.rfind(b"\n") + 1
            if not end:
                parts.append(data)  # a line longer than size: read on to its end
                continue
            parts.append(data[:end])
            yield b"".join(parts)
            parts = [data[end:]]
    if rest := b"".join(parts):
        yield rest


def _write_row_group(writer: Any, table: Any) -> None:
    # Each chunk stays an array of its own, below the 2 GiB pyarrow holds in one.
    writer.write_table(table, row_group_size=table.num_rows)


def _culprit(chunks: Callable[[], Iterator[list[Any]]]) -> tuple[str, str] | None:
    """The first field whose values pyarrow cannot take as one column and pyarrow's reason,
    or None (then the chunks' types could not be merged, and pyarrow's message names the
    field)."""
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    def column(chunk: list[Any], name: str, type: Any = None) -> None:
        values = [row.get(name) if isinstance(row, dict) else None for row in chunk]
        if type is None:
            _type_of(values, {})
        else:
            pa.array(values, type=type)

    schemas = []
    for chunk in chunks():
        names = dict.fromkeys(key for row in chunk if isinstance(row, dict) for key in row)
        for name in names:
            try:
                column(chunk, name)
            except (pa.ArrowException, OverflowError) as exc:
                return str(name), str(exc)
        schemas.append(pa.schema(list(_type_of(chunk, {}))))
    try:
        merged = pa.unify_schemas(schemas, promote_options="permissive") if schemas else None
    except pa.ArrowException:
        return None
    # Each chunk reads alone, but maybe not as the merged type: the merge promotes types by
    # their kind, not by the values they must hold.
    for chunk in chunks():
        for field in merged or ():
            try:
                column(chunk, field.name, field.type)
            except (pa.ArrowException, OverflowError) as exc:
                return str(field.name), str(exc)
    return None


_LOGIN_KEYS = Redactor()
"""Knows no secret of its own: it redacts what looks like one (``key=``, ``login_token=``)."""


def jsonl_to_parquet(
    source: Path,
    target: Path,
    stop: threading.Event | None = None,
    redact: Redactor = _LOGIN_KEYS,
    counted: Counted = lambda rows: None,
    mode: int = 0o666,
) -> int:
    """Convert the JSON lines in ``source`` to a Parquet file at ``target``, made with
    ``mode`` (see :func:`~omsclient._new_files.create_new`); the row count.

    ``stop``, once set, makes the conversion raise :class:`ConversionStopped` at the next row.
    ``counted`` is told the rows of each chunk read: two passes over them (the types, then
    the file), four when the rows need tidying first.
    ``redact`` cleans an error's message, which may quote a value of a row (pyarrow's does).
    Each number with a point or an exponent is a Parquet decimal holding the value sent, one
    precision and scale a column.

    Raises:
        ExportError: a field holds values no single Parquet type can hold (e.g. numbers in
            some rows and text in others, or an integer beyond 64 bits); the message names
            the field, and the JSON lines in ``source`` are kept. Also a row whose objects
            and arrays nest deeper than a Parquet reader opens (100 levels with pyarrow 26,
            about 150 with 25, an array counting two).
    """
    try:
        rows = _parquet_of(source, target, stop, redact, counted, mode)
    except RecursionError:
        # The conversion walks each object's fields: one nested a few hundred levels deep
        # (orjson reads 1,024) is past Python's stack.
        raise _too_deep(source, "the conversion follows") from None
    # pyarrow writes a schema nested past what its readers open (100 levels with pyarrow 26, an
    # array taking two) without a word; at what depth Python's stack gives out first depends on its
    # version. The file's own schema, read back, says whether any reader can open it.
    import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]

    try:
        pq.read_schema(target)
    except Exception:  # OSError, or an ArrowException: either way no reader opens it
        target.unlink(missing_ok=True)
        raise _too_deep(source, "a Parquet reader opens") from None
    return rows


def _too_deep(source: Path, limit: str) -> ExportError:
    return ExportError(
        f"cannot write Parquet: a row nests its objects deeper than {limit}. The rows are "
        f"kept as JSON lines in {source}; export as jsonl to keep them"
    )


def _parquet_of(
    source: Path,
    target: Path,
    stop: threading.Event | None,
    redact: Redactor,
    counted: Counted,
    mode: int,
) -> int:
    # pyarrow ships no type information; it is an optional extra.
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    # Every pyarrow error (ArrowInvalid, ArrowTypeError, ArrowNotImplementedError for a struct
    # without fields, ...) and the OverflowError of an integer no Parquet type holds become an
    # ExportError: none may escape as a raw pyarrow error.
    failed: Exception
    try:
        return _convert(
            lambda: _chunks(source, stop, counted),
            target,
            mode,
            _read_by_arrow(source, stop, counted),
        )
    except (pa.ArrowException, OverflowError):
        # Most rows convert as they are; only a failure pays for the pass that tidies the
        # empty objects and PHP's [] (see _Places.tidy), then the conversion again.
        chunks = _tidied(source, stop, counted)
    try:
        return _convert(chunks, target, mode)
    except (pa.ArrowException, OverflowError) as exc:
        failed = exc
    # The field's own reason: the whole table's may be another field's.
    culprit = _culprit(chunks)
    # pyarrow quotes the value it failed on: an echoed password or a document URL's login key
    # must not go with it, nor a key that is one.
    detail = redact(f"field {culprit[0]!r}: {culprit[1]}" if culprit else str(failed))
    raise ExportError(
        f"cannot write Parquet: {detail}. The rows are kept as JSON lines in {source}; "
        "export as jsonl to keep values whose type varies between rows, or integers "
        "beyond 64 bits"
    ) from None
