"""The options of ``omsclient sandbox`` (``python -m omsclient.sandbox``), and serving a sandbox
until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import shlex
import sys
from datetime import datetime
from typing import Literal

from omsclient._isoformat import fromisoformat
from omsclient._settings import credential_problem
from omsclient._terminal import escaped

from ._config import (
    DEFAULT_ORDERS,
    DEFAULT_PRODUCTS,
    Churn,
    Faults,
    Quirks,
    SandboxConfig,
    store_id_problem,
    token_problem,
)
from ._extra import EXTRA_MISSING, has_extra

MAX_ORDERS = 10_000_000
"""The most orders (and products) the command generates: about 5 GB, a minute to start; a
typo's extra digits would take memory until the machine ran out, saying nothing."""


def dataset_size(text: str) -> int:
    """A count of orders or products to generate: 0 to :data:`MAX_ORDERS`."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_ORDERS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number 0..{MAX_ORDERS:,}")
    return value


def _token(text: str) -> str:
    problem = token_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def _host(text: str) -> str:
    if not text:
        # Bound as given, it listens on every interface: 0.0.0.0 says so.
        raise argparse.ArgumentTypeError("must not be empty (0.0.0.0 is every interface)")
    return text


def _username(text: str) -> str:
    return _credential(text, "username")


def _password(text: str) -> str:
    return _credential(text, "password")


def _credential(text: str, name: Literal["username", "password"]) -> str:
    # One the client refuses, or takes as none set: the banner's settings would not work.
    problem = credential_problem(text, name)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem.removeprefix(f"{name} "))
    return text


def _store_id(text: str) -> str:
    problem = store_id_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate between 0 and 1")
    return value


def _start(text: str) -> datetime:
    try:
        return fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date like 2024-01-01 or 2024-01-01T08:00:00"
        ) from None


def _latency(text: str) -> float | tuple[float, float]:
    try:
        values = [float(part) for part in text.split(",", 1)]
    except ValueError:
        values = []
    # inf would hold every request for ever.
    if not values or not all(0 <= v < math.inf for v in values) or values != sorted(values):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SECONDS or MIN,MAX (finite, >= 0, MIN <= MAX)"
        )
    return (values[0], values[1]) if len(values) == 2 else values[0]


def _retry_after(text: str) -> int | None:
    # "none": 429s without the header, as some servers send them.
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not SECONDS or none") from None


def _zone(text: str) -> str:
    # The sandbox's own check, said as a usage error of the option, not of the Quirks field.
    try:
        Quirks(condition_zone=text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"no time zone is named {text!r}") from None
    return text


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0..65535)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox options to ``parser`` (also used by ``omsclient sandbox``)."""
    parser.add_argument("--host", default="127.0.0.1", type=_host, help="interface to listen on")
    parser.add_argument("--port", type=_port, default=8080, help="port (0 picks a free one)")
    parser.add_argument(
        "--orders", type=dataset_size, default=DEFAULT_ORDERS, help="orders to generate"
    )
    parser.add_argument(
        "--products", type=dataset_size, default=DEFAULT_PRODUCTS, help="products to generate"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument(
        "--start",
        type=_start,
        default="2024-01-01",
        help="first order date (UTC)",
    )
    parser.add_argument("--days", type=int, default=365, help="days the orders span")
    parser.add_argument(
        "--username", default="sandbox", type=_username, help="legacy API user name"
    )
    parser.add_argument(
        "--password", default="pw-sandbox-1", type=_password, help="legacy API password"
    )
    parser.add_argument(
        "--api-token", default="tk-sandbox-1", type=_token, help="REST API bearer token"
    )
    parser.add_argument("--store-id", default="1", type=_store_id, help="REST API store id")
    parser.add_argument(
        "--legacy-disabled",
        action="store_true",
        help="answer every legacy request with 31000 (API not enabled)",
    )
    parser.add_argument(
        "--field-numbering",
        choices=("api", "blueprint"),
        default="api",
        help="order fields 6/7: api = 6 Shipped, 7 Invoiced; blueprint = swapped",
    )
    parser.add_argument(
        "--render-cache-mb",
        type=int,
        default=256,
        metavar="MB",
        help="memory kept for orders already rendered (0: none)",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=("critical", "error", "warning", "info", "debug"),
        help="server log level",
    )

    faults = parser.add_argument_group("faults (both APIs)")
    faults.add_argument(
        "--latency",
        type=_latency,
        default=0.0,
        metavar="SECONDS|MIN,MAX",
        help="delay of every request, fixed or random in a range",
    )
    faults.add_argument("--error-rate", type=_rate, default=0.0, help="share of 5xx answers")
    faults.add_argument("--rate-limit-rate", type=_rate, default=0.0, help="share of 429s")
    faults.add_argument(
        "--retry-after",
        type=_retry_after,
        default=1,
        metavar="SECONDS|none",
        help="Retry-After of 429s (none: no header)",
    )
    faults.add_argument(
        "--drop-rate", type=_rate, default=0.0, help="share of connections closed without an answer"
    )
    faults.add_argument(
        "--truncate-rate", type=_rate, default=0.0, help="share of bodies cut short"
    )
    faults.add_argument(
        "--fault-seed", type=int, default=None, help="seed of the faults (None: the data seed)"
    )

    quirks = parser.add_argument_group("quirks of real legacy servers")
    quirks.add_argument(
        "--omit-response-status", action="store_true", help="successes without response_status"
    )
    quirks.add_argument(
        "--string-ids", action="store_true", help="ids, totals and amounts as strings"
    )
    quirks.add_argument(
        "--numeric-order-ids",
        action="store_true",
        help='order ids as the invoice number\'s digits ("10001"), as live servers send them',
    )
    quirks.add_argument(
        "--mixed-dates",
        action="store_true",
        help="every other date in the docs' plain shape instead of the live one",
    )
    quirks.add_argument(
        "--unknown-fields", action="store_true", help="undocumented keys in answers"
    )
    quirks.add_argument(
        "--html-login-page",
        action="store_true",
        help="HTTP 200 login page for bad credentials, disabled API, unknown paths",
    )
    quirks.add_argument(
        "--empty-body-rate", type=_rate, default=0.0, help="share of empty HTTP 200 answers"
    )
    quirks.add_argument(
        "--unstable-ties",
        action="store_true",
        help="orders sharing the sorted value ordered anew for each offset and limit, as "
        "MySQL's ORDER BY ... LIMIT may",
    )
    quirks.add_argument(
        "--condition-zone",
        metavar="ZONE",
        type=_zone,
        help="read date conditions as this zone's local time (America/New_York), as a server "
        "comparing its local times does; a client sets legacy_timezone to match",
    )
    quirks.add_argument(
        "--all-quirks",
        action="store_true",
        help="every quirk above except empty bodies, unstable ties and a condition zone",
    )

    churn = parser.add_argument_group("churn (at every order search)")
    churn.add_argument("--churn-new", type=dataset_size, default=0, metavar="N", help="new orders")
    churn.add_argument(
        "--churn-changed",
        type=dataset_size,
        default=0,
        metavar="M",
        help="open orders moving one status forward",
    )


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """The :class:`SandboxConfig` the parsed options describe."""
    every = args.all_quirks
    return SandboxConfig(
        orders=args.orders,
        products=args.products,
        seed=args.seed,
        start=args.start,
        days=args.days,
        username=args.username,
        password=args.password,
        api_token=args.api_token,
        store_id=args.store_id,
        legacy_api_enabled=not args.legacy_disabled,
        order_field_numbering=args.field_numbering,
        render_cache_mb=args.render_cache_mb,
        # Nothing reads the request log of a served command, and it would grow with every
        # request for as long as the server runs.
        log_requests=False,
        faults=Faults(
            latency=args.latency,
            error_rate=args.error_rate,
            rate_limit_rate=args.rate_limit_rate,
            retry_after=args.retry_after,
            drop_rate=args.drop_rate,
            truncate_rate=args.truncate_rate,
            seed=args.fault_seed,
        ),
        quirks=Quirks(
            omit_response_status=every or args.omit_response_status,
            string_ids=every or args.string_ids,
            numeric_order_ids=every or args.numeric_order_ids,
            mixed_dates=every or args.mixed_dates,
            unknown_fields=every or args.unknown_fields,
            html_login_page=every or args.html_login_page,
            empty_body_rate=args.empty_body_rate,
            unstable_ties=args.unstable_ties,
            condition_zone=args.condition_zone,
        ),
        churn=Churn(new_orders=args.churn_new, changed_orders=args.churn_changed),
    )


def banner(config: SandboxConfig, url: str) -> str:
    """What ``omsclient sandbox`` prints on start: where it listens and the environment to
    point the SDK (both APIs) and ``omsclient export`` at it."""
    # The export lines are pasted into a shell: a password with "$", a space or a quote
    # must come back as it is.
    env = {
        name: shlex.quote(value)
        for name, value in (
            ("url", url),
            ("username", config.username),
            ("password", config.password),
            ("api_token", config.api_token),
            ("store_id", config.store_id),
            # Always named: one left set in the shell for another server would have the
            # client write its dates for a zone this sandbox does not compare in.
            ("zone", config.quirks.condition_zone or "UTC"),
        )
    }
    return (
        f"omsclient sandbox on {url} ({config.orders} orders, {config.products} products, "
        f"seed {config.seed})\n"
        f"  legacy API  {url}/api/json/...\n"
        f"  REST API    {url}/api/v1/...\n"
        f"  username    {escaped(config.username)}\n"
        f"  password    {escaped(config.password)}\n"
        f"  API token   {config.api_token}\n"
        f"  store id    {config.store_id}\n"
        "Environment for omsclient:\n"
        f"  export OMS_LEGACY_URL={env['url']} OMS_USERNAME={env['username']} "
        f"OMS_PASSWORD={env['password']} OMS_LEGACY_TIMEZONE={env['zone']}\n"
        f"  export OMS_REST_URL={env['url']} OMS_API_TOKEN={env['api_token']} "
        f"OMS_STORE_ID={env['store_id']}\n"
        "Press Ctrl-C to stop."
    )


def run(args: argparse.Namespace) -> int:
    """Serve the sandbox the options describe in this thread until Ctrl-C; the exit code."""
    try:
        return _serve(args)
    except (KeyboardInterrupt, RuntimeError) as exc:
        # Ctrl-C before the server runs (importing it, generating a large dataset) stops the
        # command as quietly as Ctrl-C while it serves, not with a traceback of where it was;
        # so does one Python 3.10 and 3.11 wrap in a RuntimeError, raised as starlette's
        # dataclasses are defined (what __set_name__ raises is that error's cause).
        if not isinstance(exc, KeyboardInterrupt) and not isinstance(
            exc.__cause__, KeyboardInterrupt
        ):
            raise
        return 0


def _serve(args: argparse.Namespace) -> int:
    if not has_extra():
        # The base install has the command but not the server: say what to install, not the
        # traceback of an import.
        print(f"omsclient: error: the sandbox {EXTRA_MISSING}", file=sys.stderr)
        return 2
    import uvicorn

    from ._app import create_app
    from ._serve import bind, url_of
    from ._uvicorn import SandboxServer

    try:
        config = config_from_args(args)
    except ValueError as error:
        # Said as every other usage error is: the usage, then the command's name.
        with contextlib.suppress(SystemExit):
            args.usage_parser.error(str(error))
        return 2
    app = create_app(config)
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        taken = error.errno in (errno.EADDRINUSE, errno.EACCES)
        fix = (
            "pick another port with --port, or --port 0 for any free one"
            if taken
            else "--host takes an address of this machine, e.g. 127.0.0.1 or 0.0.0.0"
        )
        print(
            escaped(
                f"omsclient: error: cannot listen on {args.host}:{args.port}: "
                f"{error.strerror or error}; {fix}"
            ),
            file=sys.stderr,
        )
        return 1
    url = url_of(sock)
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # closed (>&-): uvicorn's logging would fail to start
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)
    server = SandboxServer(
        uvicorn.Config(
            app,
            http="h11",
            lifespan="off",
            log_level=args.log_level,
            access_log=args.log_level in ("info", "debug"),
            timeout_graceful_shutdown=2,
        )
    )
    # Read by `| head -1` for the URL, say, which then goes: the server serves on regardless.
    server.banner = banner(config, url)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
