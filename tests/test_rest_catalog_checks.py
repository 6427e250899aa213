"""The catalog's ids and references: path ids of the spec's type, answers about the object
asked for, references that name something, in the SDK (respx) and the sandbox (real sockets)."""

from __future__ import annotations

import enum
import json
from typing import Any

import anyio
import httpx
import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.sandbox import SandboxInfo

from .conftest import REST

UUID = "44bbfec0-7c1e-4a55-9d3a-2f1e0a6b9c11"
ANY_PATH = rf"{REST}/api/v1/.*"


# -- a product's and a variant's id in a path is an integer --------------------------------


@pytest.mark.parametrize("resource", ["products", "variants"])
@pytest.mark.parametrize("verb", ["get", "delete", "update"])
@pytest.mark.parametrize("bad", [UUID, "abc", "-5", "1.0"])
@respx.mock
async def test_a_string_that_is_no_integer_is_refused_as_a_path_id(
    oms: omsclient.AsyncClient, resource: str, verb: str, bad: str
) -> None:
    route = respx.route(url__regex=ANY_PATH).mock(return_value=httpx.Response(404))
    method = getattr(getattr(oms.rest, resource), verb)
    kwargs: dict[str, Any] = {"name": "x"} if verb == "update" else {}
    name = "product_id" if resource == "products" else "variant_id"
    with pytest.raises(errors.ValidationError, match=f"{name} must be an integer") as info:
        await method(bad, **kwargs)
    assert f"rest.{resource}.{verb}" in str(info.value)
    assert not route.called


@pytest.mark.parametrize(
    ("resource", "path"), [("products", "products"), ("variants", "product-variants")]
)
@respx.mock
async def test_the_digits_of_an_id_go_out_as_the_integer(
    oms: omsclient.AsyncClient, resource: str, path: str
) -> None:
    route = respx.get(f"{REST}/api/v1/{path}/12").mock(
        return_value=httpx.Response(200, json={"id": 12, "uuid": UUID, "name": "Tee"})
    )
    got = await getattr(oms.rest, resource).get("0012")
    assert got.id == 12
    assert route.call_count == 1


@respx.mock
async def test_a_category_is_still_asked_for_by_its_uid(oms: omsclient.AsyncClient) -> None:
    route = respx.get(f"{REST}/api/v1/product-categories/8jeu2oo9").mock(
        return_value=httpx.Response(200, json={"id": 5, "uid": "8jeu2oo9", "name": "Tees"})
    )
    assert (await oms.rest.categories.get("8jeu2oo9")).id == 5
    assert route.call_count == 1


# -- an answer about another object --------------------------------------------------------


async def _answered(
    oms: omsclient.AsyncClient,
    resource: str,
    verb: str,
    path: str,
    asked: object,
    answer: dict[str, Any],
) -> Any:
    """``oms.rest.<resource>.<verb>(asked)`` (an update renaming it), the server answering
    ``answer`` at ``path``."""
    method = "GET" if verb == "get" else "PUT"
    respx.route(method=method, url=f"{REST}/api/v1/{path}").mock(
        return_value=httpx.Response(200, json=answer)
    )
    kwargs: dict[str, Any] = {"name": "A"} if verb == "update" else {}
    return await getattr(getattr(oms.rest, resource), verb)(asked, **kwargs)


@pytest.mark.parametrize(
    ("resource", "path", "asked", "answer"),
    [
        ("products", "products/3", 3, {"id": 9, "uuid": UUID, "name": "Other"}),
        ("variants", "product-variants/3", "3", {"id": "9", "uuid": UUID, "name": "Other"}),
        ("categories", "product-categories/3", 3, {"id": 9, "uid": "u9", "name": "Other"}),
        ("categories", "product-categories/u3", "u3", {"id": 3, "uid": "u9", "name": "Other"}),
        # Another in Unicode's case folding, not in ASCII's: "straße" folds to "strasse".
        (
            "categories",
            "product-categories/STRASSE",
            "STRASSE",
            {"id": 3, "uid": "straße", "name": "Other"},
        ),
    ],
)
@pytest.mark.parametrize("verb", ["get", "update"])
@respx.mock
async def test_an_answer_about_another_object_is_refused(
    oms: omsclient.AsyncClient,
    resource: str,
    path: str,
    asked: int | str,
    answer: dict[str, Any],
    verb: str,
) -> None:
    with pytest.raises(errors.DecodeError, match="an answer about") as info:
        await _answered(oms, resource, verb, path, asked, answer)
    message = str(info.value)
    assert any(
        named in message
        for named in ("id 9, not id 3", "uid 'u9', not uid 'u3'", "uid 'straße', not uid 'STRASSE'")
    ), message
    # The server answered success: an update may have been applied, to either object.
    assert info.value.maybe_applied is True
    assert info.value.transient is False


