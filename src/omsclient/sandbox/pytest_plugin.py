"""pytest fixtures serving a sandbox: ``oms_sandbox`` and ``oms_sandbox_factory``.

Registered as a ``pytest11`` entry point, so this module imports without starlette or
uvicorn; they are imported when a fixture is used.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._config import SandboxConfig
    from ._serve import SandboxInfo

SMALL = {"orders": 300, "products": 60}
"""Size of the default fixture sandbox: enough for a few pages, quick to start."""


@pytest.fixture
def oms_sandbox_factory() -> Iterator[Callable[..., SandboxInfo]]:
    """Start sandboxes on demand: ``factory(SandboxConfig(...))`` or ``factory(orders=50)``.

    Every server started is stopped when the test ends.
    """
    from ._config import SandboxConfig
    from ._serve import serve

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
