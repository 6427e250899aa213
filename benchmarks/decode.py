"""Decode: the bytes of a 100-order page to typed objects, per contender, the same bytes for all.

Every contender reads the whole answer (envelope and 100 orders) and returns its orders; the
omsclient page decoder leaves an order's nested parts to be built when one is first read, so it
runs twice: reading one part of each order (which builds them all: the whole work, what the goals
compare), and reading none (what a job reading only the orders' own fields pays). Rounds
are interleaved (every contender once per round, in rotating order, every other round
backwards) and each figure is the median over rounds; ratios are medians of ratios measured
in the same round. The garbage collector is on (the default; what a process pays) and, in a
second pass, off (pure CPU).

Each contender decodes the same page again and again, so the CPU's caches hold what it touched
the page before. A client never decodes a page twice: its page comes after the work of
receiving it, which copies its bytes about a dozen times. A third pass (the collector on) times
the typed decoders and orjson with 8 MiB copied before each page, untimed ("after other work").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import msgspec
import orjson

from benchmarks import _measure
from benchmarks._data import PAGE_SIZE, page_bytes
from benchmarks._models import msgspec_page, naive_models, pydantic_page, read_every_part
from omsclient._compile import compile_function
from omsclient._decoding import PageDecoder, structure_many
from omsclient.legacy.models import Order

OURS = "omsclient (msgspec mirrors -> attrs), every part read"
OURS_UNREAD = "omsclient (msgspec mirrors -> attrs), no part read"
OURS_LINES = "omsclient (msgspec mirrors -> attrs), each order's lines read (that part alone)"
OURS_EAGER = "omsclient, every part built with the page (lazy parts off)"
CONVERTER = "omsclient converter path (orjson + cattrs)"
NAIVE = "naive (json + default cattrs)"
PYDANTIC = "pydantic v2 model_validate_json"
MSGSPEC = "msgspec typed decode (Struct)"
MSGSPEC_NOGC = "msgspec typed decode (Struct, gc=False)"
ORJSON = "orjson.loads (dicts, no models)"
AFTER_OTHER_WORK = (OURS, PYDANTIC, MSGSPEC, ORJSON)
"""The contenders also timed with each page decoded after other work."""


@attrs.frozen
class DecodeResult:
    """Medians in microseconds per order, per contender, with the GC on and off, and for
    :data:`AFTER_OTHER_WORK` with the GC on, each page decoded after other work."""

    variant: str
    gc_on: dict[str, list[float]]
    gc_off: dict[str, list[float]]
    after_other_work: dict[str, list[float]]

    def report(self) -> str:
        """A Markdown table and the goals."""
        on, off, after = self.gc_on, self.gc_off, self.after_other_work
        rows = []
        for name in on:
            rows.append(
                [
                    name,
                    f"{_measure.median(on[name]):.1f}",
                    f"{_measure.median(off[name]):.1f}",
                    f"{_measure.median(after[name]):.1f}" if name in after else "",
                    f"{_measure.ratio(on, name, OURS):.2f}",
                ]
            )
        headers = [
            "contender",
            "µs/order, GC on",
            "µs/order, GC off",
            "µs/order, after other work",
            "x omsclient (GC on)",
        ]
        goals = "\n".join(goal.line() for goal in self.goals())
        title = f"Decode, page variant {self.variant!r} ({PAGE_SIZE} orders a page)"
        return f"{title}\n\n{_measure.table(headers, rows)}\n\n{goals}"

    def goals(self) -> list[_measure.Goal]:
        """The decode's goals, as ratios measured within each round (GC on, unless said)."""
        on, off = self.gc_on, self.gc_off
        where = f"({self.variant!r})"
        return [
            _measure.Goal(
                f"decode: omsclient / pydantic {where}", _measure.ratios(on, OURS, PYDANTIC), 1
            ),
            _measure.Goal(
                f"decode: omsclient / msgspec {where}", _measure.ratios(on, OURS, MSGSPEC), 2.5
            ),
            _measure.Goal(
                f"decode: omsclient / msgspec, GC off {where}",
                _measure.ratios(off, OURS, MSGSPEC),
            ),
            _measure.Goal(
                f"decode: omsclient / msgspec, each page after other work {where}",
                _measure.ratios(self.after_other_work, OURS, MSGSPEC),
            ),
            _measure.Goal(
                f"decode: converter path / page decoder {where}",
                _measure.ratios(on, CONVERTER, OURS),
            ),
            _measure.Goal(
                f"decode: no part read / every part read {where}",
                _measure.ratios(on, OURS_UNREAD, OURS),
            ),
            _measure.Goal(
                f"decode: each order's lines read / every part read {where}",
                _measure.ratios(on, OURS_LINES, OURS),
            ),
            _measure.Goal(
                f"decode: every part read / built with the page (lazy parts' cost) {where}",
                _measure.ratios(on, OURS, OURS_EAGER),
            ),
        ]


