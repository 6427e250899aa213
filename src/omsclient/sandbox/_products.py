"""The product catalog: generated once at start-up, small enough to keep whole.

Products are rendered with the keys live servers send (``product_id``, ``product_code``,
``product_name``, ``supplier``, ``brand``, ``categories``, ``colors``, ``sizes``, ``skus``), in
search rows and ``get`` answers alike. Live servers send no description, image, date or sort
position; the record keeps a modification date and a sort position only because searches
filter and sort on them. As on live servers, about 1% of products come without
``product_code``: one in every hundred, at a place the seed decides.
"""

from __future__ import annotations

import random
from typing import Any

import attrs

_BRANDS = (
    ("G", "Gildan", "Gildan"),
    ("BC", "Bella+Canvas", "Bella+Canvas"),
    ("NL", "Next Level", "Next Level Apparel"),
    ("H", "Hanes", "Hanesbrands"),
    ("PC", "Port & Company", "SanMar"),
    ("CC", "Comfort Colors", "Comfort Colors"),
    ("CH", "Champion", "Hanesbrands"),
    ("J", "Jerzees", "Russell"),
    ("FL", "Fruit of the Loom", "Fruit of the Loom"),
    ("ST", "Sport-Tek", "SanMar"),
    ("D", "District", "SanMar"),
    ("AS", "AS Colour", "AS Colour"),
)
_KINDS = (
    ("Tee", "T-Shirts", 4.5, 0.3),
    ("Softstyle Tee", "T-Shirts", 5.2, 0.25),
    ("Long Sleeve", "Long Sleeve Shirts", 7.8, 0.38),
    ("Hoodie", "Sweatshirts", 16.9, 0.8),
    ("Crewneck", "Sweatshirts", 13.4, 0.7),
    ("Tank", "Tank Tops", 4.9, 0.2),
    ("Polo", "Polos", 11.3, 0.35),
    ("Cap", "Headwear", 6.1, 0.12),
    ("Tote", "Bags", 3.9, 0.18),
    ("Zip Hoodie", "Jackets", 21.5, 0.85),
)
COLORS = (
    (35345, "White", (255, 255, 255)),
    (35346, "Black", (0, 0, 0)),
    (35347, "Navy", (31, 42, 68)),
    (35348, "Red", (200, 16, 46)),
    (35349, "Sport Grey", (151, 153, 155)),
    (35350, "Royal", (29, 79, 145)),
    (35351, "Forest Green", (40, 78, 54)),
    (35352, "Maroon", (91, 34, 48)),
)
SIZES = ("XS", "S", "M", "L", "XL", "2XL", "3XL")
SIZE_NAMES = {
    "XS": "Extra Small",
    "S": "Small",
    "M": "Medium",
    "L": "Large",
    "XL": "Extra Large",
    "2XL": "2X Large",
    "3XL": "3X Large",
}
_SIZE_IDS = {name: 11 + i for i, name in enumerate(SIZES)}

PRODUCT_ID_BASE = 2_353_000_000
NO_CODE_EVERY = 100
"""One product in this many is rendered without ``product_code`` (about 1% on live servers)."""


