"""The page decoder: the converter's models straight from bytes, or a hand-back to the converter."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import attrs
import httpx
import msgspec
import orjson
import pytest
import respx

import omsclient
from omsclient._decoding import ABSENT, AbsentList, PageDecoder, structure_many, unstructure
from omsclient.legacy import Condition, Op, OrderField, ProductField
from omsclient.legacy._conditions import encode_conditions
from omsclient.legacy.models import Order, OrderLine, Product
from omsclient.sandbox import Quirks, SandboxConfig, SandboxInfo
from tests.conftest import LEGACY, REST, legacy_error, ok, reads_of
from tests.forking import child_exit_while_held

SAMPLE: dict[str, Any] = orjson.loads(
    (Path(__file__).parent / "data" / "sample_order.json").read_bytes()
)
FIND = f"{LEGACY}/api/json/manage_orders/find"
READY = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
FORM_TYPE = {"content-type": "application/x-www-form-urlencoded"}


BIG = 18446744073709551616  # beyond 64 bits: orjson reads it as a float


def page_of(*rows: Any, **envelope: Any) -> bytes:
    content = orjson.dumps({"response_status": {"code": 10001}, **envelope, "orders": list(rows)})
    return content.replace(b'"BIG"', str(BIG).encode())


def sample_pages(total: int, kind: str = "plain") -> Callable[[httpx.Request], httpx.Response]:
    """An order search answering each offset with its page of ``total`` sample orders, the
    second page's fourth order made ``kind`` (see :func:`_hostile_page`)."""

    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(dict(httpx.QueryParams(request.content.decode()))["offset"])
        return httpx.Response(200, content=_hostile_page(kind, offset, total))

    return answer


def _hostile_page(kind: str, offset: int, total: int) -> bytes:
    rows = [{**SAMPLE, "order_id": f"INV{offset + n}"} for n in range(100)]
    if offset == 100:
        if kind == "refused":
            rows[3]["date_due"] = "soon"
        elif kind == "unknown-key":
            rows[3]["undocumented"] = {"kept": True}
        elif kind == "surrogate":
            rows[3]["job_name"] = "LONE"
        elif kind == "no-utf-8":
            rows[3]["job_name"] = "NOUTF8"
        elif kind == "deep":
            rows[3]["undocumented"] = "DEEP"
    content = page_of(*rows[: max(0, total - offset)], total=total)
    content = content.replace(b'"LONE"', b'"\\ud800"').replace(b"NOUTF8", b"\xff\xfe")
    return content.replace(b'"DEEP"', b"[" * 3000 + b"]" * 3000)


def slow(content: bytes, key: str = "orders", cls: Any = Order) -> list[Any]:
    return structure_many(orjson.loads(content)[key], cls)


def fast(content: bytes, decoder: PageDecoder[Any] | None = None) -> list[Any]:
    page = (decoder or PageDecoder("orders", Order, "order_id")).decode(content)
    assert page is not None, "the page went to the converter"
    return page.items


def unstructure_json(models: list[Any]) -> bytes:
    return orjson.dumps(unstructure(models))


def same_models(a: list[Any], b: list[Any]) -> None:
    assert a == b
    # Equality is not enough: 5 == 5.0 and [] == AbsentList().
    assert unstructure_json(a) == unstructure_json(b)
    assert [type(x.taxes) for x in a] == [type(x.taxes) for x in b]


def test_the_sample_page_is_decoded_fast_into_the_converters_models() -> None:
    content = page_of(SAMPLE, SAMPLE, total=2)
    page = PageDecoder("orders", Order, "order_id").decode(content)
    assert page is not None
    assert (page.status, page.total) == ({"code": 10001}, 2)
    same_models(page.items, slow(content))
    assert orjson.dumps(unstructure(page.items[0])) == orjson.dumps(SAMPLE)
    assert page.items[0] is not page.items[1]


LIVE_SHAPES: list[dict[str, Any]] = [
    {"order_id": 27524},
    {"order_id": "Order-27524", "customer_id": "2678321", "total_weight": "2.80"},
    {"order_lines": [{"id": "3243137811", "qty": " 5 ", "unit_price": "30.10"}]},
    {"order_lines": [{"id": 7.0, "qty": "7.0", "length": "5", "width": "-1e3"}]},
    {"is_priority": "0"},
    {"is_priority": 1},
    {"is_priority": "true"},
    {"is_priority": ""},
    {"item_amount": 224, "shipping_amount": 2.5, "tax_amount": ""},
    {"date_ordered": "2025-03-26T14:35:00.000+00:00", "date_due": ""},
    {"date_ordered": "2025-03-26T16:35:00+02:00", "date_shipped": "2025-03-26T14:35:00Z"},
    {"date_ordered": "2025-03-26 14:35:00", "date_started": "2016-02-01"},
    {"date_ordered": "2025-03-26T14:35:00.1234567+00:00", "date_due": "  "},
    {"date_ordered": None, "taxes": None, "payments": [], "store": None},
    {"shipping_details": [], "store": {"owner": []}},
    {"notes": [{"from": {"user_id": "5"}, "created_at": "2016-02-01T00:00:00"}]},
    {"order_lines": [{"views": [{"production_files_ready": "1", "areas": []}]}]},
    {"order_id": 9223372036854775807},
    {},
]


