"""Typed models of the legacy JSON API: orders and products.

Every field is optional: live servers omit keys the documents mark as required, so a missing
key, an explicit ``null`` and (for dates, numbers and booleans) an empty string all become
``None`` here, and an absent array becomes an empty list. Values are normalised on the way in:
dates become UTC-aware datetimes, ids and amounts sent as numeric strings become numbers. Keys
the models do not know are kept in each object's ``extra`` mapping and written back when the
object is unstructured, so nothing the server sent is lost.

The vendor blueprint garbles two keys of its sample (``"proof_url: `https://...`"`` on an
area and ``"po_number PO"`` on a purchase order line); their descriptions make the intended
keys ``proof_url`` and ``po_number`` plain, so that is what these models read and write.
"""

from omsclient.legacy._model_parts import Contact, CustomField, Operator, ShippingMethod
from omsclient.legacy._order_line_models import (
    Area,
    Color,
    FieldOption,
    LineField,
    OrderLine,
    Process,
    ProductColor,
    PurchaseOrderLine,
    SubOption,
    TeamName,
    TeamNameField,
    View,
    WorkflowItem,
)
from omsclient.legacy._order_models import (
    Note,
    Order,
    Package,
    Payment,
    PaymentDetails,
    Refund,
    Shipment,
    ShipmentItem,
    Store,
    Tax,
)
from omsclient.legacy._product_models import (
    Product,
    ProductCategory,
    ProductColorRef,
    ProductDetailed,
    ProductSize,
    ProductSku,
)

__all__ = [
    "Area",
    "Color",
    "Contact",
    "CustomField",
    "FieldOption",
    "LineField",
    "Note",
    "Operator",
    "Order",
    "OrderLine",
    "Package",
    "Payment",
    "PaymentDetails",
    "Process",
    "Product",
    "ProductCategory",
    "ProductColor",
    "ProductColorRef",
    "ProductDetailed",
    "ProductSize",
    "ProductSku",
    "PurchaseOrderLine",
    "Refund",
    "Shipment",
    "ShipmentItem",
    "ShippingMethod",
    "Store",
    "SubOption",
    "Tax",
    "TeamName",
    "TeamNameField",
    "View",
    "WorkflowItem",
]

# The classes live in one private module per kind of object; this module stays their home for
# reprs, pickles and the documentation.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
