"""``--sandbox``: the built-in sandbox, started in the background for one command."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from omsclient._settings import environment_zone
from omsclient.errors import ConfigurationError
from omsclient.sandbox._config import DEFAULT_ORDERS, DEFAULT_PRODUCTS
from omsclient.sandbox._extra import EXTRA_MISSING, has_extra

if TYPE_CHECKING:
    from omsclient.sandbox import SandboxInfo

__all__ = ["sandbox"]


@contextlib.contextmanager
def sandbox(args: argparse.Namespace) -> Iterator[SandboxInfo]:
    """A sandbox the arguments describe, served until the block ends."""
    if not has_extra():
        raise ConfigurationError(f"--sandbox {EXTRA_MISSING}")
    from omsclient.sandbox import Churn, Faults, Quirks, SandboxConfig, serve

    # The client takes OMS_LEGACY_TIMEZONE from the environment, set for the user's server:
    # the sandbox compares dates in that zone too, as such a server does, where in UTC every
    # scan's windows would begin hours off.
    zone = environment_zone()
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
        quirks=Quirks(condition_zone=None if zone is None else zone.key),
    )
    with serve(config) as info:
        yield info
