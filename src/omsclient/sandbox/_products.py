"""The product catalog: generated once at start-up, small enough to keep whole."""

from __future__ import annotations

import random
from typing import Any

import attrs

from . import _dates

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
    ("Tee", "Heavy cotton tee", 4.5, 0.3),
    ("Softstyle Tee", "Ring-spun soft tee", 5.2, 0.25),
    ("Long Sleeve", "Long sleeve tee", 7.8, 0.38),
    ("Hoodie", "Pullover hooded sweatshirt", 16.9, 0.8),
    ("Crewneck", "Crewneck sweatshirt", 13.4, 0.7),
    ("Tank", "Jersey tank top", 4.9, 0.2),
    ("Polo", "Pique polo", 11.3, 0.35),
    ("Cap", "Six-panel cap", 6.1, 0.12),
    ("Tote", "Canvas tote bag", 3.9, 0.18),
    ("Zip Hoodie", "Full-zip hooded sweatshirt", 21.5, 0.85),
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
_SIZE_IDS = {name: 11 + i for i, name in enumerate(SIZES)}

PRODUCT_ID_BASE = 2_353_000_000


@attrs.define(slots=True)
class ProductRecord:
    """One catalog product; ``index`` keeps sorting stable on ties."""

    index: int
    id: int
    code: str
    name: str
    supplier: str
    date_modified: int
    sort_position: int
    active: bool
    description: str
    unit_price: float
    unit_weight: float
    color_ids: tuple[int, ...]
    sizes: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """The row shape of ``manage_products/find``."""
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "supplier": self.supplier,
            "date_modified": _dates.plain(self.date_modified),
            "sort_position": self.sort_position,
            "active": self.active,
        }

    def detailed(self) -> dict[str, Any]:
        """The ``ProductDetailed`` shape of ``manage_products/get``."""
        body = self.summary()
        colors = {cid: name for cid, name, _ in COLORS}
        body.update(
            description=self.description,
            unit_price=self.unit_price,
            unit_weight=self.unit_weight,
            colors=[{"id": cid, "name": colors[cid]} for cid in self.color_ids],
            sizes=[
                {"id": _SIZE_IDS[s], "name": s, "code": s, "sku": f"{self.code}-{s}"}
                for s in self.sizes
            ],
        )
        return body


def generate(count: int, seed: int, start: int, span: int) -> list[ProductRecord]:
    """``count`` products, the same for the same seed; ids grow with the index."""
    rng = random.Random(seed * 7919 + 17)
    products = []
    for index in range(count):
        prefix, brand, supplier = _BRANDS[rng.randrange(len(_BRANDS))]
        kind, description, price, weight = _KINDS[rng.randrange(len(_KINDS))]
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
                date_modified=start + rng.randrange(span),
                # Many products share a sort position, as shop owners rarely set them all.
                sort_position=rng.randrange(1, max(2, count // 4)),
                active=rng.random() > 0.08,
                description=description,
                unit_price=round(price * rng.uniform(0.85, 1.3), 2),
                unit_weight=round(weight * rng.uniform(0.9, 1.1), 2),
                color_ids=tuple(sorted(c[0] for c in rng.sample(COLORS, rng.randrange(1, 5)))),
                sizes=SIZES[first:last],
            )
        )
    return products
