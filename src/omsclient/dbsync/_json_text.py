"""The psycopg dumper COPY writes a row's JSON with: its UTF-8 bytes, as text."""

from __future__ import annotations

from psycopg.abc import Buffer
from psycopg.adapt import Dumper
from psycopg.pq import Format

__all__ = ["JsonText"]


class JsonText(Dumper):
    """``bytes`` holding JSON in UTF-8, dumped as the text they are (psycopg's own dumper of
    ``bytes`` writes a ``bytea``'s hex).

    The rows' JSON comes as the bytes the server sent: decoding each to a ``str`` for psycopg
    to encode again cost 3.9 µs of CPU a live order of 6 KB (benchmarks/README.md, levers).
    Registered on the COPY's own cursor alone, where every ``bytes`` is a row's JSON.
    """

    format = Format.TEXT

    def dump(self, obj: Buffer) -> Buffer:
        """``obj`` unchanged: COPY escapes what its text format needs escaped."""
        return obj
