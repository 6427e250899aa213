"""A fast local legacy API for the end-to-end benchmarks, run in its own process.

It holds ``pages`` pages of orders, a second apart by Date Ordered, each rendered to bytes once
at start, and answers ``manage_orders/find`` with a slice of them: its CPU per request is a form
parse, a join and a socket write, and none of it is counted as the client's (the client measures
``time.process_time()`` of its own process). It honours what a stable scan asks (Date Ordered
``>=`` and ``<`` conditions, one sent flat or several numbered, offset and limit; the orders are
already in Date Ordered order) and ignores every other condition, so offset paging and scans
read the same orders. Optional latency per page (an ``asyncio.sleep``) stands for a real
server's work; it counts requests in flight, so a benchmark can check a
client-wide cap.

Control (JSON): ``POST /_bench/config {"latency": 0.05, "jitter": 0.9}`` (each page's latency
drawn evenly from ``latency * (1 ± jitter)``), ``GET /_bench/stats`` (and reset).
Run: ``python -m benchmarks._server --pages 50 --variant sample``; it prints ``PORT <n>``.
With ``--cert`` and ``--key`` (PEM files) it answers over TLS, as the live server does.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import os
import random
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from multidict import MultiDictProxy

from benchmarks._data import PAGE_SIZE, dated_orders

FIND = "/api/json/manage_orders/find"
DATE_ORDERED = "1"  # the field code of Date Ordered in a condition
GE, LT = "6", "3"  # the operators a stable scan sends


class _State:
    def __init__(self, pages: int, variant: str) -> None:
        dated = dated_orders(variant, pages * PAGE_SIZE)
        self.dates = [ordered for ordered, _ in dated]
        self.rendered = [orjson.dumps(order) for _, order in dated]
        self.latency = 0.0
        self.jitter = 0.0
        self.random = random.Random(0)
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
        start, end = _date_range(state.dates, form)
        offset = int(str(form.get("offset", "0")))
        limit = int(str(form.get("limit", str(PAGE_SIZE))))
        rows = state.rendered[start + offset : min(start + offset + limit, end)]
        if state.latency:
            spread = state.jitter * (2 * state.random.random() - 1)
            await asyncio.sleep(state.latency * (1 + spread))
        body = b'{"response_status":{"code":10001,"severity":"SUCCESS","description":"Success"},'
        body += b'"total":%d,"orders":[%b]}' % (end - start, b",".join(rows))
        return web.Response(body=body, content_type="application/json")
    finally:
        state.in_flight -= 1


def _conditions(form: MultiDictProxy[Any]) -> Iterator[tuple[str, str, str]]:
    """(field, condition, date1) of each condition: one sent flat, several numbered from 1."""
    if "field" in form:
        yield str(form["field"]), str(form.get("condition", "")), str(form.get("date1", ""))
        return
    for n in itertools.count(1):
        prefix = f"conditions[{n}]"
        if f"{prefix}[field]" not in form:
            return
        field, op = str(form[f"{prefix}[field]"]), str(form.get(f"{prefix}[condition]", ""))
        yield field, op, str(form.get(f"{prefix}[date1]", ""))


def _date_range(dates: list[datetime], form: MultiDictProxy[Any]) -> tuple[int, int]:
    """The indexes [start, end) of the orders the form's Date Ordered conditions select."""
    start, end = 0, len(dates)
    for field, op, date1 in _conditions(form):
        if field != DATE_ORDERED:
            continue
        date = datetime.fromisoformat(date1)
        if op == GE:
            start = max(start, bisect.bisect_left(dates, date))
        elif op == LT:
            end = min(end, bisect.bisect_left(dates, date))
        else:
            raise web.HTTPBadRequest(text=f"the benchmark server does not read {dict(form)}")
    return start, max(start, end)


async def _config(request: web.Request) -> web.Response:
    state: _State = request.app["state"]
    config = await request.json()
    state.latency = float(config.get("latency", 0.0))
    state.jitter = float(config.get("jitter", 0.0))
    return web.json_response({"latency": state.latency, "jitter": state.jitter})


async def _stats(request: web.Request) -> web.Response:
    state: _State = request.app["state"]
    stats = {"requests": state.requests, "max_in_flight": state.max_in_flight}
    state.requests = state.max_in_flight = 0
    return web.json_response(stats)


async def _main(pages: int, variant: str, port: int, tls: ssl.SSLContext | None) -> None:
    app = web.Application(client_max_size=2**20)
    app["state"] = _State(pages, variant)
    app.router.add_post(FIND, _find)
    app.router.add_post("/_bench/config", _config)
    app.router.add_get("/_bench/stats", _stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024, ssl_context=tls)
    await site.start()
    server: Any = site._server
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


@contextmanager
def running(pages: int, variant: str = "sample", tls: bool = False) -> Iterator[str]:
    """Start the server in a child process; yield its base URL; stop it.

    ``tls``: over HTTPS, with a certificate of a certificate authority made for the run, which
    this process trusts meanwhile (``SSL_CERT_FILE``, read by httpx, omsclient, and OpenSSL's
    default paths that aiohttp loads).
    """
    command = [sys.executable, "-m", "benchmarks._server", "--pages", str(pages)]
    root = Path(__file__).resolve().parent.parent  # where ``benchmarks`` is importable
    with tempfile.TemporaryDirectory(prefix="omsclient-bench-") as folder:
        trusted = os.environ.get("SSL_CERT_FILE")
        if tls:
            command += _certificates(Path(folder))
        proc = subprocess.Popen(
            [*command, "--variant", variant],
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            cwd=root,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("PORT "):
                raise RuntimeError(f"the benchmark server did not start: {line!r}")
            scheme = "https" if tls else "http"
            yield f"{scheme}://127.0.0.1:{int(line.split()[1])}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            if trusted is None:
                os.environ.pop("SSL_CERT_FILE", None)
            else:
                os.environ["SSL_CERT_FILE"] = trusted


def hand_session() -> aiohttp.ClientSession:
    """The hand-written loops' aiohttp session, trusting what the environment says when made:
    aiohttp's default context was made at its import, before a TLS run's server named its
    certificate authority (:func:`running`)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl.create_default_context()))


def _certificates(folder: Path) -> list[str]:
    """Make a certificate authority and the server's certificate in ``folder``, trust the
    authority in this process; the server's arguments naming the certificate and its key."""
    import trustme

    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    issued = authority.issue_cert("127.0.0.1")
    issued.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    issued.private_key_pem.write_to_path(str(folder / "key.pem"))
    os.environ["SSL_CERT_FILE"] = str(folder / "ca.pem")
    return ["--cert", str(folder / "cert.pem"), "--key", str(folder / "key.pem")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--variant", default="sample")
    parser.add_argument("--cert", help="the server's certificate (PEM): answer over TLS")
    parser.add_argument("--key", help="the certificate's private key (PEM)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)
    with suppress(KeyboardInterrupt):
        asyncio.run(_main(args.pages, args.variant, args.port, tls))


def control(url: str, latency: float, jitter: float = 0.0) -> None:
    """Set the server's latency per page, each drawn evenly from ``latency * (1 ± jitter)``
    (blocking, for set-up between runs)."""
    import httpx

    config = json.dumps({"latency": latency, "jitter": jitter})
    httpx.post(f"{url}/_bench/config", content=config).raise_for_status()


def stats(url: str) -> dict[str, int]:
    """Requests and the most in flight at once since the last call."""
    import httpx

    return dict(httpx.get(f"{url}/_bench/stats").json())


if __name__ == "__main__":
    main()
