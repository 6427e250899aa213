"""A fast local legacy API for the end-to-end benchmarks, run in its own process.

It answers ``manage_orders/find`` with page bytes built once at start, so its CPU per request is
a form parse and a socket write, and none of it is counted as the client's: the client measures
``time.process_time()`` of its own process. Optional latency per page (an ``asyncio.sleep``)
stands for a real server's work; it counts requests in flight, so a benchmark can check a
client-wide cap.

Control (JSON): ``POST /_bench/config {"latency": 0.05}``, ``GET /_bench/stats`` (and reset).
Run: ``python -m benchmarks._server --pages 50 --variant sample``; it prints ``PORT <n>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from aiohttp import web

from benchmarks._data import PAGE_SIZE, page_bytes

FIND = "/api/json/manage_orders/find"


class _State:
    def __init__(self, pages: int, variant: str) -> None:
        self.total = pages * PAGE_SIZE
        self.full = page_bytes(variant, total=self.total)
        self.empty = b'{"response_status":{"code":10001},"total":%d,"orders":[]}' % self.total
        self.latency = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = 0


async def _find(request: web.Request) -> web.Response:
    state: _State = request.app["state"]
    state.requests += 1
    state.in_flight += 1
    state.max_in_flight = max(state.max_in_flight, state.in_flight)
    try:
        form = await request.post()
        offset = int(str(form.get("offset", "0")))
        if state.latency:
            await asyncio.sleep(state.latency)
        body = state.full if offset < state.total else state.empty
        return web.Response(body=body, content_type="application/json")
    finally:
        state.in_flight -= 1


async def _config(request: web.Request) -> web.Response:
    state: _State = request.app["state"]
    state.latency = float((await request.json()).get("latency", 0.0))
    return web.json_response({"latency": state.latency})


async def _stats(request: web.Request) -> web.Response:
    state: _State = request.app["state"]
    stats = {"requests": state.requests, "max_in_flight": state.max_in_flight}
    state.requests = state.max_in_flight = 0
    return web.json_response(stats)


async def _main(pages: int, variant: str, port: int) -> None:
    app = web.Application(client_max_size=2**20)
    app["state"] = _State(pages, variant)
    app.router.add_post(FIND, _find)
    app.router.add_post("/_bench/config", _config)
    app.router.add_get("/_bench/stats", _stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    server: Any = site._server
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


@contextmanager
def running(pages: int, variant: str = "sample") -> Iterator[str]:
    """Start the server in a child process; yield its base URL; stop it."""
    command = [sys.executable, "-m", "benchmarks._server", "--pages", str(pages)]
    root = Path(__file__).resolve().parent.parent  # where ``benchmarks`` is importable
    proc = subprocess.Popen(
        [*command, "--variant", variant], stdout=subprocess.PIPE, text=True, bufsize=1, cwd=root
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--variant", default="sample")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with suppress(KeyboardInterrupt):
        asyncio.run(_main(args.pages, args.variant, args.port))


def control(url: str, latency: float) -> None:
    """Set the server's latency per page (blocking, for set-up between runs)."""
    import httpx

    httpx.post(f"{url}/_bench/config", content=json.dumps({"latency": latency})).raise_for_status()


def stats(url: str) -> dict[str, int]:
    """Requests and the most in flight at once since the last call."""
    import httpx

    return dict(httpx.get(f"{url}/_bench/stats").json())


if __name__ == "__main__":
    main()
