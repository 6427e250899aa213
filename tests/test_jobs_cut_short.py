"""Bulk jobs ended early, by a cancel scope or by the caller's own callback, leave nothing open:
the sync closes its database, the export its scan (no window fetch left in flight)."""

from __future__ import annotations

import gc
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

    def recording_open(self: SqliteStore, *args: Any, **kwargs: Any) -> None:
        open_store(self, *args, **kwargs)
        opened.append(self)

    def recording_close(self: SqliteStore) -> None:
        closed.append(self)
        close_store(self)

    monkeypatch.setattr(SqliteStore, "__init__", recording_open)
    monkeypatch.setattr(SqliteStore, "close", recording_close)

    async def main() -> bool:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            with anyio.move_on_after(cut_after) as scope:
                await sync_orders(oms, f"sqlite:///{tmp_path / 'orders.db'}", windows=4)
        return scope.cancelled_caught

    assert anyio.run(main, backend=backend)
    assert opened
    assert closed == opened


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
