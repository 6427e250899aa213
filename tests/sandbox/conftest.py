"""Fixtures: in-process sandboxes reached with plain httpx."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from omsclient.sandbox import SandboxConfig, asgi_transport

from ._support import Sandbox, SandboxFactory


@pytest.fixture
def config() -> SandboxConfig:
    """A small dataset; override in a module to change it."""
    return SandboxConfig(orders=300, products=60, seed=7)


@pytest.fixture
async def sandbox_factory() -> AsyncIterator[SandboxFactory]:
    """Make in-process sandboxes from configs; clients closed at teardown."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(config: SandboxConfig | None = None, **options: Any) -> Sandbox:
            config = config or SandboxConfig(**{"orders": 300, "products": 60, **options})
            transport, info = asgi_transport(config)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=info.url)
            )
            return Sandbox(client, info)

        yield make


@pytest.fixture
async def sandbox(sandbox_factory: SandboxFactory, config: SandboxConfig) -> Sandbox:
    """An in-process sandbox with the ``config`` fixture's data."""
    return await sandbox_factory(config)
