"""Taking back pool connections that a cancelled request left behind in httpcore's pool.

httpcore's pool assigns a queued request a connection it creates, and the request then waits
to be woken up to use it. A request cancelled in that wait leaves the new connection in the pool
neither connected, idle nor closed: nothing ever uses it or removes it, and once every slot is
taken by one, every request fails with a pool timeout (encode/httpcore#1093, still open in
httpcore 1.0.9). After a request fails or is cancelled, :func:`reclaim_orphans` removes every
connection of the pool that is busy yet serves no request, as the fix proposed upstream does.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from omsclient._loop_bound import LoopBoundTransport

__all__ = ["reclaim_orphans"]


def _pools_of(http: httpx.AsyncClient) -> list[Any]:
    """The httpcore pools behind ``http``'s transport and proxy mounts (those that have one)."""
    mounted = getattr(http, "_mounts", {}) or {}
    pools = []
    for transport in (getattr(http, "_transport", None), *mounted.values()):
        if isinstance(transport, LoopBoundTransport):
            transport = transport.current()
        pool = (
            getattr(transport, "_pool", None)
            if isinstance(transport, httpx.AsyncHTTPTransport)
            else None
        )
        if all(hasattr(pool, name) for name in ("_connections", "_requests")):
            pools.append(pool)
    return pools


async def reclaim_orphans(http: httpx.AsyncClient) -> int:
    """Remove and close the connections of ``http``'s pools that are busy but serve no request.

    Returns how many were removed. Safe to call at any time: a connection in use is always
    referenced by the pool request it serves, from assignment until its response is closed.
    """
    orphans = []
    for pool in _pools_of(http):
        serving = {id(getattr(request, "connection", None)) for request in pool._requests}
        found = [
            connection
            for connection in pool._connections
            if id(connection) not in serving
            and not connection.is_idle()
            and not connection.is_closed()
        ]
        # Removed in one step without awaiting, so no other request sees them half gone.
        for connection in found:
            pool._connections.remove(connection)
        orphans += found
    with anyio.CancelScope(shield=True):
        for connection in orphans:
            await connection.aclose()
    return len(orphans)
