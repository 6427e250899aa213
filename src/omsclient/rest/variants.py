"""``oms.rest.variants``: product variants (``/api/v1/product-variants``)."""

from __future__ import annotations

from collections.abc import Sequence

from omsclient._parts import View
from omsclient._refused import secrets_kept_out
from omsclient._settings import REST_API
from omsclient._validate import is_collection, unpadded
from omsclient._with_raw_response import RawResponseView, raw_method
from omsclient.errors import ValidationError
from omsclient.rest._fields import NOT_GIVEN, NotGiven, integer_id, optional_integer_id
from omsclient.rest._resource import Resource
from omsclient.rest._transport import RestTransport
from omsclient.rest.models import Deletion, Variant

__all__ = ["Variants"]

PATH = f"{REST_API}/product-variants"
UUID_LENGTH = 36

Tags = str | Sequence[str]


def _tags(value: Tags, operation: str) -> str:
    # The API takes one comma-separated string; a list of tags is joined for convenience.
    if isinstance(value, str):
        return value
    if not isinstance(value, Sequence) or not is_collection(value):  # bytes: no list of tags
        raise ValidationError(
            f"{operation}: ecommerce_tags must be a string or a list of strings, "
            f"got {type(value).__name__}"
        )
    for i, tag in enumerate(value):
        if not isinstance(tag, str):
            raise ValidationError(
                f"{operation}: ecommerce_tags[{i}] must be a string, got {type(tag).__name__}"
            )
        # Joined with commas, a tag holding one would arrive as several, a blank one as none.
        if "," in tag:
            raise ValidationError(
                f"{operation}: ecommerce_tags[{i}] must not contain a comma, got {tag!r}"
            )
        if not tag.strip():
            raise ValidationError(f"{operation}: ecommerce_tags[{i}] must not be blank")
    return ",".join(value)


def _check_uuid(value: str | NotGiven | None, operation: str) -> None:
    if isinstance(value, str) and len(value) != UUID_LENGTH:
        raise ValidationError(
            f"{operation}: uuid must be {UUID_LENGTH} characters, got {len(value)}"
        )
    if isinstance(value, str):
        # The variant's own id, compared with the answer's: a server trimming it would answer
        # about "another" variant.
        unpadded(value, f"{operation}: uuid")


