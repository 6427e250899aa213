"""omsclient's pytest plugin: the sandbox fixtures ``oms_sandbox`` and ``oms_sandbox_factory``.

pytest imports the ``pytest11`` entry point at every start of every project that installs
omsclient, whether its tests use a sandbox or not. This module lives outside the package
because importing anything inside it first imports ``omsclient`` itself (httpx, rich,
cattrs...), 0.4 s or more; the fixtures import the sandbox only when a test uses them.
``omsclient.sandbox.pytest_plugin`` is the same plugin by its documented name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from omsclient.sandbox import SandboxConfig, SandboxInfo

SMALL = {"orders": 300, "products": 60}
"""Size of the default fixture sandbox: enough for a few pages, quick to start."""


@pytest.fixture
def oms_sandbox_factory() -> Iterator[Callable[..., SandboxInfo]]:
    """Start sandboxes on demand: ``factory(SandboxConfig(...))`` or ``factory(orders=50)``.

    Every server started is stopped when the test ends.
    """
    from omsclient.sandbox import SandboxConfig, serve

    with contextlib.ExitStack() as stack:

        def factory(config: SandboxConfig | None = None, **options: Any) -> SandboxInfo:
            if config is not None and options:
                raise TypeError("pass a SandboxConfig or keyword options, not both")
            if config is None:
                config = SandboxConfig(**{**SMALL, **options})
            return stack.enter_context(serve(config))

        yield factory


@pytest.fixture
def oms_sandbox(oms_sandbox_factory: Callable[..., SandboxInfo]) -> SandboxInfo:
    """A served sandbox with a small default dataset (300 orders, 60 products)."""
    return oms_sandbox_factory()
