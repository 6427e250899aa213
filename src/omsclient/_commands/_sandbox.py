"""``--sandbox``: the built-in sandbox, started in the background for one command."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from omsclient.errors import ConfigurationError
from omsclient.sandbox._cli import EXTRA_MISSING, has_extra
from omsclient.sandbox._config import DEFAULT_ORDERS, DEFAULT_PRODUCTS

if TYPE_CHECKING:
    from omsclient.sandbox import SandboxInfo

__all__ = ["sandbox"]


@contextlib.contextmanager
def sandbox(args: argparse.Namespace) -> Iterator[SandboxInfo]:
    """A sandbox the arguments describe, served until the block ends."""
    if not has_extra():
        raise ConfigurationError(f"--sandbox {EXTRA_MISSING}")
    from omsclient.sandbox import Churn, Faults, SandboxConfig, serve

    config = SandboxConfig(
        # The user names the data, which the number of orders generates: an export's checkpoint
        # and a sync's state record the host and user they read from, so a sandbox of other
        # data is refused as another server is, rather than its rows mixed with these.
        username=f"sandbox-{args.sandbox_orders}-orders",
        orders=args.sandbox_orders,
        # As many products per order as the default sandbox has.
        products=max(50, args.sandbox_orders * DEFAULT_PRODUCTS // DEFAULT_ORDERS),
        faults=Faults(latency=args.sandbox_latency),
        churn=Churn(new_orders=args.sandbox_churn, changed_orders=args.sandbox_churn),
        # The sandbox numbers fields 6 and 7 as the client is told to.
        order_field_numbering=getattr(args, "field_numbering", "api"),
    )
    with serve(config) as info, _reached_directly(info.url):
        yield info


@contextlib.contextmanager
def _reached_directly(url: str) -> Iterator[None]:
    """The sandbox, on this machine, reached without the environment's proxy: through a
    corporate HTTP_PROXY the command failed with the proxy's 407, or reached the proxy's own
    127.0.0.1. The command's client reads NO_PROXY when it is made, within the block."""
    host = urlsplit(url).hostname or "127.0.0.1"
    saved = {name: os.environ.get(name) for name in ("NO_PROXY", "no_proxy")}
    # The lowercase one wins where both are set: both name the sandbox.
    bypass = ",".join(v for v in (saved["no_proxy"] or saved["NO_PROXY"], host) if v)
    try:
        for name in saved:
            os.environ[name] = bypass
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
