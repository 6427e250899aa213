"""Exports against the sandbox: formats, changing data, kill and resume, the final count."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import inspect
import io
import os
import random
import re
import sys
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

import omsclient
from omsclient.errors import ValidationError
from omsclient.export import (
    EXTRA_COLUMN,
    CheckpointError,
    ExportError,
    ExportProgress,
    MissingExtraError,
    check_output,
    export_orders,
    export_products,
)
from omsclient.export._checkpoint import ExportPaths
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import Churn, Quirks, SandboxConfig, asgi_transport

from .test_scan import FakeFind, order

OPEN = Condition(OrderField.ORDER_STATUS, Op.NE, string=3)


class Served:
    """An in-process sandbox, a client to it, and every order object the server sent."""

    def __init__(self, config: SandboxConfig) -> None:
        transport, self.info = asgi_transport(config)
        self.sent: dict[str, dict[str, Any]] = {}
        self.client = omsclient.AsyncClient(
            **self.info.client_kwargs(),
            http_client=httpx.AsyncClient(
                transport=transport, event_hooks={"response": [self._record]}
            ),
        )

    async def _record(self, response: httpx.Response) -> None:
        body = orjson.loads(await response.aread())
        for row in body.get("orders") or body.get("products") or []:
            key = row.get("order_id") or row.get("id")
            self.sent[str(key)] = row

    @property
    def state(self) -> Any:
        return self.info.state

    def requests(self) -> int:
        return len(self.state.requests)


@pytest.fixture
async def served() -> AsyncIterator[Callable[..., Served]]:
    made: list[Served] = []

    def make(**options: Any) -> Served:
        options = {"orders": 700, "products": 120, "seed": 11, **options}
        made.append(Served(SandboxConfig(**options)))
        return made[-1]

    yield make
    for s in made:
        await s.client.aclose()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


async def test_jsonl_holds_every_order_once_exactly_as_sent(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served(quirks=Quirks.all())
    out = tmp_path / "orders.jsonl"
    summary = await export_orders(
        s.client, out, windows=3, include_shipments=True, include_workflow_data=True
    )
    rows = read_jsonl(out)
    ids = [r["order_id"] for r in rows]
    assert len(ids) == len(set(ids)) == 700
    # Quirks.all() sends the invoice number's digits alone, as live servers do.
    assert set(ids) == {str(r.number) for r in s.state.orders}
    # Every key and value the server sent, unknown ones and string-typed ids included.
    assert all(row == s.sent[row["order_id"]] for row in rows)
    assert any("shipments" in row for row in rows)
    assert summary.exported == summary.server_total == 700
    assert summary.kind == "orders"
    assert summary.difference == 0
    assert summary.windows == 3
    assert not summary.resumed
    assert leftovers(out) == []


async def test_a_small_export_is_counted_by_the_scans_first_page(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served(orders=60)
    totals: list[int] = []
    summary = await export_orders(
        s.client,
        tmp_path / "orders.jsonl",
        windows=4,
        progress=lambda p: totals.append(p.total),
    )
    assert summary.exported == summary.server_total == 60
    assert totals == [60]
    # The scan's planning page holds every order and gives the progress total; then the
    # final count. No count before planning, no windows past the one page of orders.
    assert s.requests() == 2


async def test_csv_one_row_per_order_nested_values_as_json(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served(quirks=Quirks(unknown_fields=True))
    out = tmp_path / "orders.csv"
    await export_orders(s.client, out, format="csv", windows=2)
    with out.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        lines = list(reader)
    first = s.sent[lines[0][0]]
    assert header[0] == "order_id"
    assert header[-1] == EXTRA_COLUMN
    assert set(first) <= set(header)
    assert len(lines) == len({line[0] for line in lines}) == 700
    for line in lines:
        cells = dict(zip(header, line, strict=True))
        row = s.sent[cells["order_id"]]
        for key, value in row.items():
            cell = cells[key] if key in cells else orjson.loads(cells[EXTRA_COLUMN])[key]
            if value is None:
                assert cell == ""
            elif isinstance(value, str):
                assert cell == value
            else:
                assert orjson.loads(cell) == value, key
        assert set(row) | {EXTRA_COLUMN} >= {k for k, v in cells.items() if v}


async def test_csv_keeps_keys_the_first_rows_did_not_have(tmp_path: Path) -> None:
    from omsclient.export._writers import CsvWriter

    path = tmp_path / "x.csv"
    writer = CsvWriter(path)
    # The column of later keys is named apart from every key of the rows, "_extra" too.
    writer.write([{"id": 1, "extra": "mine", "_extra": "rush", "nested": {"a": [1, 2]}}])
    writer.write([{"id": 2, "late": True, "nested": None}])
    writer.close()
    with path.open(newline="") as f:
        assert list(csv.reader(f)) == [
            ["id", "extra", "_extra", "nested", "__extra"],
            ["1", "mine", "rush", '{"a":[1,2]}', ""],
            ["2", "", "", "", '{"late":true}'],
        ]


_CSV_PIECES = ["a", ",", '"', "\r", "\n", "\r\n", " ", "\t", "é", "\ud800", "\x00", ""]


@pytest.mark.parametrize("seed", range(4))
def test_a_csv_line_is_what_the_standard_librarys_writer_writes(seed: int) -> None:
    # The export writes its CSV lines itself (csv.writer reads a cell a character at a time);
    # they must be the standard library's, byte for byte: every reader of the files reads them.
    from omsclient.export._writers import csv_line

    pick = random.Random(seed)
    for _ in range(500):
        cells = [
            "".join(pick.choices(_CSV_PIECES, k=pick.randrange(0, 5)))
            for _ in range(pick.randrange(1, 5))
        ]
        if sys.version_info < (3, 11) and any("\x00" in cell for cell in cells):
            continue  # Python 3.10's writer refuses a NUL: below
        written = io.StringIO()
        csv.writer(written).writerow(cells)
        assert csv_line(cells) == written.getvalue(), cells
        # And read back as written.
        assert next(csv.reader(io.StringIO(csv_line(cells), newline=""))) == cells


def test_a_csv_export_writes_a_nul_as_it_is_on_every_python(tmp_path: Path) -> None:
    # Python 3.10's csv.writer refused a text holding a NUL ("need to escape, but no
    # escapechar set"), which a JSON order carries as \u0000: the export failed there with that
    # bare error. Python 3.11 and later write it as it is, and so does the export.
    from omsclient.export._writers import CsvWriter
    from omsclient.legacy import SentOrder

    path = tmp_path / "x.csv"
    writer = CsvWriter(path)
    writer.write([SentOrder("1", "2025-01-02", b'{"order_id":"1","note":"a\\u0000b, c"}')])
    writer.close()
    assert path.read_bytes() == b'order_id,note,extra\r\n1,"a\x00b, c",\r\n'


@pytest.mark.parametrize("writer", ["jsonl", "csv"])
def test_a_resumed_file_loses_whatever_was_written_past_its_checkpoint(
    tmp_path: Path, writer: str
) -> None:
    # The rows written after the checkpoint, a kill cutting the last: the resumed run writes
    # its rows in their place, fewer bytes when the orders changed meanwhile.
    from omsclient.export._writers import CsvWriter, JsonlWriter

    path = tmp_path / "orders.partial"
    kept = b'{"order_id":"1"}\n' if writer == "jsonl" else b"order_id,_extra\r\n1,\r\n"
    path.write_bytes(kept + b'{"order_id":"2","notes":"a long note that was cut by the ki')
    if writer == "jsonl":
        resumed: JsonlWriter | CsvWriter = JsonlWriter(path, size=len(kept))
    else:
        resumed = CsvWriter(path, size=len(kept), columns=["order_id", "_extra"])
    resumed.write([{"order_id": "2"}])
    assert resumed.sync() == path.stat().st_size
    resumed.close()
    written = b'{"order_id":"2"}\n' if writer == "jsonl" else b"2,\r\n"
    assert path.read_bytes() == kept + written


def drop_added_nulls(sent: Any, stored: Any) -> Any:
    """``stored`` without the null keys Parquet added where ``sent`` had no such key."""
    if isinstance(sent, dict) and isinstance(stored, dict):
        return {
            k: drop_added_nulls(sent.get(k), v)
            for k, v in stored.items()
            if k in sent or v is not None
        }
    if isinstance(sent, list) and isinstance(stored, list):
        return [drop_added_nulls(a, b) for a, b in zip(sent, stored, strict=True)]
    return stored


def as_written(sent: Any) -> Any:
    """``sent`` with each float as the decimal its JSON holds, which a Parquet decimal column
    reads back (``10.5`` as ``Decimal("10.50")`` beside ``1.25``: the same value)."""
    if isinstance(sent, dict):
        return {k: as_written(v) for k, v in sent.items()}
    if isinstance(sent, list):
        return [as_written(v) for v in sent]
    return Decimal(repr(sent)) if type(sent) is float else sent


async def test_parquet_keeps_the_nested_structure(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    s = served(orders=400, quirks=Quirks(unknown_fields=True))
    out = tmp_path / "orders.parquet"
    summary = await export_orders(
        s.client, out, format="parquet", windows=2, include_workflow_data=True
    )
    table = pq.read_table(out)
    assert table.num_rows == summary.exported == 400
    assert pa.types.is_list(table.schema.field("order_lines").type)
    assert pa.types.is_struct(table.schema.field("billing_details").type)
    rows = table.to_pylist()
    assert len({r["order_id"] for r in rows}) == 400
    for row in rows:
        sent = s.sent[row["order_id"]]
        assert drop_added_nulls(sent, row) == as_written(sent)
    assert leftovers(out) == []


async def test_products_export_every_product_once(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served()
    out = tmp_path / "products.jsonl"
    summary = await export_products(s.client, out)
    rows = read_jsonl(out)
    assert [r["product_id"] for r in rows] == sorted(p.id for p in s.state.products)
    assert summary.exported == summary.server_total == 120
    assert summary.kind == "products"


async def test_export_under_churn_has_every_steady_order_once(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served(orders=3000, churn=Churn(new_orders=3, changed_orders=12))
    before = {r.order_id for r in s.state.orders if r.status != 3}
    out = tmp_path / "open.jsonl"
    summary = await export_orders(s.client, out, OPEN, windows=4)
    after = {r.order_id for r in s.state.orders if r.status != 3}
    ids = [r["order_id"] for r in read_jsonl(out)]
    assert len(ids) == len(set(ids))
    # Statuses only move forward, so matching before and after means matching throughout.
    assert before & after <= set(ids)
    assert summary.server_total == len(after)
    assert summary.exported == len(ids)
    assert summary.difference == len(ids) - len(after)
    assert before != after


class Stop(Exception):
    pass


def stop_after(batches: int) -> Callable[[ExportProgress], None]:
    calls = 0

    def progress(p: ExportProgress) -> None:
        nonlocal calls
        calls += 1
        if calls == batches:
            raise Stop

    return progress


async def test_a_product_export_resumes_whatever_the_clients_order_field_numbering(
    tmp_path: Path,
) -> None:
    # The setting numbers order fields 6 and 7, yet a product export's checkpoint recorded it:
    # resumed by a client of the other setting, it was refused as written with other filters.
    transport, info = asgi_transport(SandboxConfig(orders=10, products=450, seed=11))
    out = tmp_path / "products.jsonl"
    async with httpx.AsyncClient(transport=transport) as http:
        blueprint = omsclient.AsyncClient(
            **info.client_kwargs(), http_client=http, order_field_numbering="blueprint"
        )
        async with blueprint as oms:
            with pytest.raises(Stop):
                await export_products(oms, out, progress=stop_after(1))
        async with omsclient.AsyncClient(**info.client_kwargs(), http_client=http) as oms:
            summary = await export_products(oms, out, resume=True)
    assert summary.resumed
    ids = [r["product_id"] for r in read_jsonl(out)]
    assert ids == sorted(p.id for p in info.state.products)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
async def test_killed_export_resumes_to_each_order_once(
    served: Callable[..., Served], tmp_path: Path, fmt: str
) -> None:
    s = served(orders=900, churn=Churn(new_orders=2, changed_orders=4))
    out = tmp_path / f"orders.{fmt}"
    with pytest.raises(Stop):
        await export_orders(s.client, out, format=fmt, windows=3, progress=stop_after(4))
    assert not out.exists()
    assert (tmp_path / f"orders.{fmt}.checkpoint").exists()
    rows_file = tmp_path / (f"orders.{fmt}.partial" + (".jsonl" if fmt == "parquet" else ""))
    # A kill in the middle of a write leaves a torn last row.
    with rows_file.open("ab") as f:
        f.write(b'{"order_id": "INV-torn", "date_ord')
    summary = await export_orders(s.client, out, format=fmt, windows=3, resume=True)
    assert summary.resumed
    assert 0 < summary.this_run < summary.exported
    ids = exported_ids(out, fmt)
    assert len(ids) == len(set(ids)) == summary.exported
    assert "INV-torn" not in ids
    # Every order placed before the export (none left the unfiltered set) is in the file.
    assert {f"INV{10001 + i}" for i in range(900)} <= set(ids)
    assert leftovers(out) == []


def exported_ids(path: Path, fmt: str) -> list[str]:
    if fmt == "jsonl":
        return [r["order_id"] for r in read_jsonl(path)]
    if fmt == "csv":
        with path.open(newline="") as f:
            return [row["order_id"] for row in csv.DictReader(f)]
    import pyarrow.parquet as pq

    return [str(x) for x in pq.read_table(path, columns=["order_id"]).column(0).to_pylist()]


async def test_a_resumed_exports_progress_counts_earlier_rows_apart_from_this_runs(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served(orders=400)
    out = tmp_path / "orders.jsonl"
    with pytest.raises(Stop):
        await export_orders(s.client, out, windows=1, progress=stop_after(2))
    before = len(read_jsonl(tmp_path / "orders.jsonl.partial"))
    seen: list[ExportProgress] = []
    summary = await export_orders(s.client, out, windows=1, resume=True, progress=seen.append)
    assert 0 < before < 400
    assert [p.exported - p.this_run for p in seen] == [before] * len(seen)
    assert seen[-1].exported == summary.exported == 400
    assert seen[-1].this_run == summary.this_run == 400 - before


@pytest.mark.parametrize(
    "changed", [{"until": "2999-12-30"}, {"include_shipments": True}], ids=["until", "includes"]
)
async def test_resume_with_another_date_range_or_includes_is_refused(
    served: Callable[..., Served], tmp_path: Path, changed: dict[str, Any]
) -> None:
    s = served(orders=300)
    out = tmp_path / "orders.jsonl"
    with pytest.raises(Stop):
        await export_orders(s.client, out, until="2999-12-31", progress=stop_after(1))
    sent = s.requests()
    with pytest.raises(CheckpointError, match="other filters"):
        await export_orders(s.client, out, **{"until": "2999-12-31", **changed}, resume=True)
    assert s.requests() == sent


async def interrupted_after_one_batch(s: Served, out: Path) -> tuple[Path, dict[str, Any]]:
    """Export to ``out`` in one window, stopped after its first batch: the checkpoint's path
    and what it holds."""
    with pytest.raises(Stop):
        await export_orders(s.client, out, windows=1, progress=stop_after(1))
    checkpoint = out.with_name(out.name + ".checkpoint")
    return checkpoint, orjson.loads(checkpoint.read_bytes())


async def test_a_checkpoint_that_names_no_server_is_not_resumed(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    # Checkpoints written before the server and user were recorded resumed against any
    # server: another shop's rows were appended to these, some orders written twice.
    s = served(orders=300)
    out = tmp_path / "orders.jsonl"
    checkpoint, saved = await interrupted_after_one_batch(s, out)
    del saved["source"]
    checkpoint.write_bytes(orjson.dumps(saved))
    partial = (tmp_path / "orders.jsonl.partial").read_bytes()
    sent = s.requests()
    with pytest.raises(CheckpointError, match="did not record the server and user") as raised:
        await export_orders(s.client, out, windows=1, resume=True)
    assert "start again without resume" in str(raised.value)
    assert s.requests() == sent
    assert (tmp_path / "orders.jsonl.partial").read_bytes() == partial


@pytest.mark.parametrize("missed", ["absent", ["the server's time zone"], "a text", [3]])
async def test_a_checkpoint_keeps_what_the_scan_warned_of(
    served: Callable[..., Served], tmp_path: Path, missed: Any
) -> None:
    # Written before they were kept, a checkpoint holds none; anything but a list of texts is
    # no checkpoint this version wrote.
    s = served(orders=300)
    out = tmp_path / "orders.jsonl"
    checkpoint, saved = await interrupted_after_one_batch(s, out)
    assert saved["missed_because"] == []
    if missed == "absent":
        del saved["missed_because"]
    else:
        saved["missed_because"] = missed
    checkpoint.write_bytes(orjson.dumps(saved))
    sent = s.requests()
    if missed in ("absent", ["the server's time zone"]):
        summary = await export_orders(s.client, out, windows=1, resume=True)
        assert summary.exported == 300
        assert summary.missed_because == (() if missed == "absent" else tuple(missed))
        return
    with pytest.raises(CheckpointError, match="not a valid export checkpoint"):
        await export_orders(s.client, out, windows=1, resume=True)
    assert s.requests() == sent


async def test_a_finished_checkpoint_that_names_no_server_still_finishes(
    served: Callable[..., Served], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its output is complete: a resume only renames it, reading from no server, so there is
    # nothing to refuse (refused, the complete output was thrown away by the next run).
    s = served(orders=200)
    out = tmp_path / "orders.jsonl"
    kill_at(monkeypatch, "before the rename")
    with pytest.raises(Killed):
        await export_orders(s.client, out, windows=1)
    monkeypatch.undo()
    checkpoint = tmp_path / "orders.jsonl.checkpoint"
    saved = orjson.loads(checkpoint.read_bytes())
    del saved["source"]
    checkpoint.write_bytes(orjson.dumps(saved))
    sent = s.requests()
    summary = await export_orders(s.client, out, windows=1, resume=True)
    assert s.requests() == sent
    assert summary.exported == 200
    assert sorted(exported_ids(out, "jsonl")) == sorted(r.order_id for r in s.state.orders)


async def test_a_cancelled_export_resumes(served: Callable[..., Served], tmp_path: Path) -> None:
    s = served(orders=1500)
    out = tmp_path / "orders.jsonl"
    written = asyncio.Event()

    def progress(p: ExportProgress) -> None:
        if p.exported >= 300:
            written.set()

    task = asyncio.ensure_future(export_orders(s.client, out, windows=4, progress=progress))
    await written.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not out.exists()
    summary = await export_orders(s.client, out, windows=4, resume=True)
    ids = [r["order_id"] for r in read_jsonl(out)]
    assert sorted(ids) == sorted(r.order_id for r in s.state.orders)
    assert summary.this_run < 1500


async def test_a_second_export_to_the_same_path_is_refused_while_one_runs(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served(orders=1500)
    out = tmp_path / "orders.jsonl"
    running = asyncio.Event()
    first = asyncio.ensure_future(export_orders(s.client, out, progress=lambda _: running.set()))
    await _until_running(running, first)
    with pytest.raises(ExportError, match="another export is writing"):
        await export_orders(s.client, out)
    summary = await first
    assert len(read_jsonl(out)) == summary.exported == 1500
    assert leftovers(out) == []


@pytest.mark.parametrize("kind", ["orders", "products"])
async def test_overwrite_false_keeps_an_output_already_there(
    served: Callable[..., Served], tmp_path: Path, kind: str
) -> None:
    s = served(orders=150, products=150)
    export = export_orders if kind == "orders" else export_products
    (out := tmp_path / f"{kind}.jsonl").write_text('{"kept": true}\n')
    with pytest.raises(ValidationError) as caught:
        await export(s.client, out, overwrite=False)
    assert str(caught.value) == (
        f"{out.absolute()} already exists (a finished export); pass overwrite=True to replace it"
    )
    with pytest.raises(ValidationError, match="overwrite must be True or False"):
        await export(s.client, tmp_path / "other.jsonl", overwrite="no")  # type: ignore[arg-type]
    assert s.requests() == 0
    assert names(tmp_path) == [f"{kind}.jsonl"]
    assert out.read_text() == '{"kept": true}\n'
    # A missing output is written as ever, and the default still replaces one.
    assert (await export(s.client, tmp_path / "new.jsonl", overwrite=False)).exported == 150
    assert (await export(s.client, out)).exported == 150
    assert len(read_jsonl(out)) == 150


async def test_an_output_finished_by_another_export_before_the_lock_is_kept(
    served: Callable[..., Served], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another export to the path ends (renames its output into place, lets go of the lock)
    # between this one's check of the path and its taking the lock: it was replaced when this
    # one renamed its own output there, though overwrite=False.
    s = served(orders=150)
    out = tmp_path / "orders.jsonl"
    lock = ExportPaths.lock

    def finished_first(paths: ExportPaths) -> contextlib.AbstractContextManager[None]:
        out.write_text('{"order_id": "the other export\'s"}\n')
        return lock(paths)

    monkeypatch.setattr(ExportPaths, "lock", finished_first)
    with pytest.raises(ValidationError, match=r"already exists \(a finished export\)"):
        await export_orders(s.client, out, overwrite=False)
    assert s.requests() == 0
    assert out.read_text() == '{"order_id": "the other export\'s"}\n'
    assert leftovers(out) == []


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_a_lock_file_removed_under_a_waiting_export_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three exports of one path: A ends (removes PATH.lock, then lets go) just as B, which
    # opened the file before, takes its lock; C then made a new PATH.lock and locked that, and
    # B and C both wrote. B must notice it holds a file no longer there.
    import fcntl

    from omsclient.export._checkpoint import ExportPaths

    paths = ExportPaths.for_output(tmp_path / "orders.jsonl", staged=False)
    a = paths.lock()
    a.__enter__()
    flock = fcntl.flock

    def a_ends_first(fd: int, operation: int) -> None:
        monkeypatch.setattr(fcntl, "flock", flock)
        a.__exit__(None, None, None)
        flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", a_ends_first)
    with paths.lock():  # B
        third = paths.lock()  # C
        with pytest.raises(ExportError, match="another export is writing"):
            third.__enter__()
    assert not paths.lock_file.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_an_exports_checks_never_remove_the_lock_another_export_just_took(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two exports of one path started together: A takes the lock while B checks its output.
    # B's check once made PATH.lock and removed it again, A's lock with it, and B then
    # locked a new PATH.lock: both wrote. Here A locks as soon as B opens anything there.
    from omsclient import _file_lock
    from omsclient.export._checkpoint import ExportPaths

    out = tmp_path / "orders.jsonl"
    paths = ExportPaths.for_output(out, staged=False)
    a = contextlib.ExitStack()
    opened = _file_lock.open_lock

    def a_locks_meanwhile(path: Path, mode: int) -> Any:
        if path == paths.lock_file and not taken:
            taken.append(True)
            a.enter_context(paths.lock())
        return opened(path, mode)

    taken: list[bool] = []
    monkeypatch.setattr(_file_lock, "open_lock", a_locks_meanwhile)
    with a:
        check_output(out, "jsonl", resume=False)  # B
        with pytest.raises(ExportError, match="another export is writing"), paths.lock():
            pass
    assert taken


@pytest.mark.parametrize("side", [".partial", ".checkpoint", ".checkpoint.tmp", ".lock"])
def test_a_folder_where_a_file_beside_the_output_goes_is_refused_by_name(
    tmp_path: Path, side: str
) -> None:
    out = tmp_path / "orders.jsonl"
    (tmp_path / f"orders.jsonl{side}").mkdir()
    with pytest.raises(ValidationError, match=rf"orders\.jsonl{re.escape(side)} .* is a folder"):
        check_output(out, "jsonl", resume=False)


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "path is empty: name a file, e.g. orders.jsonl"),
        (".", "cannot write .: it names a folder; name a file in it, e.g. export.jsonl"),
        ("./", "cannot write ./: it names a folder; name a file in it, e.g. export.jsonl"),
        ("/", "cannot write /: it names a folder; name a file in it, e.g. /export.jsonl"),
        (Path("."), "cannot write .: it names a folder; name a file in it, e.g. export.jsonl"),
        (
            "newdir/",
            "cannot write newdir/: it names a folder; name a file in it, e.g. newdir/export.jsonl",
        ),
        (
            "newdir/.",
            "cannot write newdir/.: it names a folder; name a file in it, e.g. newdir/export.jsonl",
        ),
        ("root", "cannot write root: it names a folder; name a file in it, e.g. root/export.jsonl"),
    ],
)
def test_a_path_that_names_a_folder_by_its_very_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, out: str | Path, message: str
) -> None:
    # "." or a link to "/" have no name to put .partial after: pathlib's bare ValueError, a
    # traceback from the command with the exit status that says "resume". "newdir/" wrote a
    # file named newdir.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "root").symlink_to("/")
    with pytest.raises(ValidationError) as caught:
        check_output(out, "jsonl")
    assert str(caught.value) == message
    assert names(tmp_path) == ["root"]


def test_a_finished_output_names_the_argument_that_replaces_it(tmp_path: Path) -> None:
    (out := tmp_path / "orders.jsonl").write_text("")
    with pytest.raises(ValidationError) as caught:
        check_output(out, "jsonl", overwrite=False)
    assert str(caught.value) == (
        f"{out} already exists (a finished export); pass overwrite=True to replace it"
    )
    assert check_output(out, "jsonl") == out


def test_a_folder_that_is_a_file_or_takes_no_file_is_said_so(tmp_path: Path) -> None:
    (tmp_path / "ready.csv").write_text("")
    out = tmp_path / "ready.csv" / "orders.jsonl"
    with pytest.raises(ValidationError) as caught:
        check_output(out, "jsonl")
    assert str(caught.value) == (
        f"cannot write {out}: the folder {tmp_path / 'ready.csv'} is a file, not a folder"
    )
    with pytest.raises(ValidationError, match=r"the folder .*/missing does not exist"):
        check_output(tmp_path / "missing" / "orders.jsonl", "jsonl")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="no /proc file system")
def test_a_folder_no_file_can_be_made_in_is_named(tmp_path: Path) -> None:
    # /proc is there: its "No such file or directory" read as a missing folder.
    with pytest.raises(ValidationError) as caught:
        check_output("/proc/orders.jsonl", "jsonl")
    assert str(caught.value).startswith(
        "cannot write /proc/orders.jsonl: no file can be made in /proc ("
    )


def test_the_longest_name_its_side_files_leave_room_for_is_accepted(tmp_path: Path) -> None:
    # PATH.checkpoint.tmp adds the most (15 bytes) to the 255 bytes a name here may take.
    out = tmp_path / ("o" * 234 + ".jsonl")
    assert check_output(out, "jsonl") == out
    (tmp_path / f"{out.name}.checkpoint.tmp").write_bytes(b"")


def test_a_name_one_byte_longer_than_its_side_files_leave_room_for_is_refused(
    tmp_path: Path,
) -> None:
    # One byte more than above: PATH.checkpoint.tmp could not be made once the first page was
    # written. A check of the name alone let the open fail with "File name too long"; the
    # message says how long a name may be, before anything is sent.
    out = tmp_path / ("o" * 235 + ".jsonl")
    with pytest.raises(ValidationError, match="the name is too long for the files written"):
        check_output(out, "jsonl")
    assert list(tmp_path.iterdir()) == []


async def test_resume_refuses_another_exports_checkpoint(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served()
    out = tmp_path / "orders.jsonl"
    with pytest.raises(Stop):
        await export_orders(s.client, out, OPEN, progress=stop_after(1))
    sent = s.requests()
    with pytest.raises(CheckpointError, match="other filters"):
        await export_orders(s.client, out, resume=True)
    with pytest.raises(CheckpointError, match="jsonl export of orders, not csv"):
        await export_orders(s.client, out, OPEN, format="csv", resume=True)
    assert s.requests() == sent
    # Without resume, the partial output is replaced by a fresh export.
    summary = await export_orders(s.client, out)
    assert summary.exported == 700
    assert not summary.resumed


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need a privilege on Windows")
@pytest.mark.parametrize("first", ["link", "target"])
async def test_an_export_to_a_symlink_lands_where_it_points(
    served: Callable[..., Served], tmp_path: Path, first: str
) -> None:
    # As cp and a shell's > do: the link stays a link, the file it points to gets the rows.
    s = served(orders=1500)
    data = tmp_path / "data"
    data.mkdir()
    target = data / "orders.jsonl"
    target.write_bytes(b'{"order_id": "old"}\n')
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    spellings = {"link": link, "target": target}
    start, then = spellings[first], spellings["target" if first == "link" else "link"]
    running = asyncio.Event()
    interrupted = asyncio.ensure_future(
        export_orders(s.client, start, progress=_set_then_stop(running, after=3))
    )
    await _until_running(running, interrupted)
    # The side files are the target's, whichever spelling: one export at a time writes it.
    with pytest.raises(ExportError, match="another export is writing"):
        await export_orders(s.client, then)
    with pytest.raises(Stop):
        await interrupted
    assert names(tmp_path) == ["data", "latest.jsonl"]
    assert target.read_bytes() == b'{"order_id": "old"}\n'
    # Resumed through the other spelling: the checkpoint is found.
    summary = await export_orders(s.client, then, resume=True)
    assert summary.resumed
    assert summary.path == target
    assert link.is_symlink()
    assert link.resolve() == target
    ids = [r["order_id"] for r in read_jsonl(target)]
    assert sorted(ids) == sorted(r.order_id for r in s.state.orders)
    assert names(data) == ["orders.jsonl"]
    assert names(tmp_path) == ["data", "latest.jsonl"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need a privilege on Windows")
def test_a_symlink_in_a_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").symlink_to(tmp_path / "b.jsonl")
    (tmp_path / "b.jsonl").symlink_to(tmp_path / "a.jsonl")
    with pytest.raises(ValidationError, match="it is a symlink in a loop"):
        check_output(tmp_path / "a.jsonl")


@pytest.mark.skipif(sys.platform == "win32", reason="no named pipes in the file system")
def test_a_pipe_or_a_device_is_refused_as_the_output(tmp_path: Path) -> None:
    # A reader of a named pipe waits for rows that would never come: the export would be
    # renamed over the pipe. /dev/null, as root, would be replaced by a file the same way.
    pipe = tmp_path / "orders.jsonl"
    os.mkfifo(pipe)
    with pytest.raises(ValidationError, match=r"orders\.jsonl: it is a pipe, a device or a socket"):
        check_output(pipe)
    with pytest.raises(ValidationError, match="it is a pipe, a device or a socket"):
        check_output(os.devnull, "jsonl")
    assert names(tmp_path) == ["orders.jsonl"]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc")
def test_a_stream_redirected_to_a_file_is_refused_as_the_output(tmp_path: Path) -> None:
    # "--out /dev/stdout > out.log" led to out.log, a regular file: taken for a finished export,
    # or with --overwrite replaced, what the shell appended to it and the summary lost.
    (tmp_path / "to-stdout.jsonl").symlink_to("/dev/stdout")
    (tmp_path / "devices").symlink_to("/dev")
    (tmp_path / "shm").symlink_to("/dev/shm")  # shm/.. is /dev, as the system reads it
    (tmp_path / "link-0").symlink_to("/dev/stdout")
    for n in range(1, 45):
        (tmp_path / f"link-{n}").symlink_to(tmp_path / f"link-{n - 1}")
    (tmp_path / "slash.jsonl").symlink_to("/dev/stdout/")  # /dev/stdout too, to the system
    (tmp_path / "dot.jsonl").symlink_to("/dev/stdout/.")
    with (tmp_path / "out.log").open("w") as log:
        fd = log.fileno()
        for name in (
            f"/dev/fd/{fd}",
            f"//dev/fd/{fd}",
            f"/proc/self/fd/{fd}",
            f"/proc/thread-self/fd/{fd}",
            f"/proc/{os.getpid()}/fd/{fd}",
            tmp_path / "to-stdout.jsonl",  # leads to /dev/stdout, whatever stdout is
            tmp_path / "devices" / "stdout",
            f"{tmp_path}/shm/../fd/{fd}",
            tmp_path / "slash.jsonl",
            tmp_path / "dot.jsonl",
        ):
            with pytest.raises(ValidationError, match="it is a pipe, a device or a socket"):
                check_output(name, "jsonl")
    # More links than the system follows: no file, and said so (not "a pipe, a device...").
    with pytest.raises(ValidationError, match=r"link-44: Too many levels of symbolic links$"):
        check_output(tmp_path / "link-44", "jsonl")
    # Files in a folder of /dev (a RAM disk) or named for one are files, as is one behind as
    # many links as the system follows (40).
    (tmp_path / "file-0").symlink_to(tmp_path / "out.log")
    for n in range(1, 40):
        (tmp_path / f"file-{n}").symlink_to(tmp_path / f"file-{n - 1}")
    assert check_output(tmp_path / "file-39", "jsonl") == tmp_path / "out.log"
    (tmp_path / "dev").mkdir()
    assert check_output(tmp_path / "dev" / "stdout", "jsonl").name == "stdout"
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        assert check_output("/dev/shm/orders.jsonl", "jsonl").parent == Path("/dev/shm")


async def _until_running(running: asyncio.Event, export: asyncio.Future[Any]) -> None:
    """Wait for ``running``, or raise what ended ``export`` before it ran (a wait on the event
    alone would hang)."""
    waiting = asyncio.ensure_future(running.wait())
    await asyncio.wait({waiting, export}, return_when=asyncio.FIRST_COMPLETED)
    if not running.is_set():
        waiting.cancel()
        await export
        raise AssertionError("the export ended before it reported any progress")


def _set_then_stop(event: asyncio.Event, after: int) -> Callable[[ExportProgress], None]:
    calls = 0

    def progress(p: ExportProgress) -> None:
        nonlocal calls
        calls += 1
        event.set()
        if calls == after:
            raise Stop

    return progress


async def test_resume_without_a_checkpoint_starts_afresh(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served(orders=150)
    out = tmp_path / "orders.jsonl"
    (tmp_path / "orders.jsonl.partial").write_bytes(b"left over\n")
    summary = await export_orders(s.client, out, resume=True)
    assert summary.exported == 150
    assert not summary.resumed
    assert len(read_jsonl(out)) == 150


async def test_an_export_started_again_leaves_nothing_to_resume_though_it_fails_at_once(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    s = served(orders=300)
    out = tmp_path / "orders.jsonl"
    with pytest.raises(Stop):
        await export_orders(s.client, out, progress=stop_after(1))
    down = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(503)))
    kwargs = {**s.info.client_kwargs(), "max_retries": 0, "http_client": down}
    async with omsclient.AsyncClient(**kwargs) as failing:
        with pytest.raises(omsclient.errors.ApiError):
            await export_orders(failing, out)
    assert leftovers(out) == []
    summary = await export_orders(s.client, out, resume=True)
    assert not summary.resumed
    assert summary.this_run == summary.exported == 300


@pytest.mark.parametrize(
    ("cut", "said"),
    [
        (100, "holds 100 bytes"),
        # One byte short (the last row's newline lost to an OS crash, the checkpoint not
        # fsync'd): resumed, truncate() would extend the file with a NUL byte where the
        # newline was, gluing two rows. Only 100 bytes were tried, so a check off by one
        # went unseen.
        (-1, "the checkpoint says"),
    ],
    ids=["100 bytes", "one byte short"],
)
async def test_a_checkpoint_longer_than_its_output_is_refused(
    served: Callable[..., Served], tmp_path: Path, cut: int, said: str
) -> None:
    s = served(orders=400)
    out = tmp_path / "orders.jsonl"
    with pytest.raises(Stop):
        await export_orders(s.client, out, progress=stop_after(2))
    partial = tmp_path / "orders.jsonl.partial"
    partial.write_bytes(partial.read_bytes()[:cut])
    with pytest.raises(CheckpointError, match=said):
        await export_orders(s.client, out, resume=True)


async def test_parquet_without_pyarrow_names_the_extra(
    served: Callable[..., Served], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = served()
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingExtraError, match=r"omsclient\[parquet\]"):
        await export_orders(s.client, tmp_path / "o.parquet", format="parquet")
    assert s.requests() == 0


BAD_EXPORTS: list[tuple[str, Callable[[omsclient.AsyncClient, Path], Any], str]] = [
    ("format", lambda oms, d: export_orders(oms, d / "o.xml", format="xml"), "format"),
    ("folder", lambda oms, d: export_orders(oms, d / "missing" / "o.jsonl"), "folder"),
    ("windows", lambda oms, d: export_orders(oms, d / "o.jsonl", windows=0), "windows"),
    # A str is true: "no" resumed, and overwrite="no" replaced the finished output.
    (
        "resume str",
        lambda oms, d: export_orders(oms, d / "o.jsonl", resume="no"),
        "resume must be True or False, got 'no'",
    ),
    (
        "products resume None",
        lambda oms, d: export_products(oms, d / "p.jsonl", resume=None),
        "resume must be True or False, got None",
    ),
    (
        "check_output overwrite",
        lambda oms, d: check_output(d / "o.jsonl", overwrite="no"),
        "overwrite must be True or False",
    ),
    # Called only after the first batch was written, it failed there with a TypeError.
    (
        "progress",
        lambda oms, d: export_orders(oms, d / "o.jsonl", progress=5),
        "progress must be callable, got int",
    ),
    (
        "products progress",
        lambda oms, d: export_products(oms, d / "p.jsonl", progress="tqdm"),
        "progress must be callable, got str",
    ),
    # Each was a bare TypeError or ValueError naming no argument.
    ("path bytes", lambda oms, d: export_orders(oms, b"o.jsonl"), "path must be a str or a"),
    ("path None", lambda oms, d: export_products(oms, None), "path must be a str or a"),
    ("path NUL", lambda oms, d: export_orders(oms, d / "o\x00.jsonl"), "path holds a NUL"),
    ("check_output NUL", lambda oms, d: check_output(str(d / "o\x00.jsonl")), "NUL"),
    (
        "client",
        lambda oms, d: export_orders(None, d / "o.jsonl"),
        "client must be an AsyncClient or a Client, got NoneType",
    ),
]


@pytest.mark.parametrize(
    ("call", "message"), [(c, m) for _, c, m in BAD_EXPORTS], ids=[n for n, _, _ in BAD_EXPORTS]
)
async def test_bad_arguments_send_nothing(
    served: Callable[..., Served],
    tmp_path: Path,
    call: Callable[[omsclient.AsyncClient, Path], Any],
    message: str,
) -> None:
    s = served()
    with pytest.raises(omsclient.ValidationError, match=re.escape(message)):
        result = call(s.client, tmp_path)
        if inspect.isawaitable(result):
            await result
    assert s.requests() == 0
    assert names(tmp_path) == []


@pytest.mark.parametrize("export", [export_orders, export_products])
async def test_the_client_of_an_export_is_named_by_position(
    served: Callable[..., Served], tmp_path: Path, export: Any
) -> None:
    # Given by keyword, as sync_orders takes it, the error named EitherClient.__call__, and
    # help() showed the client as a keyword argument taking an AsyncClient alone.
    name = export.__name__
    s = served()
    with pytest.raises(TypeError, match=rf"^{name}\(\) takes the client as its first argument"):
        export(client=s.client, path=tmp_path / "o.jsonl")
    client = next(iter(inspect.signature(export).parameters.values()))
    assert (client.kind, client.annotation) == (client.POSITIONAL_ONLY, "AsyncClient | Client")
    returned = inspect.signature(export).return_annotation
    assert returned == "ExportSummary | Awaitable[ExportSummary]"
    assert s.requests() == 0


async def test_memory_stays_flat_as_the_export_grows(
    client_kwargs: dict[str, Any], tmp_path: Path
) -> None:
    import gc
    import tracemalloc

    calls = 0

    def collect(_: ExportProgress) -> None:
        # httpx responses are reference cycles, freed whenever the cyclic collector runs; collect
        # regularly so the peak shows what the export keeps alive, not when the GC happened to run.
        nonlocal calls
        calls += 1
        if calls % 10 == 0:
            gc.collect()

    async def peak(orders: int) -> int:
        # ~2 KB an order: holding every order would cost 4 MB for the small export alone.
        rows = [{**order(i, i), "notes": "x" * 2000} for i in range(orders)]
        # A bare MockTransport: respx would keep every response for inspection.
        transport = httpx.MockTransport(FakeFind(rows))
        async with omsclient.AsyncClient(
            **client_kwargs, http_client=httpx.AsyncClient(transport=transport)
        ) as oms:
            # What earlier tests in the process left is collected, and what they keep is
            # frozen: neither their garbage's finalizers nor the size of their heap (which
            # decides when the collector runs on its own) reaches the measure.
            gc.collect()
            gc.freeze()
            tracemalloc.start()
            try:
                summary = await export_orders(
                    oms, tmp_path / f"{orders}.jsonl", windows=2, progress=collect
                )
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
                gc.unfreeze()
                assert summary.exported == orders

    # The first export of a process also pays for what stays after it (imports, compiled
    # converters, caches): run alone, the small export paid it and the large one did not; after
    # other tests, neither did. A first export pays it here, so both are measured alike.
    await peak(1000)
    small, large = await peak(2000), await peak(8000)
    # Four times the orders must not need much more memory; a list of all of them would.
    assert large < small * 1.3


class Killed(BaseException):
    """A kill at one point of the export's finish (nothing after it runs)."""


