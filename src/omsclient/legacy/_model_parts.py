"""What the legacy models share: small pieces."""

from typing import Any

import attrs

from omsclient._decoding import AbsentList
from omsclient._repr import short_repr

__all__ = ["Contact", "CustomField", "Operator", "ShippingMethod"]


# ---------------------------------------------------------------------------------------------
# Small shared pieces
# ---------------------------------------------------------------------------------------------


@short_repr("caption")
@attrs.define(kw_only=True)
class CustomField:
    """A custom field captured on a contact (billing, shipping, note author, store owner).

    Attributes:
        caption: The caption of the field, e.g. ``"Student Name"``.
        value: The value entered.
        extra: Keys the server sent that this model does not know.
    """

    caption: str | None = None
    value: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("user_id")
@attrs.define(kw_only=True)
class Contact:
    """A person's contact details: billing and shipping details, note authors, store owners.

    Attributes:
        user_id: Id of the user.
        email: Email address.
        firstname: First name.
        lastname: Last name.
        country_code: Two-letter country code.
        state: Name of the state.
        city: Name of the city.
        street: Street address.
        postcode: Zip or post code.
        company: Company name.
        company_id: Id of the company.
        salutation: Salutation, e.g. ``"Mr"``.
        ph_number: Phone number.
        custom_fields: Custom fields captured for the contact.
        extra: Keys the server sent that this model does not know.
    """

    user_id: int | None = None
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    country_code: str | None = None
    state: str | None = None
    city: str | None = None
    street: str | None = None
    postcode: str | None = None
    company: str | None = None
    company_id: int | None = None
    salutation: str | None = None
    ph_number: str | None = None
    custom_fields: list[CustomField] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id", "login")
@attrs.define(kw_only=True)
class Operator:
    """A back-office user: who processed, shipped or is assigned to an order or line.

    Attributes:
        id: User id of the operator.
        login: Login name of the operator.
        firstname: First name.
        lastname: Last name.
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    login: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id", "name")
@attrs.define(kw_only=True)
class ShippingMethod:
    """A shipping method chosen for an order or used by a shipment.

    Attributes:
        id: Id of the shipping method.
        name: Name of the shipping method, e.g. ``"Overnight"``.
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
