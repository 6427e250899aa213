"""Nested parts of decoded orders and products, built when one of them is first read."""

from __future__ import annotations

import copy
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import orjson
import pytest

from omsclient._decoding import PageDecoder, _lazy, lazy_parts, structure_many, unstructure
from omsclient._decoding._lazy import Deferred, lazy_fields
from omsclient.errors import StructureError
from omsclient.legacy.models import Order, Product
from tests.forking import child_exit_while_held

P = TypeVar("P")
SAMPLE: dict[str, Any] = orjson.loads(
    (Path(__file__).parent / "data" / "sample_order.json").read_bytes()
)
PRODUCT = {
    "product_id": 2353534534,
    "product_code": "G2000",
    "product_name": "Ultra Cotton Tee",
    "categories": [{"name": "Shirts"}],
    "colors": [{"id": 3, "name": "Navy"}],
    "sizes": [{"id": 4, "name": "XL"}],
    "skus": [{"color_id": 3, "size_id": 4, "price": "12.50", "dn_sku_id": "G2000-NV-XL"}],
}
ORDER_PARTS = {
    "taxes",
    "shipping_method",
    "shipments",
    "billing_details",
    "shipping_details",
    "payment_details",
    "payments",
    "refunds",
    "order_lines",
    "notes",
    "assigned_to",
    "store",
    "created_by",
}


def page_of(*rows: Any, key: str = "orders") -> bytes:
    return orjson.dumps({"response_status": {"code": 10001}, key: list(rows)})


def decoded(content: bytes, key: str = "orders", cls: Any = Order) -> list[Any]:
    page = PageDecoder(key, cls).decode(content)
    assert page is not None, "the page went to the converter"
    return page.items


def waiting(obj: Any) -> set[str]:
    """The lazy parts of ``obj`` not built yet, read from their slots."""
    return {
        name for name, slot in lazy_fields(type(obj)).items() if type(slot.__get__(obj)) is Deferred
    }


def as_json(obj: Any) -> bytes:
    return orjson.dumps(unstructure(obj))


@pytest.fixture
def fresh() -> Order:
    content = page_of(SAMPLE)
    (order,) = decoded(content)
    assert waiting(order) == ORDER_PARTS - {"created_by"}  # the sample has no created_by
    return order


def test_the_nested_parts_of_orders_and_products_are_lazy() -> None:
    assert set(lazy_fields(Order)) == ORDER_PARTS
    assert set(lazy_fields(Product)) == {"categories", "colors", "sizes", "skus"}


def test_reading_a_part_builds_it_alone_and_a_second_the_rest(fresh: Order) -> None:
    # Reading an order's lines built its shipments, contacts, payments and notes too: twice
    # the objects a job reading the lines needs (38 models for the sample order, 18 of them
    # in its lines). A job reading a second part reads more: the rest come with it.
    (expected,) = structure_many([SAMPLE], Order)
    assert fresh.order_id == expected.order_id
    assert fresh.date_ordered == expected.date_ordered
    assert waiting(fresh) == ORDER_PARTS - {"created_by"}, "no part built by the own fields"
    lines = fresh.order_lines
    assert waiting(fresh) == ORDER_PARTS - {"created_by", "order_lines"}
    # The parts still waiting keep the mirror, which lets its copy of the lines go.
    assert lazy_fields(Order)["notes"].__get__(fresh).mirror.order_lines is None
    assert fresh.order_lines is lines
    assert lines == expected.order_lines
    notes = fresh.notes
    assert waiting(fresh) == set()
    assert (fresh.notes, fresh.order_lines) == (notes, lines)
    assert fresh == expected
    assert as_json(fresh) == as_json(expected) == orjson.dumps(SAMPLE)


def test_each_part_is_built_as_the_converter_builds_it() -> None:
    (expected,) = structure_many([SAMPLE], Order)
    for name in ORDER_PARTS:
        (order,) = decoded(page_of(SAMPLE))
        assert getattr(order, name) == getattr(expected, name), name
        assert waiting(order) == ORDER_PARTS - {"created_by", name}
        assert order == expected


def test_absent_parts_are_not_deferred() -> None:
    (order,) = decoded(page_of({"order_id": "INV1", "taxes": None, "store": None}))
    assert waiting(order) == set()
    assert (order.taxes, order.store, order.notes) == ([], None, [])
    assert type(order.notes).__name__ == "AbsentList"


def test_products_build_their_parts_when_read() -> None:
    content = page_of(PRODUCT, key="products")
    (product,) = decoded(content, "products", Product)
    assert waiting(product) == {"categories", "colors", "sizes", "skus"}
    assert product.skus[0].price == 12.5
    assert waiting(product) == {"categories", "colors", "sizes"}
    assert [color.name for color in product.colors] == ["Navy"]
    assert waiting(product) == set()
    assert product == structure_many([PRODUCT], Product)[0]


