"""Parquet output: JSON lines staged during the scan, converted in two streaming passes.

Staging as JSON lines makes a Parquet export resumable exactly like a JSONL one (a Parquet
file cannot be appended to or repaired after a kill). The first pass infers one schema from all
rows, merging what each chunk shows (a field null so far, a key only some orders have, nested
objects with different keys); the second writes the rows with that schema, one row group per
chunk. Nested objects become structs, arrays become lists: the nesting is kept.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from omsclient.export._checkpoint import ExportError

__all__ = ["MissingExtraError", "jsonl_to_parquet", "require_pyarrow"]

CHUNK_ROWS = 1000


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


def _chunks(path: Path) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                chunk.append(orjson.loads(line))
                if len(chunk) >= CHUNK_ROWS:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def jsonl_to_parquet(source: Path, target: Path) -> int:
    """Convert the JSON lines in ``source`` to a Parquet file at ``target``; the row count.

    Raises:
        ExportError: a field holds values no single Parquet type can hold (e.g. numbers in
            some rows and text in others); the JSON lines in ``source`` are kept.
    """
    # pyarrow ships no type information; it is an optional extra.
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]

    try:
        schema = None
        for chunk in _chunks(source):
            # pa.array over objects takes the union of their keys (from_pylist would take the
            # first row's keys only and drop the rest).
            found = pa.schema(list(pa.array(chunk).type))
            schema = (
                found
                if schema is None
                else pa.unify_schemas([schema, found], promote_options="permissive")
            )
        schema = schema if schema is not None else pa.schema([])
        rows = 0
        with pq.ParquetWriter(target, schema, compression="zstd") as writer:
            for chunk in _chunks(source):
                array = pa.array(chunk, type=pa.struct(list(schema)))
                writer.write_batch(pa.RecordBatch.from_struct_array(array))
                rows += len(chunk)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ExportError(
            f"cannot write Parquet: {exc}. The rows are kept as JSON lines in {source}; "
            "export as jsonl to keep values whose type varies between orders"
        ) from None
    return rows