@pytest.mark.parametrize("row", LIVE_SHAPES)
def test_live_server_shapes_are_decoded_fast_as_the_converter_reads_them(
    row: dict[str, Any],
) -> None:
    content = page_of(SAMPLE, row)
    same_models(fast(content), slow(content))


# Values a server sends or could, as JSON text: numbers as text with spaces, signs, exponents
# and other digits; integers about 64 bits; dates of every shape, some no date at all; the
# wrong kind of value. (Lone surrogates and numbers past a double's range have tests of their
# own: orjson, the converter's reader, refuses them.)
ODD_VALUES = [
    "0", "-1", "5.0", "5.5", "-0.0", "1e20", "1E2", "1e-400", "true", "false", "null", '""',
    "[]", "{}", "[1]", '{"a": 1}', "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "100000000000000000000000", "9007199254740993", '"5"', '"5.0"',
    '" 5 "', '"+5"', '"-0"', '"1_000"', '"\\u0663"', '"0x10"', '"1e3"', '"5\\n"', '"0005"',
    '"NaN"', '"inf"', '"12.50"', '"\\u00a05"', '"1,000"', '"3243137811"', '"abc"', '"a\\u0000b"',
    '"\\u00e9"', '"\\ud83d\\ude00"', '"2024-10-09T02:24:39"', '"2024-10-09 02:24:39"',
    '"2024-10-09T02:24:39.000+00:00"', '"2024-10-09T02:24:39z"', '"2024-10-09T02:24:39+05:30"',
    '"2024-10-09T24:00:00"', '"0000-00-00 00:00:00"', '"20240105"', '"2024-W01-1"',
    '"2024-10-09"', '" 2024-10-09T02:24:39 "', '"2024-10-09T02:24:39.9999999"',
    '"9999-12-31T23:59:59-01:00"', '"2024-10-09T02:24:39+24:00"', '"2024-10-09T02:24:39-2400"',
    '"2024-10-09T02:24:39+00:60"', '"2024-02-30T00:00:00"', '"2024-10-09T02:24:39,5"',
    '"2024-10-09T02:24"', '"2024-10-09T02:24:39 UTC"', "1700000000", '"1700000000"',
]  # fmt: skip


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths to the sample's values that hold no object or list (an empty list is one)."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list) and value:
        return [leaf for n, item in enumerate(value[:2]) for leaf in _leaves(item, (*path, n))]
    return [path]


SAMPLE_PRODUCT: dict[str, Any] = orjson.loads(
    (Path(__file__).parent / "data" / "sample_product.json").read_bytes()
)


def _sample_with(key: str, sample: Any, path: tuple[Any, ...], text: str) -> bytes:
    row = orjson.loads(orjson.dumps(sample))
    holder = row
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = "@VALUE@"
    page = orjson.dumps({"response_status": {"code": 10001}, "total": 1, key: [row]})
    return page.replace(b'"@VALUE@"', text.encode())


@pytest.mark.parametrize(
    ("key", "cls", "sample", "pairs"),
    [("orders", Order, SAMPLE, 800), ("products", Product, SAMPLE_PRODUCT, 300)],
    ids=["orders", "products"],
)
def test_an_odd_value_anywhere_is_read_by_the_page_decoder_as_the_converter_reads_it(
    key: str, cls: type, sample: dict[str, Any], pairs: int
) -> None:
    # One odd value in place of one of the sample's, anywhere in the row: the page decoder
    # builds the converter's models, value for value, or hands the page back to it; where the
    # converter refuses the row, the decoder builds nothing. One decoder for every page, as a
    # client's learns shape after shape. A sample of the pairs, the same in every run.
    # Each sample's id, its first value, stays: a page's rows are told apart by it.
    row_id, *paths = _leaves(sample)
    cases = [(path, text) for path in paths for text in ODD_VALUES]
    decoder: PageDecoder[Any] = PageDecoder(key, cls, row_id[0])
    differ, decoded = [], 0
    for path, text in random.Random(20261205).sample(cases, pairs):
        content = _sample_with(key, sample, path, text)
        expected: Any
        got: Any
        try:
            expected = slow(content, key, cls)
        except omsclient.StructureError:
            expected = None
        try:
            page = decoder.decode(content)
        except omsclient.StructureError:
            got = None
        else:
            if page is None:
                continue  # the converter reads it
            got = page.items
        decoded += 1
        if (got is None) != (expected is None) or (
            got is not None
            and (got != expected or unstructure_json(got) != unstructure_json(expected))
        ):
            differ.append((path, text))
    assert differ == []
    assert decoded > pairs // 3  # the sample is not all handed back


def test_fields_seen_in_other_shapes_become_loose_and_the_rest_stay_strict() -> None:
    decoder = PageDecoder("orders", Order, "order_id")
    same_models(fast(page_of(SAMPLE), decoder), slow(page_of(SAMPLE)))
    live = page_of(SAMPLE, {"order_lines": [{"id": "3243137811"}], "shipping_details": []})
    same_models(fast(live, decoder), slow(live))
    loose = {(OrderLine, "id"), (Order, "shipping_details")}
    assert decoder._loose == loose
    assert decoder._built is not None
    assert decoder._built.adaptive.generator.loose == loose
    for content in (live, page_of(SAMPLE), page_of({"is_priority": "1"})):
        same_models(fast(content, decoder), slow(content))
    assert (Order, "is_priority") in decoder._loose


