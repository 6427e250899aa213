"""A local server for both order management APIs, with generated data and fault injection.

Configuration and info classes import without the ``sandbox`` extra; ``create_app``,
``serve``, ``serve_async`` and ``asgi_transport`` need starlette and uvicorn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._config import Churn, Faults, Quirks, SandboxConfig

if TYPE_CHECKING:
    from ._orders import OrderRecord
    from ._products import ProductRecord
    from ._rest_store import RestStore
    from ._serve import SandboxInfo, asgi_transport, create_app, serve, serve_async
    from ._state import RequestRecord, SandboxState

__all__ = [
    "Churn",
    "Faults",
    "OrderRecord",
    "ProductRecord",
    "Quirks",
    "RequestRecord",
    "RestStore",
    "SandboxConfig",
    "SandboxInfo",
    "SandboxState",
    "asgi_transport",
    "create_app",
    "serve",
    "serve_async",
]

_LAZY = {
    "create_app": "._serve",
    "OrderRecord": "._orders",
    "ProductRecord": "._products",
    "RestStore": "._rest_store",
    "SandboxInfo": "._serve",
    "asgi_transport": "._serve",
    "serve": "._serve",
    "serve_async": "._serve",
    "RequestRecord": "._state",
    "SandboxState": "._state",
}


if not TYPE_CHECKING:
    # Hidden from type checkers, which would take any name imported from here (a misspelt
    # ``serve_asnyc`` too) for one this returns: the imports above declare the real ones.

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value
