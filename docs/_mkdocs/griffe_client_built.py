"""Griffe extension for the API reference: leave out the constructors users never call.

Users get the classes below from the client (``oms.legacy.orders``, ``oms.rest.products``,
their ``with_raw_response``, a scan, a page iterator), which builds them from its internals: a
transport, a loop handle, a fetch function, a resource. Their entries show the class, its
docstring and its members; the signature of ``__init__``, and the expressions it assigns the
documented attributes from, would only show types the reference (rightly) leaves out.
``tests/test_docs_reference.py`` reads this list.
"""

from __future__ import annotations

from typing import Any

import griffe

# Where each class is defined (``module.Class``), not where the package exports it.
BUILT_BY_THE_CLIENT = {
    "omsclient.legacy.orders.Orders",
    "omsclient.legacy.products.Products",
    "omsclient.legacy.orders.OrdersWithRawResponse",
    "omsclient.legacy.products.ProductsWithRawResponse",
    "omsclient.legacy._scan.OrderScan",
    "omsclient.legacy._product_scan.ProductScan",
    "omsclient.rest.RestApi",
    "omsclient.rest.orders.Orders",
    "omsclient.rest.order_items.OrderItems",
    "omsclient.rest.categories.Categories",
    "omsclient.rest.products.Products",
    "omsclient.rest.variants.Variants",
    "omsclient.rest.batch_orders.BatchOrders",
    "omsclient.rest.orders.OrdersWithRawResponse",
    "omsclient.rest.order_items.OrderItemsWithRawResponse",
    "omsclient.rest.categories.CategoriesWithRawResponse",
    "omsclient.rest.products.ProductsWithRawResponse",
    "omsclient.rest.variants.VariantsWithRawResponse",
    "omsclient.rest.batch_orders.BatchOrdersWithRawResponse",
    "omsclient.legacy._blocking_raw.SyncOrdersWithRawResponse",
    "omsclient.legacy._blocking_raw.SyncProductsWithRawResponse",
    "omsclient.rest._blocking_raw.SyncOrdersWithRawResponse",
    "omsclient.rest._blocking_raw.SyncOrderItemsWithRawResponse",
    "omsclient.rest._blocking_raw.SyncCategoriesWithRawResponse",
    "omsclient.rest._blocking_raw.SyncProductsWithRawResponse",
    "omsclient.rest._blocking_raw.SyncVariantsWithRawResponse",
    "omsclient.rest._blocking_raw.SyncBatchOrdersWithRawResponse",
    "omsclient.rest._blocking_resources.SyncOrders",
    "omsclient.rest._blocking_resources.SyncOrderItems",
    "omsclient.rest._blocking_resources.SyncCategories",
    "omsclient.rest._blocking_resources.SyncProducts",
    "omsclient.rest._blocking_resources.SyncVariants",
    "omsclient.rest._blocking_resources.SyncBatchOrders",
    "omsclient._pagination.PageIterator",
    "omsclient._blocking.SyncPageIterator",
    "omsclient._client.LegacyApiNamespace",
    "omsclient._sync.SyncLegacy",
    "omsclient._sync.SyncOrders",
    "omsclient._sync.SyncProducts",
    "omsclient._sync_rest.SyncRest",
    "omsclient._sync_scan.SyncOrderScan",
    "omsclient._sync_scan.SyncProductScan",
    # Handed out by the sandbox's state; its constructor takes the state it keeps.
    "omsclient.sandbox._orders.OrderRecord",
}


# What only refuses pickling (omsclient._process_bound), or holds the async resource and the
# loop of a blocking one (omsclient._blocking) or the resource of a with_raw_response view
# (omsclient._with_raw_response), says nothing to a reader.
_SAYING_NOTHING = {"OfThisProcess", "OfThisScan", "BlockingResource", "RawResponseView"}


class BuiltByTheClient(griffe.Extension):
    """Drop ``__init__`` and the values of instance attributes of the classes listed above."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        classes = {path: pkg[path.removeprefix(f"{pkg.name}.")] for path in BUILT_BY_THE_CLIENT}
        # Checked before any is dropped: a private base's serves several classes.
        for path, cls in classes.items():
            if not isinstance(cls, griffe.Class) or not any(
                "__init__" in base.members for base in [cls, *cls.mro()]
            ):
                raise ValueError(f"{path} is no class with an __init__")
        for path, cls in classes.items():
            # The entry would show an inherited __init__ instead. A private base (the REST
            # resources' Resource, the blocking scans' _SyncScan) has no entry of its own, so
            # its __init__ goes too; a public one's would be a mistake in the list.
            for base in [cls, *cls.mro()]:
                if "__init__" not in base.members:
                    continue
                if base is not cls and not any(p.startswith("_") for p in base.path.split(".")):
                    raise ValueError(f"{path} would show the constructor of {base.path}")
                base.del_member("__init__")
            for member in cls.members.values():
                if isinstance(member, griffe.Attribute) and "instance-attribute" in member.labels:
                    member.value = None
            cls.bases = [
                base for base in cls.bases if str(base).split("[")[0] not in _SAYING_NOTHING
            ]
