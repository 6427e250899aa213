"""In-memory objects of the REST API v1, with deterministic uids and timestamps."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from . import _dates
from ._config import SandboxConfig

BATCH_STATUSES = ("Batching", "Processing", "Completed")
FILES_HOST = "https://files.sandbox.test"


class RestStore:
    """What the REST API v1 has created: ``SandboxState.rest``. Each object is kept as the
    JSON the API answers with (``dict``), keyed by its id, and changes as requests change it::

        [o for o in state.rest.orders.values() if o["ecommerce_order_id"] == "ORD-1"]

    Attributes:
        orders: the orders, by ``uid``.
        categories: the product categories, by ``id``.
        products: the products, by ``id``.
        variants: the product variants, by ``id``.
        batches: the batch orders, by ``uid``.
    """

    def __init__(self, config: SandboxConfig, tick: Callable[[], int]) -> None:
        # The sandbox makes its own; ``tick`` advances its clock.
        self._config = config
        self._tick = tick
        self._rng = random.Random(config.seed * 977 + 5)
        self.orders: dict[str, dict[str, Any]] = {}
        self.categories: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.variants: dict[int, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self._print_polls: dict[str, int] = {}
        self._batch_polls: dict[str, int] = {}
        self._last_id = {"category": 0, "product": 0, "variant": 0}

    def _uid(self) -> str:
        """A random-looking but reproducible UUID4."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _timestamp(self) -> str:
        """Now on the sandbox clock, as Laravel renders it."""
        return _dates.laravel(self._tick())

    def _next_id(self, kind: str) -> int:
        """The next integer id of a category, product or variant."""
        self._last_id[kind] += 1
        return self._last_id[kind]

    def _find_item(self, ecommerce_order_item_id: str) -> dict[str, Any] | None:
        """The order item with that ecommerce id, in any order."""
        for order in self.orders.values():
            for item in order["items"]:
                if item["ecommerce_order_item_id"] == ecommerce_order_item_id:
                    found: dict[str, Any] = item
                    return found
        return None

    def _item_uids(self) -> set[str]:
        """Uids of every order item."""
        return {item["uid"] for order in self.orders.values() for item in order["items"]}

    def _poll_print(self, item: dict[str, Any]) -> dict[str, Any]:
        """The print-file status of an order item, moving one step forward per poll."""
        # Kept by the item's uid, not the shop's id: a new item given the id of a deleted one
        # (or of one an update dropped) has a print file of its own, not the old one's.
        ecommerce_order_item_id: str = item["ecommerce_order_item_id"]
        polls = self._print_polls.get(item["uid"], 0)
        self._print_polls[item["uid"]] = polls + 1
        fails = (
            "fail" in ecommerce_order_item_id.lower()
            or ecommerce_order_item_id in self._config.failing_print_items
        )
        if polls == 0:
            status = "received"
        elif polls < self._config.print_polls:
            status = "processing"
        else:
            status = "processingfailed" if fails else "ready"
        # One path segment whatever the id holds ("q?x=1", "a/b", "é").
        name = quote(ecommerce_order_item_id, safe="")
        url = f"{FILES_HOST}/print-files/{name}.pdf" if status == "ready" else None
        return {"ecommerce_order_item_id": ecommerce_order_item_id, "status": status, "url": url}

    def _poll_batch(self, uid: str) -> dict[str, Any]:
        """A batch order, its status moving one step forward per poll (sandbox extension)."""
        batch = self.batches[uid]
        polls = self._batch_polls.get(uid, 0) + 1
        self._batch_polls[uid] = polls
        status = BATCH_STATUSES[min(polls, len(BATCH_STATUSES) - 1)]
        batch["status"] = status
        batch["url"] = f"{FILES_HOST}/batches/{uid}.pdf" if status == "Completed" else None
        return dict(batch)
