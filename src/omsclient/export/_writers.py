"""Row writers: JSON lines and CSV, appended to a file that can be cut back and continued.

Both write whole batches and report the file size after a flush; the exporter checkpoints that
size, and on resume the file is cut back to it, which drops a row torn by a kill.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

import orjson

from omsclient._exact_json import dumps_exact, loads_as_sent
from omsclient._new_files import create_new, open_existing, still_at
from omsclient.export._checkpoint import CheckpointError, ExportError
from omsclient.legacy import SentOrder

__all__ = ["EXTRA_COLUMN", "CsvWriter", "JsonlWriter", "RowWriter", "csv_cell", "csv_line"]

Row = dict[str, Any]

EXTRA_COLUMN = "extra"
"""The CSV column holding, as one JSON object, the keys no other column has."""


class RowWriter(Protocol):
    """Appends rows to an output file."""

    def write(self, rows: Sequence[Any]) -> None:
        """Append ``rows``."""

    def sync(self) -> int:
        """Hand everything written to the OS; the file size in bytes."""

    def close(self) -> None:
        """Close the file."""


class _Appender:
    """A binary file opened for appending at ``size``: created when 0, cut back otherwise."""

    def __init__(self, path: Path, size: int, mode: int) -> None:
        self.path = path  # absolute (ExportPaths): a program changing its folder moves no file
        self.file: BinaryIO
        if size == 0:
            self.file = create_new(path, mode)
            self._opened = os.fstat(self.file.fileno())
            return
        try:
            self.file = open_existing(path)
        except FileNotFoundError:
            raise CheckpointError(
                f"cannot resume: {path} is missing; start again without resume"
            ) from None
        except OSError as exc:  # a link put in its place since the export stopped
            raise CheckpointError(
                f"cannot resume: {path} is no longer the file the export wrote "
                f"({exc.strerror or exc}); start again without resume"
            ) from None
        actual = self.file.seek(0, io.SEEK_END)
        if actual < size:
            self.file.close()
            raise CheckpointError(
                f"cannot resume: {path} holds {actual} bytes, the checkpoint says {size}; "
                "start again without resume"
            )
        # Anything past the checkpoint was written after it, possibly cut mid-row by a kill.
        self.file.truncate(size)
        self.file.seek(size)
        self._opened = os.fstat(self.file.fileno())

    def sync(self) -> int:
        self.file.flush()
        # A file removed (a cleaner, a folder emptied) takes every row written to it, and a
        # checkpoint of its size would say they are there.
        if not still_at(self.path, self._opened):
            raise ExportError(
                f"{self.path} was removed or replaced while the export wrote to it: the rows "
                "written so far went with it; start again without resume"
            )
        return self.file.tell()

    def close(self) -> None:
        self.file.close()


class JsonlWriter:
    """One JSON object per line, exactly the keys and values the server sent: orders read as
    :class:`~omsclient.legacy.SentOrder` s are written as the bytes they came in."""

    def __init__(self, path: Path, size: int = 0, mode: int = 0o666) -> None:
        self._out = _Appender(path, size, mode)

    def write(self, rows: Sequence[Row] | Sequence[SentOrder]) -> None:
        """Append ``rows``, one line each."""
        if rows and isinstance(rows[0], SentOrder):
            sent = [row.json for row in cast("Sequence[SentOrder]", rows)]
            sent.append(b"")
            self._out.file.write(b"\n".join(sent))
            return
        dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        try:
            lines = b"".join([dumps(row, option=newline) for row in rows])
        except TypeError:
            # orjson writes no integer beyond 64 bits, no Decimal (the product scan reads every
            # decimal as one) and no more than 254 levels of nesting, which the answer's
            # reader takes.
            lines = b"".join([dumps_exact(row) + b"\n" for row in rows])
        self._out.file.write(lines)

    def sync(self) -> int:
        """Flush; the file size."""
        return self._out.sync()

    def close(self) -> None:
        """Close the file."""
        self._out.close()


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: text as is, null as empty, anything else as compact JSON
    (an integer beyond 64 bits with all its digits, a lone surrogate as its escape)."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    return dumps_exact(value).decode()


def csv_line(cells: Sequence[str]) -> str:
    """``cells`` as one line of CSV, as Python's ``csv.writer`` writes it (its default, the
    excel dialect): a cell holding a comma, a quote or a line break quoted, its quotes doubled;
    the line ended by CRLF.

    ``csv.writer`` reads every cell a character at a time: 52.6 µs an order of the live shapes
    (49 cells, 5.4 KB, 724 quotes in its JSON cells), against 13.8 here (benchmarks/README.md,
    levers). And Python 3.10's refuses a NUL ("need to escape"), which later ones write as it
    is: so does this, on every version.
    """
    if len(cells) == 1 and not cells[0]:
        return '""\r\n'  # as csv.writer tells a row of one empty cell from an empty line
    return ",".join([_quoted(cell) for cell in cells]) + "\r\n"


def _quoted(cell: str) -> str:
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    if "," in cell or "\n" in cell or "\r" in cell:
        return '"' + cell + '"'
    return cell


def _columns(rows: Sequence[Row]) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    extra = EXTRA_COLUMN
    while extra in keys:
        extra = "_" + extra
    return (*keys, extra)


class CsvWriter:
    """One row per object: top-level keys are columns, nested values compact JSON.

    Orders come as sent (:class:`~omsclient.legacy.SentOrder`) and are read here with every
    number as sent, as the product scan reads products: the usual answer path (orjson) would
    turn an integer beyond 64 bits into a float, and a double would make ``1.50`` the cell
    ``1.5`` and drop the digits past its 17th.

    The columns are the keys of the first batch, in the order first seen, plus a last column
    (``extra``, or ``_extra`` if the data has an ``extra`` key) holding any key a later row
    brings as a JSON object, so no field is dropped. ``columns`` is checkpointed so a resumed
    export keeps the same columns.
    """

    def __init__(
        self,
        path: Path,
        size: int = 0,
        columns: Sequence[str] | None = None,
        mode: int = 0o666,
    ) -> None:
        self._out = _Appender(path, size, mode)
        self.columns: tuple[str, ...] | None = tuple(columns) if columns is not None else None

    def write(self, rows: Sequence[Row] | Sequence[SentOrder]) -> None:
        """Append ``rows``; the first call fixes the columns and writes the header."""
        if not rows:
            return
        if isinstance(rows[0], SentOrder):
            rows = [loads_as_sent(row.json) for row in cast("Sequence[SentOrder]", rows)]
        rows = cast("Sequence[Row]", rows)
        lines: list[str] = []
        if self.columns is None:
            self.columns = _columns(rows)
            lines.append(csv_line(self.columns))
        known = self.columns[:-1]
        known_set = set(known)
        cell = csv_cell
        for row in rows:
            cells = [cell(row.get(name)) for name in known]
            extra = {k: v for k, v in row.items() if k not in known_set}
            cells.append(dumps_exact(extra).decode() if extra else "")
            lines.append(csv_line(cells))
        # A lone surrogate, which UTF-8 cannot hold, is left only in text cells (the JSON ones
        # hold its escape): there too as its escape, six characters, as the database sync's
        # text columns hold it.
        self._out.file.write("".join(lines).encode("utf-8", "backslashreplace"))

    def sync(self) -> int:
        """Flush; the file size."""
        return self._out.sync()

    def close(self) -> None:
        """Close the file."""
        self._out.close()
