"""Incremental sync of orders and products into SQLite or PostgreSQL.

The first run stores every matching order; later runs read only what changed since::

    from omsclient.dbsync import sync_orders

    async with omsclient.AsyncClient() as oms:
        summary = await sync_orders(oms, "sqlite:///orders.db", since="2024-01-01")
        print(summary.new, summary.updated, summary.unchanged)

See ``docs/sync.md`` for the tables, the watermark and the guarantee.
"""

from omsclient.dbsync._errors import DatabaseError, DatabaseUrlError
from omsclient.dbsync._runner import (
    DEFAULT_OVERLAP,
    SyncProgress,
    SyncProgressCallback,
    SyncSummary,
    sync_orders,
    sync_products,
)
from omsclient.dbsync._tables import STATE_TABLE

__all__ = [
    "DEFAULT_OVERLAP",
    "STATE_TABLE",
    "DatabaseError",
    "DatabaseUrlError",
    "SyncProgress",
    "SyncProgressCallback",
    "SyncSummary",
    "sync_orders",
    "sync_products",
]

# Tracebacks and reprs name the errors where they are imported from, not a private module.
for _error in (DatabaseError, DatabaseUrlError):
    _error.__module__ = __name__
del _error