@pytest.mark.parametrize(
    ("asked", "answer"),
    [
        (3, {"id": "3", "name": "A"}),  # the id as text
        ("u3", {"id": 3, "name": "A"}),  # asked by uid, named only by id
        (3, {"uid": "u3", "name": "A"}),  # asked by id, named only by uid
        ("17", {"id": 4, "uid": "17", "name": "A"}),  # a uid of digits
    ],
)
@respx.mock
async def test_an_answer_naming_the_object_otherwise_is_taken(
    oms: omsclient.AsyncClient, asked: int | str, answer: dict[str, Any]
) -> None:
    respx.get(f"{REST}/api/v1/product-categories/{asked}").mock(
        return_value=httpx.Response(200, json=answer)
    )
    assert (await oms.rest.categories.get(asked)).name == "A"


@pytest.mark.parametrize(
    ("answer", "taken"),
    [
        ({"id": 3, "uuid": "b" * 36, "name": "Someone else's"}, False),
        ({"id": 3, "uuid": "A" * 36, "name": "Tee"}, True),  # a UUID in another case
        ({"id": 3, "name": "Tee"}, True),  # one saying nothing of it
    ],
)
@respx.mock
async def test_a_variant_created_with_its_uuid_is_not_answered_about_another(
    oms: omsclient.AsyncClient, answer: dict[str, Any], taken: bool
) -> None:
    # Another create's answer was taken: its id, kept, named someone else's variant to a
    # later update or delete.
    respx.post(f"{REST}/api/v1/product-variants").mock(
        return_value=httpx.Response(201, json=answer)
    )

    async def create() -> Any:
        return await oms.rest.variants.create(name="Tee", product_id=1, country_id=1, uuid="a" * 36)

    if taken:
        assert (await create()).id == 3
        return
    with pytest.raises(errors.DecodeError, match=f"an answer about uuid '{'b' * 36}'") as info:
        await create()
    assert info.value.maybe_applied is True


# -- references that name nothing, refused before sending ---------------------------------


@pytest.mark.parametrize(
    ("parent", "problem"),
    [
        ("", "must not be blank"),
        ("  ", "must not be blank"),
        (" u1", "must not begin or end with white space"),
    ],
)
@pytest.mark.parametrize("field", ["parent_id", "default_location_id"])
@respx.mock
async def test_a_categorys_uid_naming_nothing_is_refused(
    oms: omsclient.AsyncClient, parent: str, problem: str, field: str
) -> None:
    # A blank default location was sent, for the server to refuse, where a product's is not.
    route = respx.route(url__regex=ANY_PATH).mock(return_value=httpx.Response(500))
    with pytest.raises(errors.ValidationError, match=f"create: {field} {problem}"):
        await oms.rest.categories.create(name="Tees", **{field: parent})
    with pytest.raises(errors.ValidationError, match=f"update: {field} {problem}"):
        await oms.rest.categories.update(5, **{field: parent})
    assert not route.called


@pytest.mark.parametrize(
    ("items", "templates", "problem"),
    [
        (["u1", "u2", "u1"], ["t1"], r"order_items\[2\] repeats order_items\[0\] \('u1'\)"),
        (["u1"], ["t1", "t1"], r"print_templates\[1\] repeats print_templates\[0\]"),
        (["u1", " u2"], ["t1"], r"order_items\[1\] must not begin or end with white space"),
        (["u1"], ["t1\n"], r"print_templates\[0\] must not begin or end with white space"),
        # Sent as they were: no UID holds one.
        (
            ["u1", "u\u200b2"],
            ["t1"],
            r"order_items\[1\] holds an invisible character \('\\u200b'\)",
        ),
        (["u1"], ["t\n1"], r"print_templates\[0\] holds an invisible character \('\\n'\)"),
    ],
)
@respx.mock
async def test_a_batch_naming_something_twice_or_padded_is_refused(
    oms: omsclient.AsyncClient, items: list[str], templates: list[str], problem: str
) -> None:
    route = respx.route(url__regex=ANY_PATH).mock(return_value=httpx.Response(500))
    with pytest.raises(errors.ValidationError, match=problem):
        await oms.rest.batch_orders.create(order_items=items, print_templates=templates)
    assert not route.called