def test_a_refusal_no_field_explains_reads_loose_from_then_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from omsclient._decoding import _answers

    monkeypatch.setattr(_answers, "_odd_fields", lambda rows, generator: frozenset())
    decoder = PageDecoder("orders", Order, "order_id")
    live = page_of({"order_id": 5})
    same_models(fast(live, decoder), slow(live))
    assert decoder._prefer_loose
    same_models(fast(page_of(SAMPLE), decoder), slow(page_of(SAMPLE)))


@pytest.mark.parametrize(
    "row",
    [
        {"loyalty_points": 12},  # an unknown key
        {"order_lines": [{"id": "BIG"}]},
        {"item_amount": 9223372036854775808},
        {"job_name": {"a": 1}},  # an object for a string: the converter explains the error
        {"date_due": "soon"},  # a date the hook refuses
        {"store": [{"id": 1}]},
        {"order_lines": {"id": 1}},
        {"order_lines": [None]},
    ],
)
def test_what_the_mirrors_do_not_accept_goes_to_the_converter(row: dict[str, Any]) -> None:
    assert PageDecoder("orders", Order, "order_id").decode(page_of(SAMPLE, row)) is None


@pytest.mark.parametrize(
    "content",
    [b"", b"<html>login</html>", b'{"orders": [', b"[]", b'{"orders": {}}', b'{"orders": 3}'],
)
def test_bodies_that_are_not_a_page_go_to_the_converter(content: bytes) -> None:
    assert PageDecoder("orders", Order, "order_id").decode(content) is None


def test_envelope_without_status_or_total() -> None:
    page = PageDecoder("orders", Order, "order_id").decode(b'{"orders": null, "other": 1}')
    assert page is not None
    assert (page.status, page.total, page.items) == (None, ABSENT, [])
    page = PageDecoder("orders", Order, "order_id").decode(
        b'{"total": "3", "response_status": 10001}'
    )
    assert page is not None
    assert (page.status, page.total) == (10001, "3")


def test_unknown_keys_are_learned_and_then_decoded_fast() -> None:
    decoder = PageDecoder("orders", Order, "order_id")
    row = orjson.loads(orjson.dumps(SAMPLE))
    row["loyalty_points"] = 12
    row["extra"] = {"nested": [1, None]}  # the JSON key "extra" is an unknown key like any other
    row["from_"] = "x"
    row["order_lines"][0]["embroidery"] = {"threads": ["red", "blue"]}
    row["order_lines"][0]["views"][0]["areas"][0]["ink_ml"] = 1.5
    row["notes"][0]["from"]["pronouns"] = None
    row["store"]["owner"]["custom_fields"][0]["po_number PO"] = "spaces and all"
    content = page_of(row, SAMPLE, row)
    assert decoder.decode(content) is None
    expected = slow(content)
    decoder.learn(expected)

    items = fast(content, decoder)
    same_models(items, expected)
    assert items[0].extra == {"loyalty_points": 12, "extra": {"nested": [1, None]}, "from_": "x"}
    assert items[1].extra == {}
    assert items[0].notes[0].from_.extra == {"pronouns": None}
    assert unstructure(items[0]) == row
    # Pages without those keys still decode fast.
    same_models(fast(page_of(SAMPLE), decoder), slow(page_of(SAMPLE)))


@pytest.mark.parametrize(
    "odd",
    ['size "US"', "C:\\art", "tab\there", "nul\u0000", "k" * 129],  # too long to keep
)
def test_keys_no_mirror_field_can_be_named_are_kept_and_spoil_no_later_page(odd: str) -> None:
    # msgspec refuses a field name with a quote, a backslash or a control character: such a
    # key stays with the converter, which keeps it in extra, and the other keys are learned.
    decoder = PageDecoder("orders", Order, "order_id")
    row = {"order_id": "A1", odd: 1, "loyalty_points": 2, "store": {"id": 1, odd: [odd]}}
    content = page_of(row, SAMPLE)
    assert decoder.decode(content) is None
    items = decoder.build(decoder.read_json(orjson.loads(content), content)).items  # type: ignore[union-attr]
    same_models(items, slow(content))
    assert items[0].extra == {odd: 1, "loyalty_points": 2}
    assert items[0].store is not None
    assert items[0].store.extra == {odd: [odd]}
    # Later pages decode as before: fast when they lack the key, through the converter when not.
    learned = page_of({"order_id": "A2", "loyalty_points": 3})
    same_models(fast(learned, decoder), slow(learned))
    loosened = page_of({"order_id": 5, "order_lines": [{"id": "3180941336"}]})
    same_models(fast(loosened, decoder), slow(loosened))
    again = decoder.build(decoder.read_json(orjson.loads(content), content))
    assert again is not None
    same_models(again.items, slow(content))


