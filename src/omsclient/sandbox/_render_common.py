"""What every part of a rendered order shares: the request's options, dates, people, URLs and
the names generated data is drawn from."""

from __future__ import annotations

import random
from typing import Any

import attrs

from . import _dates
from ._orders import API_USER_ID, Operator
from ._products import COLORS

__all__ = [
    "AREAS",
    "COLOR_NAMES",
    "COMPANIES",
    "DECORATED",
    "DOCUMENT_HOST",
    "FIRST",
    "JOBS",
    "LAST",
    "NOTES",
    "PLACES",
    "PROCESSES",
    "STORES",
    "TAXES",
    "TERMS",
    "VIEWS",
    "RenderDates",
    "RenderOptions",
    "document_url",
    "operator_json",
    "person_json",
]

DOCUMENT_HOST = "https://oms.sandbox.test"

FIRST = ("Fred", "Patrick", "Maria", "James", "Aisha", "Chen", "Olivia", "Lucas", "Sofia", "Noah")
LAST = ("Smith", "Garcia", "Nguyen", "Brown", "Khan", "Muller", "Rossi", "Tanaka", "Jones")
PLACES = (
    ("Huntington Beach", "California", "92647", "US", "Cimmaron Road"),
    ("Austin", "Texas", "78701", "US", "Congress Avenue"),
    ("Portland", "Oregon", "97205", "US", "Burnside Street"),
    ("Columbus", "Ohio", "43215", "US", "High Street"),
    ("Toronto", "Ontario", "M5V 2T6", "CA", "King Street West"),
    ("Manchester", "Greater Manchester", "M1 1AE", "GB", "Market Street"),
    ("Melbourne", "Victoria", "3000", "AU", "Collins Street"),
)
COMPANIES = ("Acme Co", "Riverside Athletics", "Bright Ideas LLC", "North High Boosters", "")
JOBS = ("Internet Order", "Team Uniforms", "Staff Shirts", "Fun Run 5K", "Reunion", "")
DECORATED = ("Racing Special Shirt", "Team Jersey", "Logo Tee", "Event Hoodie", "Staff Polo")
PROCESSES = ("DTG", "Screen Print", "Embroidery", "Vinyl", "Sublimation", "DTF")
VIEWS = ("Front", "Back", "Left Sleeve", "Right Sleeve")
AREAS = ("Body", "Chest", "Pocket", "Full Back")
TERMS = ("C.O.D.", "Net 30", "Prepaid", "Net 15")
TAXES = ((6345, "GST", 0.05), (6346, "Sales Tax", 0.0825), (6347, "VAT", 0.2))
STORES = (
    (11424233, "Bobs Store", "www.bobs.com"),
    (11424234, "Riverside Team Shop", "shop.riverside.example"),
    (11424235, "Print Express", "printexpress.example"),
)
COLOR_NAMES = {cid: (name, rgb) for cid, name, rgb in COLORS}
NOTES = ("Please hurry", "Customer called about sizing", "Check artwork before printing")


@attrs.frozen(kw_only=True, cache_hash=True)
class RenderOptions:
    """What one find request asked for, and the quirks that shape the answer."""

    workflow: bool = False
    po: bool = False
    shipments: bool = False
    production_file_info: bool = False
    login_token: str | None = None
    mixed_dates: bool = False
    unknown_fields: bool = False
    string_ids: bool = False
    numeric_order_ids: bool = False


class RenderDates:
    """Date rendering: the live shape and ``null`` when unset; with mixed_dates, every other
    date in the docs' plain shape instead."""

    def __init__(self, salt: int, mixed: bool) -> None:
        self._salt = salt
        self._mixed = mixed

    def put(self, target: dict[str, Any], key: str, ts: int | None) -> None:
        """Set ``target[key]`` to the date of ``ts`` (an epoch second; None: unset)."""
        if ts is None:
            target[key] = None
            return
        # The shape depends on the value only, so a date reads the same in every answer.
        if self._mixed and (self._salt + ts) % 2:
            target[key] = _dates.plain(ts)
        else:
            target[key] = _dates.with_offset(ts)


def operator_json(op: Operator) -> dict[str, Any]:
    """An operator (user of the shop) as the answers show one."""
    return {"id": op[0], "login": op[1], "firstname": op[2], "lastname": op[3]}


def person_json(
    rng: random.Random, user_id: int | None, with_company_id: bool = False
) -> dict[str, Any]:
    """A generated customer, billing or shipping contact."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, state, postcode, country, street = rng.choice(PLACES)
    company = rng.choice(COMPANIES)
    person: dict[str, Any] = {}
    if user_id is not None:
        person["user_id"] = user_id
        person["email"] = f"{first}.{last}{user_id % 1000}@example.com".lower()
    person.update(
        firstname=first,
        lastname=last,
        country_code=country,
        state=state,
        city=city,
        street=f"{rng.randrange(1, 9999)} {street}",
        postcode=postcode,
        company=company,
    )
    if with_company_id:
        # Live contacts often carry "company_id": null (LIVE-SERVER.md), so the key is sent
        # without a company too. The draws are those of before: a seed gives the same orders.
        person["company_id"] = 5000 + rng.randrange(900) if company else None
    # Live servers send an unset salutation as null, not "" (LIVE-SERVER.md).
    person["salutation"] = rng.choice(("Mr", "Ms", "Mx", None))
    person["ph_number"] = (
        f"{rng.randrange(200, 999)}-{rng.randrange(200, 999)}-{rng.randrange(10**4):04d}"
    )
    person["custom_fields"] = (
        [{"caption": "Student Name", "value": rng.choice(FIRST)}] if rng.random() < 0.3 else []
    )
    return person


def document_url(path: str, opts: RenderOptions) -> str:
    """A document URL, with the login key when the request asked for it."""
    url = f"{DOCUMENT_HOST}{path}"
    if not opts.login_token:
        return url
    return f"{url}?user[id]={API_USER_ID}&key={opts.login_token}"
