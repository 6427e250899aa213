"""Sync rate at concurrency 1 and 8, and the cost of a second run after 1 % of orders changed.

Run: ``python benchmarks/sync_bench.py`` (20,000 orders, 50 ms per request; ``--orders 500``
for a quick check). ``--db postgresql://user@host/dbname`` syncs into PostgreSQL instead of a
fresh SQLite file per run (the tables are emptied first).

The sandbox runs in a background thread of this process and its latency is the network's.
For each concurrency: a first run into an empty database (every order), then 1 % of the open
orders move one status forward through the API, then a second run (only what changed since the
first run's watermark, minus the overlap). Nothing is asserted: it prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _empty_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("DROP TABLE IF EXISTS orders, omsclient_sync_state")


async def _round(info: Any, db: str, windows: int, share: float) -> dict[str, float]:
    import omsclient
    from omsclient.dbsync import sync_orders
    from omsclient.legacy import StatusChange

    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        started = time.perf_counter()
        first = await sync_orders(oms, db, windows=windows)
        first_seconds = time.perf_counter() - started
        open_orders = [r for r in info.state.orders if r.status < 3]
        count = max(1, int(len(info.state.orders) * share))
        changes = [
            StatusChange(order_id=r.order_id, new_status=r.status + 1) for r in open_orders[:count]
        ]
        for start in range(0, len(changes), 50):
            await oms.legacy.orders.update_status(changes[start : start + 50])
        started = time.perf_counter()
        second = await sync_orders(oms, db, windows=windows)
        second_seconds = time.perf_counter() - started
    return {
        "orders": first.new,
        "first_seconds": first_seconds,
        "first_requests": first.requests,
        "changed": len(changes),
        "updated": second.updated,
        "second_seconds": second_seconds,
        "second_requests": second.requests,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000, help="orders in the sandbox")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--changed", type=float, default=0.01, help="share changed (0.01)")
    parser.add_argument("--db", help="a PostgreSQL URL (default: a fresh SQLite file per run)")
    args = parser.parse_args(argv)

    from omsclient.sandbox import Faults, SandboxConfig, serve

    config = SandboxConfig(
        orders=args.orders,
        products=max(50, args.orders // 20),
        faults=Faults(latency=args.latency),
    )
    print(
        f"sandbox: {args.orders:,} orders, {args.latency * 1000:.0f} ms per request; "
        f"{args.changed:.0%} changed before the second run; python {sys.version.split()[0]}",
        flush=True,
    )
    rows = []
    for windows in args.concurrency:
        # A fresh sandbox per concurrency: the same data, none of the last round's changes.
        with serve(config) as info, tempfile.TemporaryDirectory() as folder:
            db = args.db or f"sqlite:///{Path(folder) / 'orders.db'}"
            if args.db:
                _empty_postgres(args.db)
            rows.append((windows, asyncio.run(_round(info, db, windows, args.changed))))
        print(f"  concurrency={windows}: done", flush=True)

    print()
    print(
        f"{'concurrency':>11} {'orders':>8} {'1st s':>7} {'orders/s':>9} {'1st req':>8} "
        f"{'changed':>8} {'updated':>8} {'2nd s':>7} {'2nd req':>8} {'2nd/1st time':>12}"
    )
    for windows, r in rows:
        print(
            f"{windows:>11} {r['orders']:>8,.0f} {r['first_seconds']:>7.1f} "
            f"{r['orders'] / r['first_seconds']:>9,.0f} {r['first_requests']:>8,.0f} "
            f"{r['changed']:>8,.0f} {r['updated']:>8,.0f} {r['second_seconds']:>7.2f} "
            f"{r['second_requests']:>8,.0f} {r['second_seconds'] / r['first_seconds']:>11.1%}"
        )


if __name__ == "__main__":
    main()