@secrets_kept_out(lambda resource: resource._rest.session.redact)
class Variants(Resource[Variant]):
    """Product variants: ``create``, ``get``, ``update``, ``delete`` by variant id."""

    __slots__ = ()

    with_raw_response = View(lambda: VariantsWithRawResponse)
    """These request methods returning a :class:`~omsclient.RawResponse` (the answer's
    status, headers, timing and attempts; ``.parse()`` is the method's result), e.g.
    ``await oms.rest.variants.with_raw_response.get(9)``."""

    def __init__(self, rest: RestTransport) -> None:
        super().__init__(
            rest, path=PATH, model=Variant, name="variants", id_name="variant_id", integer_ids=True
        )

    async def create(
        self,
        *,
        name: str,
        product_id: int | str,
        country_id: int,
        uuid: str | None = None,
        product_variant_category_id: int | None = None,
        price_id: int | None = None,
        editor_product_id: str | None = None,
        weight: int | None = None,
        length: int | None = None,
        width: int | None = None,
        height: int | None = None,
        description: str | None = None,
        customs_code: str | None = None,
        customs_description: str | None = None,
        long_customs_description: str | None = None,
        default_dpi: int | None = None,
        seo_details: str | None = None,
        ecommerce_tags: Tags | None = None,
        default_location_id: int | str | None = None,
    ) -> Variant:
        """Create a variant (``POST``); arguments left as None are not sent.

        ``product_id`` is sent as the integer the API takes: a string of its digits is
        turned into it. ``ecommerce_tags`` is a comma-separated string or a list of tags
        (joined with commas). The answer carries the generated ``id``. This is a write: it
        is retried only when the request surely did not reach the server.

        Raises:
            ValidationError: a required field is None, ``uuid`` is not 36 characters or
                begins or ends with white space, ``product_id`` or ``default_location_id``
                is blank or a string other than digits, or a tag in a list is blank or holds
                a comma (nothing is sent).
        """
        op = self._op("create")
        _check_uuid(uuid, op)
        return await self._create(
            Variant(
                uuid=uuid,
                name=name,
                product_variant_category_id=product_variant_category_id,
                product_id=integer_id(product_id, "product_id", op),
                price_id=price_id,
                editor_product_id=editor_product_id,
                weight=weight,
                length=length,
                width=width,
                height=height,
                description=description,
                country_id=country_id,
                customs_code=customs_code,
                customs_description=customs_description,
                long_customs_description=long_customs_description,
                default_dpi=default_dpi,
                seo_details=seo_details,
                ecommerce_tags=None if ecommerce_tags is None else _tags(ecommerce_tags, op),
                default_location_id=optional_integer_id(
                    default_location_id, "default_location_id", op
                ),
            ),
            key="uuid",
        )

    async def update(
        self,
        variant_id: int | str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        product_variant_category_id: int | NotGiven | None = NOT_GIVEN,
        product_id: int | str | NotGiven = NOT_GIVEN,
        price_id: int | NotGiven | None = NOT_GIVEN,
        editor_product_id: str | NotGiven | None = NOT_GIVEN,
        weight: int | NotGiven | None = NOT_GIVEN,
        length: int | NotGiven | None = NOT_GIVEN,
        width: int | NotGiven | None = NOT_GIVEN,
        height: int | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        country_id: int | NotGiven = NOT_GIVEN,
        customs_code: str | NotGiven | None = NOT_GIVEN,
        customs_description: str | NotGiven | None = NOT_GIVEN,
        long_customs_description: str | NotGiven | None = NOT_GIVEN,
        default_dpi: int | NotGiven | None = NOT_GIVEN,
        seo_details: str | NotGiven | None = NOT_GIVEN,
        ecommerce_tags: Tags | NotGiven | None = NOT_GIVEN,
        default_location_id: int | str | NotGiven | None = NOT_GIVEN,
    ) -> Variant:
        """Change a variant (``PUT``): only the arguments given are sent, None as ``null``.
        A ``product_id`` string of digits is sent as its integer, as on create.

        Raises:
            ValidationError: no field given, a ``product_id`` or ``default_location_id``
                string blank or other than digits, or a field required on create (``name``,
                ``product_id``, ``country_id``) given as None or blank: it can be left out,
                not cleared.
            NotFoundError: no such variant.
        """
        return await self._update(
            variant_id,
            name=name,
            product_variant_category_id=product_variant_category_id,
            product_id=integer_id(product_id, "product_id", self._op("update")),
            price_id=price_id,
            editor_product_id=editor_product_id,
            weight=weight,
            length=length,
            width=width,
            height=height,
            description=description,
            country_id=country_id,
            customs_code=customs_code,
            customs_description=customs_description,
            long_customs_description=long_customs_description,
            default_dpi=default_dpi,
            seo_details=seo_details,
            ecommerce_tags=(
                ecommerce_tags
                if ecommerce_tags is None or isinstance(ecommerce_tags, NotGiven)
                else _tags(ecommerce_tags, self._op("update"))
            ),
            default_location_id=optional_integer_id(
                default_location_id, "default_location_id", self._op("update")
            ),
        )

    async def get(self, variant_id: int | str) -> Variant:
        """The variant with this id (``GET``).

        Raises:
            ValidationError: ``variant_id`` is not a positive int within 64 bits or a str of
                its digits (a blank or padded str, ``..``, a bool, a float; nothing is sent).
            NotFoundError: no such variant.
        """
        return await self._get(variant_id)

    async def delete(self, variant_id: int | str) -> Deletion:
        """Delete a variant (``DELETE``); the answer names the id deleted.

        Retried like a read: deleting twice is harmless. If an attempt reached the server but
        its answer was lost, the retry may answer 404: :class:`~omsclient.errors.NotFoundError`
        with ``maybe_applied`` True, whose message says an earlier attempt may have deleted it.

        Raises:
            ValidationError: ``variant_id`` is not a positive int within 64 bits or a str of
                its digits (a blank or padded str, ``..``, a bool, a float; nothing is sent).
            NotFoundError: nothing to delete; with ``maybe_applied``, an earlier attempt may
                have deleted it.
        """
        return await self._delete(variant_id)


class VariantsWithRawResponse(RawResponseView[Variants]):
    """``with_raw_response`` of :class:`Variants`: each request method, with the same
    parameters, returning a :class:`~omsclient.RawResponse` of its result."""

    create = raw_method(Variants.create)
    """:meth:`Variants.create <omsclient.rest.Variants.create>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = raw_method(Variants.get)
    """:meth:`Variants.get <omsclient.rest.Variants.get>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update = raw_method(Variants.update)
    """:meth:`Variants.update <omsclient.rest.Variants.update>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    delete = raw_method(Variants.delete)
    """:meth:`Variants.delete <omsclient.rest.Variants.delete>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
