"""Export rate at 1 and 8 windows, and peak memory, against a sandbox with realistic latency.

Run: ``python benchmarks/export_bench.py`` (100,000 orders; ``--orders 20000`` for a quick run).

The sandbox runs in its own process (``python -m omsclient.sandbox``), so its CPU (it renders
every order it returns) does not share a core's time with the client being measured. Each
export runs in a fresh child process, which reports its rate, the growth of its peak resident
memory over the export (``ru_maxrss``), and Python's own peak allocation (``tracemalloc``, only
with ``--tracemalloc``: it slows everything down). Nothing here is asserted: it prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


async def _export(url: str, out: str, windows: int, fmt: str, trace: bool) -> dict[str, float]:
    import omsclient
    from omsclient.export import export_orders

    async with omsclient.AsyncClient(
        legacy_url=url, username="sandbox", password="pw-sandbox-1"
    ) as oms:
        await oms.legacy.orders.scan().count()  # connect and warm up outside the measurement
        if trace:
            import tracemalloc

            tracemalloc.start()
        before = _rss_mb()
        cpu = time.process_time()
        started = time.perf_counter()
        summary = await export_orders(oms, out, format=fmt, windows=windows)  # type: ignore[call-overload]
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        result = {
            "cpu_us_per_order": cpu / max(1, summary.exported) * 1e6,
            "orders": summary.exported,
            "seconds": elapsed,
            "rate": summary.exported / elapsed,
            "requests": summary.requests,
            "rss_before_mb": before,
            "rss_peak_mb": _rss_mb(),
        }
        if trace:
            import tracemalloc

            result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        return result


def _child(args: argparse.Namespace) -> None:
    result = asyncio.run(_export(args.url, args.out, args.windows, args.format, args.tracemalloc))
    result["bytes"] = os.path.getsize(args.out)
    print(json.dumps(result))


def _start_sandbox(orders: int, latency: float) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "omsclient.sandbox",
        "--port",
        "0",
        "--orders",
        str(orders),
        "--products",
        "200",
        "--latency",
        str(latency),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"on (http://\S+)", line)
        if match:
            return process, match[1]
    process.kill()
    raise RuntimeError("the sandbox did not start")


def _run_child(url: str, windows: int, fmt: str, trace: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / f"orders.{fmt}")
        command = [sys.executable, str(HERE), "--child", "--url", url, "--out", out]
        command += ["--windows", str(windows), "--format", fmt]
        if trace:
            command.append("--tracemalloc")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the sandbox")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--windows", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--format", default="jsonl", choices=("jsonl", "csv", "parquet"))
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python memory")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.windows = args.windows[0]
        _child(args)
        return

    print(
        f"sandbox: {args.orders:,} orders, {args.latency * 1000:.0f} ms per request; "
        f"format {args.format}; python {sys.version.split()[0]}",
        flush=True,
    )
    process, url = _start_sandbox(args.orders, args.latency)
    try:
        rows = []
        for windows in args.windows:
            result = _run_child(url, windows, args.format, args.tracemalloc)
            rows.append((windows, result))
            print(f"  windows={windows}: done in {result['seconds']:.1f} s", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=10)

    header = f"{'windows':>7} {'orders':>9} {'seconds':>8} {'orders/s':>9} {'requests':>8}"
    header += f" {'client CPU/order':>16} {'MB out':>7} {'RSS before':>10} {'RSS peak':>9}"
    header += f" {'growth':>7}"
    if args.tracemalloc:
        header += f" {'traced peak':>11}"
    print()
    print(header)
    for windows, r in rows:
        line = (
            f"{windows:>7} {r['orders']:>9,.0f} {r['seconds']:>8.1f} {r['rate']:>9,.0f} "
            f"{r['requests']:>8,.0f} {r['cpu_us_per_order']:>13.0f} us "
            f"{r['bytes'] / 2**20:>7.0f} {r['rss_before_mb']:>9.0f}M "
            f"{r['rss_peak_mb']:>8.0f}M {r['rss_peak_mb'] - r['rss_before_mb']:>6.0f}M"
        )
        if args.tracemalloc:
            line += f" {r['traced_peak_mb']:>10.1f}M"
        print(line)


if __name__ == "__main__":
    main()