@pytest.mark.parametrize("category", [" 1", "1\n", " uid1"])
@respx.mock
async def test_a_products_padded_category_id_is_refused(
    oms: omsclient.AsyncClient, category: str
) -> None:
    # Sent as " 1", where path ids and a category's parent_id so padded are refused.
    route = respx.route(url__regex=ANY_PATH).mock(return_value=httpx.Response(500))
    problem = "category_id must not begin or end with white space"
    with pytest.raises(errors.ValidationError, match=f"create: {problem}"):
        await oms.rest.products.create(
            category_id=category, name="Tee", order_column=1, active=True, team_id=1
        )
    with pytest.raises(errors.ValidationError, match=f"update: {problem}"):
        await oms.rest.products.update(3, category_id=category)
    assert not route.called


# -- the sandbox: no category is its own ancestor -------------------------------------------


def _category(rest: httpx.Client, **body: Any) -> dict[str, Any]:
    created = rest.post("/api/v1/product-categories", json={"name": "C", **body})
    assert created.status_code == 200, created.text
    category: dict[str, Any] = created.json()
    return category


@pytest.mark.parametrize("by", ["id", "uid"])
def test_a_category_made_its_own_parent_or_ancestor_is_refused(rest: httpx.Client, by: str) -> None:
    top = _category(rest)
    middle = _category(rest, parent_id=top["uid"])
    bottom = _category(rest, parent_id=middle["uid"])
    for parent in (top, middle, bottom):  # itself, and each category below it
        answer = rest.put(
            f"/api/v1/product-categories/{top['id']}", json={"parent_id": str(parent[by])}
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["errors"] == {"parent_id": ["The selected parent id is invalid."]}
    assert rest.get(f"/api/v1/product-categories/{top['id']}").json()["parent_id"] is None
    # Moving a category under another branch is still fine.
    other = _category(rest)
    moved = rest.put(f"/api/v1/product-categories/{middle['id']}", json={"parent_id": other["uid"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == other["uid"]


class _Shirts(str, enum.Enum):
    CATEGORY = "aef6c0de-1111-4222-8333-444455556666"


class _Mugs(int, enum.Enum):
    PRODUCT = 12


@pytest.mark.parametrize(
    ("verb", "asked", "answer"),
    [
        ("get", "42", {"uid": "0042"}),
        ("update", "0042", {"uid": "42"}),
        ("delete", "42", {"message": "Order successfully deleted", "order_uid": "0042"}),
    ],
)
@respx.mock
async def test_an_order_uid_of_digits_is_compared_as_text(
    oms: omsclient.AsyncClient, verb: str, asked: str, answer: dict[str, Any]
) -> None:
    # Compared as ids are, as numbers, the answer about order "0042" was taken for order "42":
    # a UID is text to the server, which finds no "42" by "0042".
    method = {"get": "GET", "update": "PUT", "delete": "DELETE"}[verb]
    respx.route(method=method, url=f"{REST}/api/v1/orders/{asked}").mock(
        return_value=httpx.Response(200, json=answer)
    )
    kwargs: dict[str, Any] = {"note": "x"} if verb == "update" else {}
    with pytest.raises(errors.DecodeError, match="an answer about") as info:
        await getattr(oms.rest.orders, verb)(asked, **kwargs)
    other = "42" if asked == "0042" else "0042"
    assert f"uid '{other}', not " in str(info.value)


@pytest.mark.parametrize(
    ("resource", "path", "asked", "answer"),
    [
        # An enum member names the object by its value, as its path is sent: "_Shirts.CATEGORY"
        # (its str()) named another.
        (
            "categories",
            f"product-categories/{_Shirts.CATEGORY.value}",
            _Shirts.CATEGORY,
            {"id": 5, "uid": _Shirts.CATEGORY.value, "name": "A"},
        ),
        ("products", "products/12", _Mugs.PRODUCT, {"id": 12, "uuid": UUID, "name": "A"}),
        # A UID asked in another case, answered as the server keeps it.
        (
            "categories",
            "product-categories/AEF6C0DE-1111-4222-8333-444455556666",
            "AEF6C0DE-1111-4222-8333-444455556666",
            {"id": 5, "uid": _Shirts.CATEGORY.value, "name": "A"},
        ),
        # Digits asked with a leading zero, answered as the number.
        ("categories", "product-categories/07", "07", {"id": 7, "uid": "u7", "name": "A"}),
    ],
)
@pytest.mark.parametrize("verb", ["get", "update"])
@respx.mock
async def test_the_object_asked_for_is_taken_however_its_id_was_written(
    oms: omsclient.AsyncClient,
    resource: str,
    path: str,
    asked: object,
    answer: dict[str, Any],
    verb: str,
) -> None:
    got = await _answered(oms, resource, verb, path, asked, answer)
    assert got.name == "A"
    assert respx.calls.call_count == 1


def test_a_category_asked_with_a_leading_zero_is_the_sandboxs_too(
    sandbox: SandboxInfo, rest: httpx.Client
) -> None:
    created = _category(rest)
    number = f"0{created['id']}"

    async def rename() -> str | None:
        async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
            return (await oms.rest.categories.update(number, name="Renamed")).name

    assert anyio.run(rename) == "Renamed"


ITEM = {
    "ecommerce_order_item_id": "it-1",
    "ecommerce_variant_id": "VAR-1",
    "quantity": 1,
    "template_config": {"template": "mug"},
    "thumbnails": ["https://cdn.test/t1.png"],
}


@pytest.mark.parametrize(
    ("order_id", "item_id", "problem"),
    [
        ("E-100\n", "it-1", r"ecommerce_order_id must not begin or end with white space"),
        ("E-100", " it-1", r"items\[0\]\.ecommerce_order_item_id must not begin or end with"),
        ("E-100", "it-1\n", r"items\[0\]\.ecommerce_order_item_id must not begin or end with"),
        # No path holds them: print_file refuses them, a create sent them.
        ("E-100", "..", r"items\[0\]\.ecommerce_order_item_id '\.\.' cannot be sent in a URL"),
        ("E-100", ".", r"items\[0\]\.ecommerce_order_item_id '\.' cannot be sent in a URL"),
    ],
)
@respx.mock
async def test_an_orders_padded_or_dot_ids_are_refused_before_sending(
    oms: omsclient.AsyncClient, order_id: str, item_id: str, problem: str
) -> None:
    # Sent as they were and stored so, an item's print file could never be asked for: its id
    # in the path is refused padded, and the id without the padding names nothing.
    route = respx.route(url__regex=ANY_PATH).mock(return_value=httpx.Response(500))
    item = {**ITEM, "ecommerce_order_item_id": item_id}
    with pytest.raises(errors.ValidationError, match=f"^rest.orders.create: {problem}"):
        await oms.rest.orders.create(ecommerce_order_id=order_id, items=[item], store_id="1")
    assert not route.called
    if item_id != ITEM["ecommerce_order_item_id"]:
        # An update may send back the items of an order as read, an id an older client
        # stored so included.
        route.mock(return_value=httpx.Response(200, json={"uid": "uid1"}))
        await oms.rest.orders.update("uid1", items=[item])
        assert (
            json.loads(route.calls.last.request.content)["items"][0]["ecommerce_order_item_id"]
            == item_id
        )


@respx.mock
async def test_a_padded_variant_uuid_is_refused_before_sending(oms: omsclient.AsyncClient) -> None:
    # 36 characters, so the length check took it; a server trimming it answers about "another"
    # variant, and the create reads as perhaps applied to someone else's.
    route = respx.route(url__regex=ANY_PATH).mock(return_value=httpx.Response(500))
    for padded in (" " + UUID[1:], UUID[:-1] + "\n"):
        with pytest.raises(errors.ValidationError, match="uuid must not begin or end with white"):
            await oms.rest.variants.create(name="V", product_id=7, country_id=1, uuid=padded)
    assert not route.called


class _Address(str, enum.Enum):
    SHIPPING = "shipping"
    CITY = "Leeds"


@respx.mock
async def test_str_enum_members_in_a_dict_are_sent_as_their_values(
    oms: omsclient.AsyncClient,
) -> None:
    # A dict's str field got str() of the member: the city went out as "_Address.CITY", and
    # type_id was refused as "got '_Address.SHIPPING'" where Address(type_id=...) took it.
    route = respx.post(f"{REST}/api/v1/orders").respond(
        201, json={"uid": "OU-1", "ecommerce_order_id": "E-1"}
    )
    address = {
        "type_id": _Address.SHIPPING,
        "address_1": "1 High St",
        "post_code": "AB1 2CD",
        "city": _Address.CITY,
        "country_code": "GB",
    }
    await oms.rest.orders.create(
        ecommerce_order_id="E-1", items=[ITEM], store_id="1", addresses=[address]
    )
    sent = json.loads(route.calls.last.request.content)["addresses"][0]
    assert (sent["type_id"], sent["city"]) == ("shipping", "Leeds")