def kill_at(monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    """Make the export die at ``point`` of its finish, once."""
    from omsclient.export import _exporter

    if point == "before the rename":
        real_finish = _exporter._finish

        def finish(*args: Any) -> None:
            monkeypatch.setattr(_exporter, "_finish", real_finish)
            raise Killed

        monkeypatch.setattr(_exporter, "_finish", finish)
        return
    if point == "during the conversion":
        real_convert = _exporter.jsonl_to_parquet

        def convert(source: Path, target: Path, *rest: object, **options: object) -> int:
            monkeypatch.setattr(_exporter, "jsonl_to_parquet", real_convert)
            target.write_bytes(b"PAR1 torn")
            raise Killed

        monkeypatch.setattr(_exporter, "jsonl_to_parquet", convert)
        return
    # After the rename: before the staging file's removal, or before the checkpoint's.
    removals = {"after the rename": 0, "before the checkpoint removal": 1}[point]
    real_remove = _exporter._remove
    calls = 0

    def remove(path: Path | None) -> None:
        nonlocal calls
        calls += 1
        if calls > removals:
            monkeypatch.setattr(_exporter, "_remove", real_remove)
            raise Killed
        real_remove(path)

    monkeypatch.setattr(_exporter, "_remove", remove)


CRASH_POINTS = [
    ("jsonl", "before the rename"),
    ("jsonl", "after the rename"),
    ("jsonl", "before the checkpoint removal"),
    ("csv", "before the rename"),
    ("csv", "after the rename"),
    ("csv", "before the checkpoint removal"),
    ("parquet", "during the conversion"),
    ("parquet", "before the rename"),
    ("parquet", "after the rename"),
    ("parquet", "before the checkpoint removal"),
]


@pytest.mark.parametrize(("fmt", "point"), CRASH_POINTS)
async def test_a_kill_while_finishing_is_completed_by_resume(
    served: Callable[..., Served],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    point: str,
) -> None:
    s = served(orders=400)
    out = tmp_path / f"orders.{fmt}"
    # An older export's file is there: until the rename, it must not pass for the new one.
    out.write_bytes(b"an older export")
    kill_at(monkeypatch, point)
    with pytest.raises(Killed):
        await export_orders(s.client, out, format=fmt, windows=2)
    assert (tmp_path / f"orders.{fmt}.checkpoint").exists()
    sent = s.requests()
    summary = await export_orders(s.client, out, format=fmt, windows=2, resume=True)
    finished = point != "during the conversion"
    # A completed output is only renamed and cleaned up: not one more request.
    assert (s.requests() == sent) is finished
    assert summary.resumed
    assert summary.exported == summary.server_total == 400
    assert sorted(exported_ids(out, fmt)) == sorted(r.order_id for r in s.state.orders)
    assert leftovers(out) == []


async def test_a_cancelled_parquet_conversion_stops_before_the_export_returns(
    served: Callable[..., Served], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from omsclient.export import _parquet

    s = served(orders=400)
    out = tmp_path / "orders.parquet"
    real_loads = _parquet.loads_as_sent
    read: list[bytes] = []
    loop = asyncio.get_running_loop()
    converting = asyncio.Event()

    def slow_loads(line: bytes) -> Any:
        loop.call_soon_threadsafe(converting.set)
        read.append(line)
        time.sleep(0.005)
        return real_loads(line)

    monkeypatch.setattr(_parquet, "loads_as_sent", slow_loads)
    task = asyncio.ensure_future(export_orders(s.client, out))
    await converting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Once the call has ended (and released its lock), nothing goes on writing its files:
    # a resume right away would convert into the same .partial at the same time.
    stopped_at = len(read)
    await asyncio.sleep(0.3)
    assert len(read) == stopped_at < 400
    monkeypatch.undo()
    summary = await export_orders(s.client, out, resume=True)
    assert summary.exported == 400
    assert sorted(exported_ids(out, "parquet")) == sorted(r.order_id for r in s.state.orders)
    assert leftovers(out) == []