def contenders(variant: str) -> tuple[bytes, list[tuple[str, Callable[[bytes], list[Any]]]]]:
    """The page and each contender's decode function, checked to read the same orders."""
    content = page_bytes(variant)
    decoder = PageDecoder("orders", Order, "order_id")
    conv, naive_order = naive_models()
    naive_list = list[naive_order]  # type: ignore[valid-type]
    ppage = pydantic_page()
    mdecoder: Any = msgspec.json.Decoder(msgspec_page(), strict=False)
    mdecoder_nogc: Any = msgspec.json.Decoder(msgspec_page(gc=False), strict=False)

    def unread(b: bytes) -> list[Any]:
        page = decoder.decode(b)
        if page is None:
            # The first page with unknown keys: read by the converter, which teaches the decoder.
            items = structure_many(orjson.loads(b)["orders"], Order)
            decoder.learn(items)
            return items
        return page.items

    def ours(b: bytes) -> list[Any]:
        items = unread(b)
        for order in items:
            read_every_part(order)
        return items

    def lines(b: bytes) -> list[Any]:
        items = unread(b)
        for order in items:
            order.order_lines  # noqa: B018 (builds that part alone)
        return items

    unread(content)  # learns the page's unknown keys and shapes
    if decoder.decode(content) is None:
        raise AssertionError("the fast path does not read this page")
    build = eager_builder(decoder)

    def eager(b: bytes) -> list[Any]:
        return [build(row) for row in decoder.parse(b).rows]  # type: ignore[union-attr]

    runs: list[tuple[str, Callable[[bytes], list[Any]]]] = [
        (OURS, ours),
        (OURS_UNREAD, unread),
        (OURS_LINES, lines),
        (OURS_EAGER, eager),
        (CONVERTER, lambda b: structure_many(orjson.loads(b)["orders"], Order)),
        (NAIVE, lambda b: conv.structure(json.loads(b)["orders"], naive_list)),
        (PYDANTIC, lambda b: ppage.model_validate_json(b).orders),  # type: ignore[attr-defined]
        (MSGSPEC, lambda b: mdecoder.decode(b).orders),
        (MSGSPEC_NOGC, lambda b: mdecoder_nogc.decode(b).orders),
        (ORJSON, lambda b: orjson.loads(b)["orders"]),
    ]
    for name, run in runs:
        rows = run(content)
        first = rows[0]
        order_id = first["order_id"] if isinstance(first, dict) else first.order_id
        if len(rows) != PAGE_SIZE or order_id not in ("INV0", "Order-27524"):
            raise AssertionError(f"{name} read the page wrongly")
    if eager(content) != ours(content):
        raise AssertionError("the eager build makes other models")
    return content, runs


def eager_builder(decoder: PageDecoder[Any]) -> Callable[[Any], Any]:
    """The function the page decoder would build an order with if its parts were not lazy: the
    same generated code, with every part built in the same pass (the decoder's current tier)."""
    tier = decoder._built.adaptive if decoder._built else None
    if tier is None or decoder._prefer_loose:
        raise AssertionError("the decoder has not read this page's tier")
    lines = ["def eager_order(s0):"]
    tier.generator._body(Order, 0, "  ", lines)
    lines.append("  return i0")
    return compile_function("eager_order", Order, lines, tier.generator.globs)


def run(variant: str = "sample", rounds: int = 7, pages: int = 20) -> DecodeResult:
    """Measure every contender on ``pages`` pages per round."""
    content, runs = contenders(variant)

    def per_order(
        fn: Callable[[bytes], list[Any]], before: Callable[[], object] | None = None
    ) -> Callable[[], float]:
        return lambda: _measure.timed(lambda: fn(content), pages, before) / PAGE_SIZE * 1e6

    timed = [(name, per_order(fn)) for name, fn in runs]
    _measure.interleaved(timed, 1)  # warm up: allocator arenas, lazy builds
    _measure.settle()
    with _measure.gc_state(True):
        gc_on = _measure.interleaved(timed, rounds)
    with _measure.gc_state(False):
        gc_off = _measure.interleaved(timed, max(3, rounds // 2))
    after = [
        (name, per_order(fn, _measure.other_work)) for name, fn in runs if name in AFTER_OTHER_WORK
    ]
    with _measure.gc_state(True):
        after_other_work = _measure.interleaved(after, max(3, rounds // 2))
    return DecodeResult(variant, gc_on, gc_off, after_other_work)