def test_a_value_a_part_refuses_fails_the_page_not_the_read() -> None:
    line = {**SAMPLE["order_lines"][0], "shipped_date": "soon"}
    content = page_of(SAMPLE, {**SAMPLE, "order_lines": [line]})
    decoder = PageDecoder("orders", Order, "order_id")
    parsed = decoder.parse(content)
    assert parsed is not None
    assert decoder.build(parsed) is None
    with pytest.raises(StructureError) as info:
        decoder.models(decoder.parse(content))  # type: ignore[arg-type]
    # Whose row it is: its place in one page of many says little.
    assert info.value.errors == [
        f"order {SAMPLE['order_id']!r}: expected an ISO-8601 date, got 'soon' "
        "@ $[1].order_lines[0].shipped_date"
    ]


def test_loose_values_in_parts_are_converted_with_the_page() -> None:
    line = {**SAMPLE["order_lines"][0], "id": "3243137811", "qty": " 5 "}
    content = page_of({**SAMPLE, "order_lines": [line], "shipping_details": []})
    decoder = PageDecoder("orders", Order, "order_id")
    (order,) = decoder.decode(content).items  # type: ignore[union-attr]
    deferred = lazy_fields(Order)["order_lines"].__get__(order)
    # Converted in the mirror already: building later only copies.
    assert (deferred.mirror.order_lines[0].id, deferred.mirror.order_lines[0].qty) == (
        3243137811,
        5,
    )
    assert order.shipping_details is None
    assert order == structure_many(orjson.loads(content)["orders"], Order)[0]


def test_a_part_set_before_any_is_read_is_kept(fresh: Order) -> None:
    fresh.order_lines = []
    assert waiting(fresh) == ORDER_PARTS - {"created_by", "order_lines"}
    assert len(fresh.notes) == 1
    assert fresh.order_lines == []
    assert type(fresh.order_lines) is list


def test_a_deleted_part_is_gone(fresh: Order) -> None:
    del fresh.taxes
    with pytest.raises(AttributeError):
        fresh.taxes  # noqa: B018
    assert fresh.store is not None
    # Reading another part built the rest, and not the one deleted.
    with pytest.raises(AttributeError):
        fresh.taxes  # noqa: B018


def test_copies_and_pickles_of_an_unread_order_hold_every_part() -> None:
    (expected,) = structure_many([SAMPLE], Order)
    for make in (
        copy.copy,
        copy.deepcopy,
        lambda o: pickle.loads(pickle.dumps(o)),
        attrs.evolve,
        lambda o: Order(**attrs.asdict(o, recurse=False)),
    ):
        (order,) = decoded(page_of(SAMPLE))
        made = make(order)
        assert waiting(made) == set()
        assert as_json(made) == as_json(expected)


def test_an_unread_order_does_not_keep_its_page_alive() -> None:
    # A server that always sends an undocumented key: learned from the first page, the key is
    # read from the mirror of each row of the next ones.
    row = {**SAMPLE, "sales_channel": {"name": "storefront"}}
    decoder = PageDecoder("orders", Order, "order_id")
    first = page_of(row)
    decoder.build(decoder.read_json(orjson.loads(first), first))
    content = page_of(*[row] * 3)
    before = sys.getrefcount(content)
    page = decoder.decode(content)
    assert page is not None
    orders = page.items
    del page
    assert waiting(orders[0])
    assert orders[0].extra == {"sales_channel": {"name": "storefront"}}
    # The orders' parts still unread: a job keeping one order of each page must not keep
    # every page's body.
    assert sys.getrefcount(content) == before
    assert orders[0] == structure_many([row], Order)[0]


@lazy_parts
@attrs.define(kw_only=True)
class Shelf:
    meta: dict[str, Any] | None = None  # no mirror: read from the raw JSON
    products: list[Product] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict)


def test_a_raw_value_of_an_unread_row_does_not_keep_its_page_alive() -> None:
    content = page_of({"meta": {"aisle": 4}, "products": [PRODUCT]}, key="shelves")
    before = sys.getrefcount(content)
    (shelf,) = decoded(content, "shelves", Shelf)
    assert waiting(shelf) == {"products"}
    assert shelf.meta == {"aisle": 4}
    assert sys.getrefcount(content) == before


