"""Bulk export of orders and products to JSON lines, CSV or Parquet.

Correct while the data changes (a stable scan, not offset paging), resumable after a kill
(a checkpoint beside the output), and flat in memory (rows stream to the file)::

    from omsclient.export import export_orders

    async with omsclient.AsyncClient() as oms:
        summary = await export_orders(oms, "orders.jsonl", since="2024-01-01", windows=8)
        print(summary.exported, summary.server_total)

    with omsclient.Client() as oms:                  # blocking: the same call, not awaited
        summary = export_orders(oms, "orders.jsonl", since="2024-01-01", windows=8)

See ``docs/export.md`` for the design, the formats and the guarantee.
"""

from omsclient.export._checkpoint import CheckpointError, ExportError
from omsclient.export._either_client import EitherClient
from omsclient.export._exporter import (
    DEFAULT_WINDOWS,
    FORMATS,
    ExportProgress,
    ExportSummary,
    Format,
    Kind,
    ProgressCallback,
    check_output,
)
from omsclient.export._exporter import export_orders as _export_orders
from omsclient.export._exporter import export_products as _export_products
from omsclient.export._parquet import MissingExtraError
from omsclient.export._writers import EXTRA_COLUMN

__all__ = [
    "DEFAULT_WINDOWS",
    "EXTRA_COLUMN",
    "FORMATS",
    "CheckpointError",
    "ExportError",
    "ExportProgress",
    "ExportSummary",
    "Format",
    "Kind",
    "MissingExtraError",
    "ProgressCallback",
    "check_output",
    "export_orders",
    "export_products",
]

export_orders = EitherClient(_export_orders)
"""Export every order matching the conditions to a file, each exactly once; its parameters
are listed under "The export functions in full", below on the reference page. Await it with
an ``AsyncClient``; with a blocking ``Client`` it blocks and returns the summary."""
export_products = EitherClient(_export_products)
"""Export every product matching the conditions to a file; as :data:`export_orders`."""

# Tracebacks and reprs name the errors where they are imported from, not a private module.
for _error in (CheckpointError, ExportError, MissingExtraError):
    _error.__module__ = __name__
del _error
