"""Ids, totals and amounts as strings, the way some live servers send them."""

from __future__ import annotations

from typing import Any

__all__ = ["stringify"]

AMOUNT_KEYS = frozenset(
    {
        "tax",
        "discount",
        "credit_used",
        "outstanding_balance",
        "store_commission",
        "parent_store_commission",
        "commission_transaction_fee",
        "total",
        "price",
        "cost",
    }
)


def _stringify_value(key: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if key == "id" or key.endswith("_id"):
        return str(value)
    if key in AMOUNT_KEYS or key.endswith(("_amount", "_price", "_fee")) or key.startswith("total"):
        return f"{value:.2f}"
    return value


def stringify(obj: Any) -> None:
    """Turn ids, totals and amounts into strings, in place, as some live servers send them."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, (dict, list)):
                stringify(value)
            else:
                obj[key] = _stringify_value(key, value)
    elif isinstance(obj, list):
        for item in obj:
            stringify(item)