@attrs.define(slots=True)
class ProductRecord:
    """One generated catalog product as the sandbox holds it: ``SandboxState.products`` lists
    them, and ``render()`` makes the JSON the legacy API sends for one.

    Attributes:
        index: the product's position in ``SandboxState.products``; it keeps sorting stable on
            ties.
        id: the ``product_id`` (large numbers such as ``2353000006``).
        code: the ``product_code``; SKUs and order lines carry it even where the product's
            JSON leaves the key out.
        name: the ``product_name``.
        supplier: its supplier.
        brand: its brand.
        category: the name of its category; None for a product with none.
        date_modified: its last change, in epoch seconds (the catalog's Date Modified).
        sort_position: its Sort Position; many products share one.
        unit_price: its base price, to which order lines add decoration.
        unit_weight: the unit weight its order lines carry.
        color_ids: the ids of its colours.
        sizes: the codes of its sizes (``"S"``, ``"2XL"``...).
        code_missing: True for a product whose JSON leaves ``product_code`` out, as about 1% of
            live products do.
    """

    index: int
    id: int
    code: str
    name: str
    supplier: str
    brand: str
    category: str | None
    date_modified: int
    sort_position: int
    unit_price: float
    unit_weight: float
    color_ids: tuple[int, ...]
    sizes: tuple[str, ...]
    # The code still names the SKUs and order lines; only the product_code key is left out.
    code_missing: bool = False

    @property
    def product_code(self) -> str | None:
        """The ``product_code`` the product is sent with; None where the key is left out, so
        searches and sorts by Product Code see no code, as a client reading the rows does."""
        return None if self.code_missing else self.code

    def dn_sku_id(self, color_id: int, size: str) -> str:
        """The platform id of one SKU: the product id, an underscore, a second number."""
        return f"{self.id}_{360_000_000 + color_id * 100 + _SIZE_IDS[size]}"

    def render(self) -> dict[str, Any]:
        """The product as ``manage_products/find`` rows and ``manage_products/get`` send it."""
        colors = {cid: name for cid, name, _ in COLORS}
        big = SIZES.index("2XL")
        product: dict[str, Any] = {"product_id": self.id}
        if not self.code_missing:
            product["product_code"] = self.code
        return {
            **product,
            "product_name": self.name,
            "supplier": self.supplier,
            "brand": self.brand,
            "categories": [] if self.category is None else [{"name": self.category}],
            "colors": [{"id": cid, "name": colors[cid]} for cid in self.color_ids],
            "sizes": [{"id": _SIZE_IDS[s], "name": SIZE_NAMES[s], "code": s} for s in self.sizes],
            "skus": [
                {
                    "size_id": _SIZE_IDS[s],
                    "color_id": cid,
                    # Larger sizes cost more, as suppliers price them.
                    "price": round(self.unit_price + (2 if SIZES.index(s) >= big else 0), 2),
                    "cost": round(self.unit_price * 0.55, 2),
                    "sku": f"{self.code}-{cid}-{s}",
                    "dn_sku_id": self.dn_sku_id(cid, s),
                }
                for cid in self.color_ids
                for s in self.sizes
            ],
        }


def generate(count: int, seed: int, start: int, span: int) -> list[ProductRecord]:
    """``count`` products, the same for the same seed; ids grow with the index."""
    rng = random.Random(seed * 7919 + 17)
    # A generator of its own, so the rest of the catalog is the same as before for every seed.
    no_code_at = random.Random(f"product_code {seed}").randrange(NO_CODE_EVERY)
    products = []
    for index in range(count):
        prefix, brand, supplier = _BRANDS[rng.randrange(len(_BRANDS))]
        kind, category, price, weight = _KINDS[rng.randrange(len(_KINDS))]
        number = 1000 + index
        first = rng.randrange(0, 3)
        last = rng.randrange(first + 2, len(SIZES) + 1)
        products.append(
            ProductRecord(
                index=index,
                id=PRODUCT_ID_BASE + index * 10 + rng.randrange(10),
                code=f"{prefix}{number}",
                name=f"{brand} {number} {kind}",
                supplier=supplier,
                brand=brand,
                # About 2% of live products are in no category.
                category=None if index % 50 == 49 else category,
                date_modified=start + rng.randrange(span),
                # Many products share a sort position, as shop owners rarely set them all.
                sort_position=rng.randrange(1, max(2, count // 4)),
                unit_price=round(price * rng.uniform(0.85, 1.3), 2),
                unit_weight=round(weight * rng.uniform(0.9, 1.1), 2),
                color_ids=tuple(sorted(c[0] for c in rng.sample(COLORS, rng.randrange(1, 5)))),
                sizes=SIZES[first:last],
                code_missing=index % NO_CODE_EVERY == no_code_at,
            )
        )
    return products
