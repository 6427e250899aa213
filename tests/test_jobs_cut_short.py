"""Bulk jobs ended early, by a cancel scope or by the caller's own callback, leave nothing open:
the sync closes its database, the export its scan (no window fetch left in flight)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

import omsclient
from omsclient.dbsync import sync_orders
from omsclient.dbsync._sqlite import SqliteStore
from omsclient.export import export_orders
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

BACKENDS = ["asyncio", "trio"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cut_after", [0.02, 0.3])
def test_a_cancelled_sync_closes_its_database(
    oms_sandbox_factory: Callable[..., SandboxInfo],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    cut_after: float,
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=3000, faults=Faults(latency=(0.0, 0.05))))
    opened: list[SqliteStore] = []
    closed: list[SqliteStore] = []
    open_store, close_store = SqliteStore.__init__, SqliteStore.close

    ready = threading.Event()
    finished: list[bool] = []

    def recording_open(self: SqliteStore, *args: Any, **kwargs: Any) -> None:
        open_store(self, *args, **kwargs)
        opened.append(self)
        ready.set()

    def recording_close(self: SqliteStore) -> None:
        closed.append(self)
        close_store(self)

    monkeypatch.setattr(SqliteStore, "__init__", recording_open)
    monkeypatch.setattr(SqliteStore, "close", recording_close)

    async def main() -> None:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:

            async def sync() -> None:
                await sync_orders(oms, f"sqlite:///{tmp_path / 'orders.db'}", windows=4)
                finished.append(True)

            async with anyio.create_task_group() as group:
                group.start_soon(sync)
                # Cut that long after the database is open, however long opening took on a
                # busy machine.
                assert await anyio.to_thread.run_sync(ready.wait, 30)
                await anyio.sleep(cut_after)
                group.cancel_scope.cancel()

    anyio.run(main, backend=backend)
    assert not finished
    assert opened
    assert closed == opened


@pytest.mark.parametrize("cut", ["open", "load_state", "save_state", "apply"])
def test_a_sync_cancelled_by_asyncio_closes_its_database_once_the_thread_is_done(
    oms_sandbox_factory: Callable[..., SandboxInfo],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cut: str,
) -> None:
    # asyncio's own Task.cancel() (sent by asyncio.run on Ctrl-C, by asyncio.timeout and
    # wait_for) gets past anyio's shield: the await of a worker thread ended at once, and the
    # connection was closed while the thread was still writing a batch with it (in SQLite, a
    # crash of the process when the two met).
    info = oms_sandbox_factory(SandboxConfig(orders=300))
    events: list[str] = []
    entered = threading.Event()

    def slow(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: SqliteStore, *args: Any, **kwargs: Any) -> Any:
            if name == cut and not entered.is_set():
                entered.set()
                time.sleep(0.3)  # the cancellation arrives meanwhile
            events.append(name)
            return method(self, *args, **kwargs)

        return call

    for name in ("__init__", "load_state", "save_state", "apply", "close"):
        method = getattr(SqliteStore, name)
        monkeypatch.setattr(SqliteStore, name, slow("open" if name == "__init__" else name, method))
    url = f"sqlite:///{tmp_path / 'orders.db'}"

    async def main() -> None:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            task = asyncio.get_running_loop().create_task(sync_orders(oms, url))
            await asyncio.get_running_loop().run_in_executor(None, entered.wait)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert events[-1] == "close"
            assert events.count("close") == 1
            assert cut in events  # done before the close, not cut off by it
            await sync_orders(oms, url)  # the lock was let go: the next run goes on

    asyncio.run(main())
    with contextlib.closing(sqlite3.connect(tmp_path / "orders.db")) as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone() == (300,)


class Stop(Exception):
    pass


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_export_whose_callback_raises_closes_its_scan(
    oms_sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path, backend: str
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=2000, faults=Faults(latency=0.02)))

    def progress(_: object) -> None:
        raise Stop

    async def main() -> None:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            with pytest.raises(Stop):
                await export_orders(oms, tmp_path / "orders.jsonl", windows=8, progress=progress)
            # The scan's windows were stopped then, not when the collector finds them.
            assert oms._session.throttle.in_flight == 0

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        anyio.run(main, backend=backend)
        gc.collect()