def test_threads_reading_a_part_first_get_the_same_object() -> None:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        orders = decoded(page_of(*[SAMPLE] * 100))
        for order in orders:
            barrier = threading.Barrier(4)
            seen: list[Any] = []

            def read(
                order: Order = order, barrier: threading.Barrier = barrier, seen: list[Any] = seen
            ) -> None:
                barrier.wait()
                seen.append(order.order_lines)

            threads = [threading.Thread(target=read) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len({id(lines) for lines in seen}) == 1
            assert seen[0] is order.order_lines
    finally:
        sys.setswitchinterval(interval)


class _PausingMirror:
    """A mirror whose ``field`` blocks its first reader until ``go`` is set: a build stopped
    between finding a part unbuilt and storing it."""

    def __init__(self, mirror: Any, field: str) -> None:
        self._mirror, self._field = mirror, field
        self.reading, self.go = threading.Event(), threading.Event()

    def __getattr__(self, name: str) -> Any:
        if name == self._field and not self.reading.is_set():
            self.reading.set()
            assert self.go.wait(10)
        return getattr(self._mirror, name)


def _pausing_notes(order: Order, pausing: Callable[[Any, str], P]) -> P:
    """``order`` with its notes' mirror wrapped by ``pausing``, which stops their build."""
    slots = lazy_fields(Order)
    deferred = slots["notes"].__get__(order)
    mirror = pausing(deferred.mirror, "notes")
    paused = Deferred(mirror, deferred.each, deferred.rest)
    for slot in slots.values():
        if slot.__get__(order) is deferred:
            slot.__set__(order, paused)
    return mirror


@pytest.mark.parametrize("change", ["set", "delete"])
def test_a_part_set_or_deleted_while_another_thread_builds_it_stays_so(
    fresh: Order, change: str
) -> None:
    pausing = _pausing_notes(fresh, _PausingMirror)
    mine: list[Any] = []
    reader = threading.Thread(target=lambda: fresh.notes)
    reader.start()
    assert pausing.reading.wait(10)  # the reader found notes unbuilt and is building them

    def write() -> None:
        if change == "set":
            fresh.notes = mine
        else:
            del fresh.notes

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(0.5)  # a writer that does not wait for the build is done by now
    pausing.go.set()
    reader.join(10)
    writer.join(10)
    # Changed after the build began, so the change is what stays.
    if change == "set":
        assert fresh.notes is mine
    else:
        with pytest.raises(AttributeError):
            fresh.notes  # noqa: B018


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
def test_a_forked_child_reads_parts_while_a_parent_thread_was_building_some(
    fresh: Order,
) -> None:
    # A worker process forked (multiprocessing's default on Linux) while another thread of
    # the parent builds some order's parts: that thread does not exist in the child.
    assert child_exit_while_held(_lazy._BUILDING, lambda: len(fresh.notes) == 1) == 0


class _PausingRelease:
    """A mirror whose ``field``, when a build lets go of it (sets it to None), blocks that
    build until ``go`` is set."""

    def __init__(self, mirror: Any, field: str) -> None:
        object.__setattr__(self, "_mirror", mirror)
        object.__setattr__(self, "_field", field)
        object.__setattr__(self, "releasing", threading.Event())
        object.__setattr__(self, "go", threading.Event())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mirror, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._mirror, name, value)
        if name == self._field and value is None and not self.releasing.is_set():
            self.releasing.set()
            assert self.go.wait(10)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
@pytest.mark.parametrize("pause", ["reading", "letting go"])
def test_a_child_forked_at_any_point_of_a_parent_threads_build_reads_the_part_whole(
    fresh: Order, pause: str
) -> None:
    # The build took the part out of the mirror before storing it: a child forked in between
    # found the part unbuilt and built it from the emptied mirror, its notes [] (9 children
    # of 40 forked beside a thread building parts read an order wrong).
    pausing = _pausing_notes(fresh, _PausingMirror if pause == "reading" else _PausingRelease)
    builder = threading.Thread(target=lambda: fresh.notes)
    builder.start()
    try:
        reached = pausing.reading if isinstance(pausing, _PausingMirror) else pausing.releasing
        assert reached.wait(10)
        # The lock the builder holds is replaced in the child, whose read builds on its own.
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os._exit(0 if len(fresh.notes) == 1 and fresh == decoded(page_of(SAMPLE))[0] else 1)
        deadline = time.monotonic() + 10
        while not (ended := os.waitpid(pid, os.WNOHANG))[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        if not ended[0]:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        assert ended[0], "the child waited for the parent's build"
        assert os.waitstatus_to_exitcode(ended[1]) == 0
    finally:
        pausing.go.set()
        builder.join(10)
    assert len(fresh.notes) == 1


def test_only_slotted_attrs_classes_can_have_lazy_parts() -> None:
    @attrs.define(slots=False)
    class Loose:
        parts: list[Product] = attrs.field(factory=list)

    with pytest.raises(TypeError, match="Loose is not a slotted class"):
        lazy_parts(Loose)


def test_a_class_with_an_attribute_in_a_slots_place_cannot_have_lazy_parts() -> None:
    @attrs.define
    class Taken:
        parts: list[Product] = attrs.field(factory=list)
        _slot_parts: int = 0

    with pytest.raises(TypeError, match="Taken already has an attribute '_slot_parts'"):
        lazy_parts(Taken)


def test_each_parts_slot_is_on_its_class_under_its_private_name(fresh: Order) -> None:
    # The generated code and the descriptor read and write each part there.
    for name, slot in lazy_fields(Order).items():
        assert getattr(Order, f"_slot_{name}") is slot
        assert getattr(fresh, f"_slot_{name}") is slot.__get__(fresh)
    fresh.notes = []
    assert fresh._slot_notes == []  # type: ignore[attr-defined]