@respx.mock
async def test_a_key_no_mirror_field_can_be_named_does_not_fail_the_search(
    oms: omsclient.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        oms.legacy.orders._typed, "_decoder", PageDecoder("orders", Order, "order_id")
    )
    content = page_of(SAMPLE, {"order_id": "A1", 'size "US"': "XL"})
    respx.post(FIND).respond(content=content)
    for _ in range(2):
        page = await oms.legacy.orders.search(READY)
        same_models(page.items, slow(content))
        assert page.items[1].extra == {'size "US"': "XL"}


@respx.mock
async def test_a_key_holding_a_lone_surrogate_is_kept_and_spoils_no_later_page(
    oms: omsclient.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Valid JSON (the standard library reads it; orjson and msgspec's names refuse it): the
    # key was learned, the mirrors failed to build with a bare UnicodeEncodeError, and kept
    # learned it failed the page of every new key or shape after it.
    monkeypatch.setattr(
        oms.legacy.orders._typed, "_decoder", PageDecoder("orders", Order, "order_id")
    )
    pages = [
        b'{"total":1,"orders":[{"order_id":"A","bad\\udc80key":1}]}',
        b'{"total":1,"orders":[{"order_id":"B","zz":1}]}',
        b'{"total":1,"orders":[{"order_id":"C","order_status":"3"}]}',
        b'{"total":1,"orders":[{"order_id":"D","order_lines":[{"yy":1}]}]}',
    ]
    route = respx.post(FIND)
    got = []
    for content in pages:
        route.respond(content=content)
        got += (await oms.legacy.orders.search(READY)).items
    assert [o.order_id for o in got] == ["A", "B", "C", "D"]
    assert got[0].extra == {"bad\udc80key": 1}
    assert got[1].extra == {"zz": 1}
    assert got[2].order_status == 3
    assert got[3].order_lines[0].extra == {"yy": 1}


@respx.mock
async def test_a_number_past_a_double_under_a_learned_key_is_read_as_an_infinity(
    oms: omsclient.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1e400 is JSON orjson refuses: read before the key was learned, it failed the page (as
    # "not JSON") once it was, and in a known list of strings always.
    monkeypatch.setattr(
        oms.legacy.orders._typed, "_decoder", PageDecoder("orders", Order, "order_id")
    )
    route = respx.post(FIND)
    for _ in range(2):  # the key is learned
        route.respond(content=b'{"total":1,"orders":[{"order_id":"A","zz_unknown":1}]}')
        await oms.legacy.orders.search(READY)
    route.respond(content=b'{"total":1,"orders":[{"order_id":"A","zz_unknown":1e400}]}')
    (order,) = (await oms.legacy.orders.search(READY)).items
    assert order.extra == {"zz_unknown": float("inf")}
    line = b'{"total":1,"orders":[{"order_id":"B","order_lines":[{"attachment_urls":[1e400]}]}]}'
    route.respond(content=line)
    (order,) = (await oms.legacy.orders.search(READY)).items
    assert order.order_lines[0].attachment_urls == ["inf"]
    assert route.call_count == 4


def test_learning_gives_up_on_misses_that_are_not_unknown_keys() -> None:
    decoder = PageDecoder("orders", Order, "order_id")
    content = page_of({"order_id": "A1", "item_amount": "BIG", "odd": 1})
    expected = slow(content)
    decoder.learn(expected)
    assert decoder.decode(content) is None  # the key is learned; the integer still does not fit
    for _ in range(40):
        decoder.learn(expected)
    later = page_of({"later": 1})
    decoder.learn(slow(later))
    assert decoder.decode(later) is None  # no longer learning from every page
    # Only from one page in 32: a key the server sends from some day on is learned all the same.
    for _ in range(32):
        decoder.learn(slow(later))
    same_models(fast(later, decoder), slow(later))


def test_learned_keys_are_capped_per_model() -> None:
    decoder = PageDecoder("orders", Order, "order_id")
    many = page_of({f"k{n}": n for n in range(65)})
    decoder.learn(slow(many))
    assert decoder.decode(many) is None
    few = page_of({"k1": 1})
    decoder.learn(slow(few))
    same_models(fast(few, decoder), slow(few))


# --- models the generated copy cannot build: read through the converter's hooks -------------


@attrs.define(kw_only=True)
class Node:
    """A model containing itself."""

    name: str | None = None
    children: list[Node] = attrs.field(factory=AbsentList)
    parent: Node | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Checked:
    """A nested model with a validator, which must go through ``__init__``."""

    qty: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(0))
    )
    ref: int | str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Holder:
    """A row whose fields the mirrors read as raw JSON."""

    node: Node | None = None
    checked: list[Checked] = attrs.field(factory=AbsentList)
    when: datetime | None = None
    tags: list[str] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@pytest.mark.parametrize("fast_first", [True, False], ids=["fast-first", "converter-first"])
def test_a_model_containing_itself_keeps_unknown_keys_at_every_depth(fast_first: bool) -> None:
    # A class of its own per run: hooks made for it before cannot hide the order they are made in.
    @attrs.define(kw_only=True)
    class Tree:
        name: str | None = None
        children: list[Tree] = attrs.field(factory=AbsentList)
        extra: dict[str, Any] = attrs.field(factory=dict)

    attrs.resolve_types(Tree, localns={"Tree": Tree})
    # Unknown keys last: models write them back after the known keys.
    rows = [{"name": "a", "children": [{"name": "b", "children": [{"y": 2}], "x": 1}]}]
    content = orjson.dumps({"rows": rows})
    decoder = PageDecoder("rows", Tree)
    first, second = (fast, slow) if fast_first else (slow, fast)
    a = first(content, decoder) if first is fast else first(content, "rows", Tree)
    b = second(content, decoder) if second is fast else second(content, "rows", Tree)
    for tree in (a[0], b[0]):
        assert tree.children[0].extra == {"x": 1}
        assert tree.children[0].children[0].extra == {"y": 2}
    assert orjson.dumps(unstructure(a)) == orjson.dumps(unstructure(b)) == orjson.dumps(rows)


def test_fields_of_other_types_are_read_by_the_converters_hooks() -> None:
    rows = [
        {
            "node": {"name": 1, "children": [{"name": "b", "x": 1}], "parent": None},
            "checked": [{"qty": "3", "y": 2, "ref": "INV1"}, {"ref": "12"}],
            "tags": ["a", 5],
        },
        {"when": "2016-02-01T00:00:00"},
    ]
    content = orjson.dumps({"rows": rows})
    decoder = PageDecoder("rows", Holder)
    same = fast(content, decoder)
    assert same == slow(content, "rows", Holder)
    assert same[0].node.children[0].extra == {"x": 1}
    assert [c.ref for c in same[0].checked] == ["INV1", 12]
    bad = orjson.dumps({"rows": [{"checked": [{"qty": -1}]}]})
    assert decoder.decode(bad) is None


def _chain(depth: int) -> type:
    """Models nested ``depth`` deep, deeper than one function builds inline."""
    inner: Any = None
    for n in range(depth):
        fields: dict[str, Any] = {"n": attrs.field(default=None, type=int | None)}
        if inner is not None:
            fields["child"] = attrs.field(default=None, type=inner | None)
            fields["children"] = attrs.field(factory=AbsentList, type=list[inner])
        fields["extra"] = attrs.field(factory=dict, type=dict[str, Any])
        inner = attrs.make_class(f"Level{n}", fields, kw_only=True)
    return inner


def test_deep_models_are_built_by_nested_functions() -> None:
    top = _chain(9)
    row: dict[str, Any] = {"n": "0"}
    node = row
    for n in range(1, 9):
        node["child"] = {"n": n, "odd": n}
        node["children"] = [{"n": n}, {"n": str(n)}]
        node = node["child"]
    content = orjson.dumps({"rows": [row, {}]})
    decoder = PageDecoder("rows", top)
    decoder.learn(slow(content, "rows", top))
    assert fast(content, decoder) == slow(content, "rows", top)


def test_a_class_without_extra_has_no_decoder() -> None:
    with pytest.raises(TypeError, match="fast path"):
        PageDecoder("rows", attrs.make_class("Bare", {"a": attrs.field(default=None)}))


# --- through the client ----------------------------------------------------------------------


@respx.mock
async def test_search_decodes_well_formed_pages_fast(
    oms: omsclient.AsyncClient, converter_pages: list[int]
) -> None:
    respx.post(FIND).respond(content=page_of(SAMPLE, {"order_id": 5}, total="7"))
    page = await oms.legacy.orders.search(READY, limit=2)
    assert converter_pages == []
    assert (page.total, page.offset, page.limit) == (7, 0, 2)
    same_models(page.items, slow(page_of(SAMPLE, {"order_id": 5})))


@respx.mock
async def test_a_page_with_a_new_key_is_read_by_the_converter_once(
    oms: omsclient.AsyncClient, converter_pages: list[int]
) -> None:
    key = f"key_{uuid.uuid4().hex}"
    content = page_of(SAMPLE, {key: [1, 2]})
    respx.post(FIND).respond(content=content)
    first = await oms.legacy.orders.search(READY)
    second = await oms.legacy.orders.search(READY)
    assert converter_pages == [2]
    same_models(first.items, second.items)
    assert second.items[1].extra == {key: [1, 2]}
    assert first.total == 2  # no total: offset plus rows


@respx.mock
async def test_errors_are_the_converters(oms: omsclient.AsyncClient) -> None:
    respx.post(FIND).respond(content=page_of(SAMPLE, {"date_due": "soon"}))
    with pytest.raises(omsclient.StructureError) as info:
        await oms.legacy.orders.search(READY)
    assert info.value.errors == ["expected an ISO-8601 date, got 'soon' @ $[1].date_due"]


@respx.mock
async def test_a_failed_status_raises_even_when_the_rows_decode(
    oms: omsclient.AsyncClient,
) -> None:
    body = {**legacy_error(50004, "Invalid limit"), "orders": [SAMPLE]}
    respx.post(FIND).respond(json=body)
    with pytest.raises(omsclient.InvalidPagingError):
        await oms.legacy.orders.search(READY)


@respx.mock
async def test_json_labelled_html_is_read_as_json(oms: omsclient.AsyncClient) -> None:
    # PHP labels what it sends text/html unless told otherwise; the clients written against
    # the live server tell an HTML page by its first character, never by the label.
    respx.post(FIND).respond(
        content=page_of(SAMPLE), headers={"content-type": "text/html; charset=UTF-8"}
    )
    page = await oms.legacy.orders.search(READY)
    assert [order.order_id for order in page.items] == [SAMPLE["order_id"]]


@pytest.mark.parametrize(
    "body", [b"<html><body>Login</body></html>", b"\xef\xbb\xbf <!DOCTYPE html>"]
)
@respx.mock
async def test_an_html_page_is_an_html_error_whatever_its_label(
    oms: omsclient.AsyncClient, body: bytes
) -> None:
    respx.post(FIND).respond(content=body, headers={"content-type": "application/json"})
    with pytest.raises(omsclient.DecodeError, match="HTML") as caught:
        await oms.legacy.orders.search(READY)
    assert caught.value.transient is False


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
@respx.mock
async def test_a_body_in_utf_16_or_32_is_refused_by_the_product_scan_as_by_search(
    oms: omsclient.AsyncClient, encoding: str
) -> None:
    # The scan's exact reading fell back to json.loads of the bytes, which guesses UTF-16 and
    # UTF-32: a product sync read what every search refuses.
    page = orjson.dumps(ok(products=[{"product_id": 5, "product_name": "Café"}]))
    respx.post(f"{LEGACY}/api/json/manage_products/find").respond(
        content=page.decode().encode(encoding)
    )
    products = oms.legacy.products
    with pytest.raises(omsclient.DecodeError, match="bytes that are no UTF-8 at byte 0"):
        await products.search(Condition(ProductField.PRODUCT_ID, Op.GT, string=0))
    with pytest.raises(omsclient.DecodeError, match="bytes that are no UTF-8 at byte 0"):
        [p async for p in products.scan()]


@respx.mock
@pytest.mark.parametrize("mark", [BOM, b"\r\n" + BOM], ids=["first", "after-a-line-break"])
async def test_a_byte_order_mark_before_the_json_is_skipped_by_every_call(
    mark: bytes,
    oms: omsclient.AsyncClient,
) -> None:
    # One fixed order: the scan's windows each find it, and it is handed out once.
    respx.post(FIND).respond(content=mark + page_of(SAMPLE, total=1))
    products_page = mark + orjson.dumps(ok(products=[{"product_id": 5, "product_name": "Tee"}]))
    respx.post(f"{LEGACY}/api/json/manage_products/find").mock(
        side_effect=[
            httpx.Response(200, content=c)
            for c in (products_page, mark + orjson.dumps(ok(products=[])))
        ]
    )
    respx.post(f"{LEGACY}/api/json/manage_products/get").respond(content=products_page)
    respx.post(f"{LEGACY}/api/json/manage_orders/update_order_status").respond(
        content=mark + orjson.dumps(ok())
    )
    orders, products = oms.legacy.orders, oms.legacy.products
    assert [o.order_id for o in (await orders.search(READY)).items] == [SAMPLE["order_id"]]
    assert [o["order_id"] async for o in orders.iterate_raw(READY)] == [SAMPLE["order_id"]]
    sent = [o async for o in orders.scan(since=datetime(2016, 1, 1), raw="sent")]
    assert [orjson.loads(o.json) for o in sent] == [SAMPLE]
    typed = [o.order_id async for o in orders.scan(since=datetime(2016, 1, 1))]
    assert typed == [SAMPLE["order_id"]]
    assert [p.product_id for p in await products.get_many([5])] == [5]
    assert [p["product_id"] async for p in products.scan()] == [5]
    await orders.update_status(omsclient.legacy.StatusChange(order_id="INV1", new_status=2))
    respx.get(f"{REST}/api/v1/orders/U1").respond(content=mark + b'{"uid": "U1"}')
    assert (await oms.rest.orders.get("U1")).uid == "U1"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
def test_a_forked_child_decodes_while_a_parent_thread_was_building_the_decoder() -> None:
    # A worker process forked (multiprocessing's default on Linux) while another thread of
    # the parent builds a decoder (its first page, or a page of a new shape): that thread does
    # not exist in the child, and its lock stayed held there.
    decoder = PageDecoder("orders", Order, "order_id")

    def child() -> bool:
        page = decoder.decode(page_of(SAMPLE, total=1))
        return page is not None and page.items[0].order_id == "INV1234"

    assert child_exit_while_held(decoder._lock, child) == 0


@respx.mock
@pytest.mark.parametrize("total", ["many", "\u0663", "\uff13", " 3 ", "+3", "0_3", "3.0"])
@pytest.mark.parametrize("rows", [[SAMPLE], []])
async def test_a_bad_total_is_a_decode_error(
    oms: omsclient.AsyncClient, total: str, rows: list[Any]
) -> None:
    # int() took Arabic-Indic and full-width digits, padding, a sign and "_": "its digits"
    # are ASCII digits, as no server writes a count otherwise.
    respx.post(FIND).respond(json=ok(orders=rows, total=total))
    with pytest.raises(omsclient.DecodeError, match="the answer's total is no count of rows"):
        await oms.legacy.orders.search(READY)


@respx.mock
@pytest.mark.parametrize("total", [3, "3", 3.0, "03"])
async def test_a_total_is_a_whole_number_or_its_digits(
    oms: omsclient.AsyncClient, total: object
) -> None:
    respx.post(FIND).respond(json=ok(orders=[SAMPLE], total=total))
    assert (await oms.legacy.orders.search(READY)).total == 3


@respx.mock
async def test_iterate_reads_every_page_fast(
    oms: omsclient.AsyncClient, converter_pages: list[int]
) -> None:
    respx.post(FIND).mock(side_effect=sample_pages(250))
    ids = [order.order_id async for order in oms.legacy.orders.iterate(READY, concurrency=3)]
    assert ids == [f"INV{n}" for n in range(250)]
    assert converter_pages == []


def test_parse_then_build_is_decode() -> None:
    content = page_of(SAMPLE, {"order_id": 5}, total=2)
    decoder = PageDecoder("orders", Order, "order_id")
    parsed = decoder.parse(content)
    assert parsed is not None
    assert (parsed.status, parsed.total, len(parsed)) == ({"code": 10001}, 2, 2)
    page = decoder.build(parsed)
    assert page is not None
    same_models(page.items, slow(content))


@pytest.mark.parametrize("content", [b"<html>", page_of(SAMPLE)[:-9], b'{"orders": 1}'])
def test_parse_refuses_what_is_not_a_whole_page(content: bytes) -> None:
    assert PageDecoder("orders", Order, "order_id").parse(content) is None


def test_a_value_a_hook_refuses_passes_the_parse_and_fails_the_build() -> None:
    decoder = PageDecoder("orders", Order, "order_id")
    parsed = decoder.parse(page_of(SAMPLE, {"date_due": "soon"}))
    assert parsed is not None
    assert len(parsed) == 2
    assert decoder.build(parsed) is None


@respx.mock
async def test_iterate_parses_in_the_fetch_and_builds_in_the_consumer(
    oms: omsclient.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The whole body is read once: the fetch's parse is the first half of the decode, not a
    # separate check.
    seen: list[str] = []
    decoder = PageDecoder("orders", Order, "order_id")
    for name in ("parse", "build", "decode"):
        method = getattr(decoder, name)

        def spy(*args: Any, _name: str = name, _method: Any = method) -> Any:
            seen.append(_name)
            return _method(*args)

        monkeypatch.setattr(decoder, name, spy)
    monkeypatch.setattr(oms.legacy.orders._typed, "_decoder", decoder)
    respx.post(FIND).respond(content=page_of(SAMPLE, SAMPLE, total=2))
    orders = [o async for o in oms.legacy.orders.iterate(READY)]
    assert len(orders) == 2
    assert seen == ["parse", "build"]


@respx.mock
async def test_a_page_the_build_refuses_is_explained_by_the_converter_in_iterate(
    oms: omsclient.AsyncClient,
) -> None:
    respx.post(FIND).respond(content=page_of(SAMPLE, {"date_due": "soon"}))
    with pytest.raises(omsclient.StructureError, match="date_due"):
        [o async for o in oms.legacy.orders.iterate(READY)]


@pytest.mark.parametrize(
    "quirks",
    [Quirks(), Quirks(string_ids=True, mixed_dates=True, unknown_fields=True)],
    ids=["documented", "live"],
)
async def test_products_go_through_the_page_decoder_as_the_converter_reads_them(
    oms_sandbox_factory: Callable[..., SandboxInfo],
    converter_pages: list[int],
    quirks: Quirks,
) -> None:
    sandbox = oms_sandbox_factory(SandboxConfig(orders=5, products=230, quirks=quirks, seed=3))
    every = Condition(ProductField.PRODUCT_ID, Op.GT, string=0)
    kwargs = sandbox.client_kwargs()
    async with omsclient.AsyncClient(**kwargs) as oms:
        typed = [p async for p in oms.legacy.products.iterate(every, concurrency=2)]
        searched = await oms.legacy.products.search(every, limit=7, offset=3)
    rows: list[Any] = []
    async with httpx.AsyncClient() as http:
        for offset in (0, 100, 200):
            form = encode_conditions([every], ProductField, "api")
            form += [("limit", "100"), ("offset", str(offset))]
            form += [("username", kwargs["username"]), ("password", kwargs["password"])]
            url = f"{kwargs['legacy_url']}/api/json/manage_products/find"
            answer = await http.post(url, content=urlencode(form).encode(), headers=FORM_TYPE)
            rows += orjson.loads(answer.content)["products"]
    assert len(typed) == 230
    expected = structure_many(rows, Product)
    assert typed == expected
    assert orjson.dumps(unstructure(typed)) == orjson.dumps(unstructure(expected))
    assert searched.items == typed[3:10]
    # Unknown keys send the first pages to the converter, until they are learned.
    assert len(converter_pages) <= (2 if quirks.unknown_fields else 0)


@pytest.mark.parametrize(
    "row",
    [
        {"store": {"owner": []}},  # PHP's empty object for a nested part's model
        {"store": {"id": 1, "owner": []}},
        {"notes": [{"from": []}]},
    ],
)
def test_a_page_read_after_its_fields_became_loose_builds_the_converters_models(
    row: dict[str, Any],
) -> None:
    # The first page is read by the loose tier, which loosens the field; the same decoder
    # then reads the next pages with the adaptive tier, whose lazy parts are prepared apart:
    # each must still build what the converter builds (None for PHP's [], not the list).
    decoder: PageDecoder[Any] = PageDecoder("orders", Order, "order_id")
    content = page_of(SAMPLE, row)
    for _ in range(3):
        same_models(fast(content, decoder), slow(content))


@pytest.mark.parametrize(
    "content",
    [
        page_of(SAMPLE, {"order_id": 5}, total=2),
        page_of({**SAMPLE, "order_id": "7", "undocumented": [1, {"a": None}]}, total=1),
        page_of({"order_id": "8", "customer_id": "12", "billable_amount": "12.50"}),
        page_of({"order_id": "9", "date_due": "soon"}),
        page_of({"order_id": "10", "custom": "BIG"}),
    ],
    ids=["sample", "unknown-key", "strings", "refused", "big-int"],
)
def test_a_skimmed_page_builds_what_a_parsed_one_builds(content: bytes) -> None:
    # Skimmed, the rows stay bytes until built, and are then read as a parsed page's are:
    # fast, or by the converter, whose errors and learned keys are the same.
    parsed, skimmed = (PageDecoder("orders", Order, "order_id") for _ in range(2))
    skim = skimmed.skim(content)
    assert skim is not None
    assert all(type(row) is msgspec.Raw for row in skim.rows)
    assert (skim.status, skim.total) == (
        orjson.loads(content)["response_status"],
        orjson.loads(content).get("total", ABSENT),
    )
    answer = parsed.parse(content)
    if answer is None:
        answer = parsed.read_json(orjson.loads(content), content)
    outcomes = []
    for decoder, read in ((parsed, answer), (skimmed, skim)):
        try:
            outcomes.append(decoder.models(read))
        except omsclient.StructureError as exc:
            outcomes.append(str(exc))
    if isinstance(outcomes[0], str):
        assert outcomes[0] == outcomes[1]
        assert "date_due" in outcomes[0]
    else:
        same_models(outcomes[1], outcomes[0])
        same_models(outcomes[1], slow(content))
    assert parsed._learned == skimmed._learned


@pytest.mark.parametrize(
    "content",
    [
        b"<html>",
        page_of(SAMPLE)[:-9],
        b'{"orders": 1}',
        # An array PHP wrote as an object of its indexes: the tolerant path's, as when parsed.
        orjson.dumps({"response_status": {"code": 10001}, "orders": {"0": SAMPLE}}),
        # No UTF-8 inside a row: msgspec leaves a row's strings unread.
        page_of({"order_id": "1", "job_name": "AAAA"}).replace(b"AAAA", b"\xff\xfe"),
    ],
)
def test_skim_refuses_what_parse_refuses(content: bytes) -> None:
    decoder = PageDecoder("orders", Order, "order_id")
    assert decoder.parse(content) is None
    assert decoder.skim(content) is None


@pytest.mark.parametrize(
    "kind", ["plain", "refused", "unknown-key", "surrogate", "no-utf-8", "deep"]
)
async def test_iterate_with_pages_in_flight_reads_each_page_as_one_at_a_time(kind: str) -> None:
    # With several requests in flight the pages are skimmed when they arrive and read once
    # their turn comes: the same orders, the same errors, as one request at a time.
    outcomes = []
    for concurrency in (1, 3):
        with respx.mock:
            respx.post(FIND).mock(side_effect=sample_pages(250, kind))
            async with omsclient.AsyncClient(
                legacy_url=LEGACY, username="u", password="p", max_retries=0
            ) as oms:
                it = oms.legacy.orders.iterate(READY, concurrency=concurrency)
                got: list[Any] = []
                try:
                    async for order in it:
                        got.append((order.order_id, order.extra, order.job_name))
                except omsclient.OmsError as exc:
                    got.append((type(exc).__name__, str(exc)))
        outcomes.append(got)
    assert outcomes[0] == outcomes[1]
    if kind in ("plain", "unknown-key", "surrogate"):
        assert len(outcomes[1]) == 250
    elif kind != "deep":  # read, or refused as too deep, as the Python version's json reads it
        assert len(outcomes[1]) == 101  # the first page's, and the error
    if kind == "unknown-key":
        assert outcomes[1][103][1] == {"undocumented": {"kept": True}}


@respx.mock
async def test_iterate_with_pages_in_flight_reads_each_page_when_its_turn_comes(
    oms: omsclient.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Mirrors read as each page arrives wait, out of the CPU's caches, for the pages before
    # them: with several in flight a fetch only skims its page, and the iterator reads it.
    decoder = PageDecoder("orders", Order, "order_id")
    seen = reads_of(monkeypatch, decoder, ("skim", "parse", "build"))
    monkeypatch.setattr(oms.legacy.orders._typed, "_decoder", decoder)

    respx.post(FIND).mock(side_effect=sample_pages(300))
    ids = [o.order_id async for o in oms.legacy.orders.iterate(READY, concurrency=3)]
    assert ids == [f"INV{n}" for n in range(300)]
    assert sorted(seen) == sorted(
        [("skim", True)] * 3 + [("parse", False)] * 3 + [("build", False)] * 3
    )
    seen.clear()
    [o async for o in oms.legacy.orders.iterate(READY, concurrency=1)]
    assert ("skim", True) not in seen
    assert seen.count(("parse", True)) == 3
