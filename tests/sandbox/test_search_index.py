"""Searches answered from sorted views match a plain filter and sort, whatever the query."""

from __future__ import annotations

import random
from typing import Any

import attrs
import pytest

from omsclient.sandbox import Churn, SandboxConfig, SandboxState
from omsclient.sandbox._index import Run, SortedView
from omsclient.sandbox._query import (
    ORDER_FIELDS,
    PRODUCT_FIELDS,
    PRODUCT_SORT_FIELDS,
    Condition,
    Field,
    sort_key,
)
from omsclient.sandbox._updates import parse_changes


def reference(records: list[Any], conditions: list[Condition], sort: Field) -> list[Any]:
    tests = [c.predicate() for c in conditions]
    return sorted((r for r in records if all(t(r) for t in tests)), key=sort_key(sort))


def some_value(rng: random.Random, records: list[Any], field: Field) -> int | str:
    value = getattr(rng.choice(records), field.attr)
    if field.kind == "string":
        if value is None:  # a product sent without product_code has no code
            return ""
        text: str = value.casefold()
        return text[: rng.randrange(1, len(text) + 1)]
    if value is None:
        value = getattr(records[0], "date_ordered", 0)
    return int(value) + rng.choice((0, 0, 0, 1, -1, 3600, -86_400, 20 * 86_400))


def random_conditions(
    rng: random.Random, records: list[Any], fields: dict[int, Field]
) -> list[Condition]:
    conditions = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        field = rng.choice(list(fields.values()))
        op = rng.randrange(1, 8 if field.kind == "date" else 7)
        value = some_value(rng, records, field)
        second = None
        if op == 7:
            assert isinstance(value, int)
            second = value + rng.choice((0, 1, 3600, 30 * 86_400, -1))
        conditions.append(Condition(field, op, value, second))
    return conditions


def write_some(state: SandboxState, rng: random.Random, count: int) -> None:
    """Move ``count`` open orders one status on, in one request: dates tie, nulls fill in."""
    open_orders = [r for r in state.orders if r.status < 3]
    params = {}
    for n, record in enumerate(rng.sample(open_orders, count), 1):
        params[f"changes[{n}][order_id]"] = record.order_id
        params[f"changes[{n}][new_status]"] = str(record.status + 1)
    state._apply_changes(parse_changes(params, state.operators))


@pytest.mark.parametrize("numbering", ["api", "blueprint"])
def test_order_searches_match_a_plain_filter(numbering: Any) -> None:
    config = SandboxConfig(
        orders=400, products=30, seed=5, days=20, order_field_numbering=numbering
    )
    state = SandboxState(config)
    fields = ORDER_FIELDS[numbering]
    rng = random.Random(3)
    churning = attrs.evolve(config, churn=Churn(new_orders=3, changed_orders=3))
    for step in range(30):
        # Half the searches bound on the values of the orders just written, which moved.
        recent = sorted(state.orders, key=lambda r: r.date_modified)[-8:]
        for n in range(30):
            conditions = random_conditions(rng, recent if n % 2 else state.orders, fields)
            sort = rng.choice(list(fields.values()))
            expected = reference(state.orders, conditions, sort)
            assert list(state._find_orders(conditions, sort)) == expected, (conditions, sort)
        if step % 2:
            # Searches follow small writes; a large one sorts again.
            write_some(state, rng, 40 if step % 7 == 0 else rng.randrange(1, 4))
        else:
            state.config = churning
            state._apply_churn()


def test_a_view_follows_records_moving_anywhere() -> None:
    state = SandboxState(SandboxConfig(orders=200, products=5))
    date_shipped = ORDER_FIELDS["api"][6]
    view = SortedView(state.orders, date_shipped)
    current = list(state.orders)
    rng = random.Random(8)
    shipped = sorted(r.date_shipped for r in current if r.date_shipped is not None)
    for _ in range(60):
        index = rng.randrange(len(current))
        old, new = current[index], current[index]._clone()
        new.date_shipped = rng.choice((None, rng.choice(shipped), rng.choice(shipped) + 1))
        assert view.follow(old, new)
        current[index] = new
        assert view.records == sorted(current, key=sort_key(date_shipped))
        assert view.nulls == sum(r.date_shipped is None for r in current)
        assert view.values == [r.date_shipped for r in view.records[view.nulls :]]
    arriving = current[0]._clone()
    arriving.index = len(current)
    assert view.follow(None, arriving)
    assert view.records == sorted([*current, arriving], key=sort_key(date_shipped))


def test_a_view_notices_a_record_changed_in_place() -> None:
    state = SandboxState(SandboxConfig(orders=50, products=5))
    view = SortedView(state.orders, ORDER_FIELDS["api"][8])
    record = view.records[10]
    record.date_modified = 1
    assert not view.follow(record, record._clone())


def test_keyset_conditions_on_the_sort_field() -> None:
    state = SandboxState(SandboxConfig(orders=2_000, products=10))
    date_ordered = ORDER_FIELDS["api"][1]
    times = sorted(r.date_ordered for r in state.orders)
    for low, high in [(times[0], None), (times[700], times[1400]), (times[-1] + 1, None)]:
        conditions = [Condition(date_ordered, 6, low)]
        if high is not None:
            conditions.append(Condition(date_ordered, 3, high))
        found = state._find_orders(conditions, date_ordered)
        assert list(found) == reference(state.orders, conditions, date_ordered)
        assert found[5:10] == list(found)[5:10]


def test_product_searches_match_a_plain_filter() -> None:
    state = SandboxState(SandboxConfig(orders=0, products=300, seed=9))
    rng = random.Random(4)
    for _ in range(300):
        conditions = random_conditions(rng, state.products, PRODUCT_FIELDS)
        sort = rng.choice(list(PRODUCT_SORT_FIELDS.values()))
        expected = reference(state.products, conditions, sort)
        assert list(state._find_products(conditions, sort)) == expected, (conditions, sort)


def test_a_run_is_a_slice_without_the_copy() -> None:
    records = list(range(20))
    run = Run(records, 5, 15)
    assert len(run) == 10
    assert list(run) == records[5:15]
    assert run[0] == 5
    assert run[-1] == 14
    assert run[2:4] == [7, 8]
    assert run[8:100] == [13, 14]
    assert run[50:] == []
    assert run[::3] == [5, 8, 11, 14]
    with pytest.raises(IndexError):
        run[10]
    with pytest.raises(IndexError):
        run[-11]
