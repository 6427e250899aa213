"""Searching records without looking at every one of them.

The records are kept sorted by each field a request uses (nulls first, ties by index: the
order ``sort_key`` defines). A range condition on such a field (a date, a number, an invoice
number; any operator but ``!=``) matches one contiguous run of that list, found by bisecting
the field's values. The narrowest run is the candidate set; the other conditions filter it.
When the request sorts by the same field (a keyset scan by Date Ordered does), the run is
already in order; otherwise candidates are ordered by their rank in the sort. Searches too
broad for that filter the sorted records, as a plain scan would.

A write changes a few records: the views follow it (each changed record moves to its new
place) rather than being sorted again, so searches stay cheap while the data churns.
"""

from __future__ import annotations

import collections
import operator
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any, overload

from ._query import BETWEEN, EQ, GE, GT, LE, LT, Condition, Field, Predicate, sort_key

_FOUND_CACHE = 8
# Sorting candidates by rank costs a Python call each; past this share of all records,
# filtering the records already in sort order is cheaper.
_SORT_SHARE = 4
# Moving a record costs a memmove of the view; past this many, sorting again is as cheap.
_FOLLOW_MAX = 32


def _field_key(field: Field) -> tuple[str, str]:
    # The two field numberings give one attribute two numbers; they sort the same.
    return field.attr, field.kind


class SortedView:
    """Records in ``sort_key(field)`` order, with the field's non-null values for bisecting."""

    def __init__(self, records: Sequence[Any], field: Field) -> None:
        self.values: list[Any] | None = None
        self.nulls = 0
        self._rank: dict[int, int] | None = None
        self._key = sort_key(field)
        self._get = get = operator.attrgetter(field.attr)
        self.records: list[Any]
        if field.kind == "string":
            self.records = sorted(records, key=self._key)
            return
        by_index = operator.attrgetter("index")
        values = list(map(get, records))
        nulls = [r for r, v in zip(records, values, strict=True) if v is None]
        present = [r for r, v in zip(records, values, strict=True) if v is not None]
        nulls.sort(key=by_index)
        # Two stable sorts with C-level keys order by (value, index), as sort_key does.
        present.sort(key=by_index)
        present.sort(key=get)
        self.records = nulls + present
        self.nulls = len(nulls)
        self.values = list(map(get, present))

    def span(self, condition: Condition) -> tuple[int, int] | None:
        """The run ``records[lo:hi]`` matching ``condition``; None when it is not one run."""
        values = self.values
        op, value = condition.op, condition.value
        if values is None or not isinstance(value, int):
            return None
        if op == BETWEEN:
            lo, hi = bisect_left(values, value), bisect_right(values, condition.value2)
        elif op == EQ:
            lo, hi = bisect_left(values, value), bisect_right(values, value)
        elif op == LT:
            lo, hi = 0, bisect_left(values, value)
        elif op == LE:
            lo, hi = 0, bisect_right(values, value)
        elif op == GT:
            lo, hi = bisect_right(values, value), len(values)
        elif op == GE:
            lo, hi = bisect_left(values, value), len(values)
        else:
            return None
        return self.nulls + lo, self.nulls + max(lo, hi)

    def follow(self, old: Any | None, new: Any) -> bool:
        """Put ``new`` in its place instead of ``old`` (None for a new record).

        False, changing nothing, when ``old`` is not where its values say it is (a record
        changed in place); the view must then be built again.
        """
        records, key = self.records, self._key
        new_key = key(new)
        if old is not None:
            old_key = key(old)
            at = bisect_left(records, old_key, key=key)
            if at == len(records) or records[at] is not old:
                return False
            if old_key == new_key:
                records[at] = new
                return True
            del records[at]
            if at < self.nulls:
                self.nulls -= 1
            elif self.values is not None:
                del self.values[at - self.nulls]
        at = bisect_left(records, new_key, key=key)
        records.insert(at, new)
        if self.values is not None:
            value = self._get(new)
            if value is None:
                self.nulls += 1
            else:
                self.values.insert(at - self.nulls, value)
        self._rank = None
        return True

    def rank(self) -> dict[int, int]:
        """Each record's position in this order, by record index."""
        if self._rank is None:
            self._rank = {r.index: position for position, r in enumerate(self.records)}
        return self._rank


class Run(Sequence[Any]):
    """``records[lo:hi]`` without copying it: a search may match most of 100,000 orders."""

    def __init__(self, records: list[Any], lo: int, hi: int) -> None:
        self._records, self._lo, self._hi = records, lo, hi

    def __len__(self) -> int:
        return self._hi - self._lo

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            return self._records[self._lo + start : self._lo + stop : step]
        if not -len(self) <= index < len(self):
            raise IndexError("run index out of range")
        return self._records[self._lo + index % len(self)]


def _matching(records: Sequence[Any], predicates: Sequence[Predicate]) -> list[Any]:
    if len(predicates) == 1:
        test = predicates[0]
        return [r for r in records if test(r)]
    return [r for r in records if all(p(r) for p in predicates)]


class Finder:
    """Searches over one kind of record; views and answers are kept until the version changes."""

    def __init__(self) -> None:
        self._version = -1
        self._views: dict[tuple[str, str], SortedView] = {}
        self._found: collections.OrderedDict[Any, Sequence[Any]] = collections.OrderedDict()

    def view(self, records: Sequence[Any], version: int, field: Field) -> SortedView:
        """``records`` sorted by ``field`` (built once per version)."""
        if version != self._version:
            self._views.clear()
            self._found.clear()
            self._version = version
        key = _field_key(field)
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = SortedView(records, field)
        return view

    def follow(self, before: int, after: int, changes: Sequence[tuple[Any | None, Any]]) -> None:
        """Carry the views of version ``before`` over to ``after``.

        ``changes`` are the (old record or None, new record) pairs that write made, in order.
        Views of another version are left to be built again at the next search.
        """
        if self._version != before:
            return
        self._version = after
        if not changes:
            return
        self._found.clear()
        if len(changes) > _FOLLOW_MAX:
            self._views.clear()
            return
        for view in self._views.values():
            for old, new in changes:
                if not view.follow(old, new):
                    self._views.clear()
                    return

    def find(
        self, records: Sequence[Any], version: int, conditions: Sequence[Condition], sort: Field
    ) -> Sequence[Any]:
        """Every record matching all ``conditions``, in ``sort`` order.

        Do not change it; it is valid until the next write.
        """
        ordered = self.view(records, version, sort)
        cache_key = (tuple(conditions), sort)
        found = self._found.get(cache_key)
        if found is None:
            found = self._search(records, version, conditions, ordered)
            self._found[cache_key] = found
            while len(self._found) > _FOUND_CACHE:
                self._found.popitem(last=False)
        return found

    def _search(
        self,
        records: Sequence[Any],
        version: int,
        conditions: Sequence[Condition],
        ordered: SortedView,
    ) -> Sequence[Any]:
        runs: dict[tuple[str, str], tuple[SortedView, int, int]] = {}
        keys: list[tuple[str, str] | None] = []
        for condition in conditions:
            span = None
            if condition.field.kind != "string":
                view = self.view(records, version, condition.field)
                span = view.span(condition)
            if span is None:
                keys.append(None)
                continue
            key = _field_key(condition.field)
            lo, hi = span
            if key in runs:
                _, before_lo, before_hi = runs[key]
                lo, hi = max(lo, before_lo), min(hi, before_hi)
            runs[key] = view, lo, max(lo, hi)
            keys.append(key)
        total = len(records)
        # A run holding every record is no condition at all (``Invoice Number > 0``).
        narrow = {key: run for key, run in runs.items() if run[2] - run[1] < total}
        if not narrow:
            others = [c.predicate() for c, k in zip(conditions, keys, strict=True) if k is None]
            if not others:
                return Run(ordered.records, 0, total)
            return _matching(ordered.records, others)
        best = min(narrow, key=lambda key: narrow[key][2] - narrow[key][1])
        view, lo, hi = narrow[best]
        if view is not ordered and (hi - lo) * _SORT_SHARE > total:
            return _matching(
                ordered.records,
                [
                    c.predicate()
                    for c, key in zip(conditions, keys, strict=True)
                    if key is None or key in narrow
                ],
            )
        rest = [
            c.predicate()
            for c, key in zip(conditions, keys, strict=True)
            if key is None or (key != best and key in narrow)
        ]
        if view is ordered and not rest:
            return Run(view.records, lo, hi)
        found = view.records[lo:hi]
        if rest:
            found = _matching(found, rest)
        if view is not ordered:
            rank = ordered.rank()
            found.sort(key=lambda record: rank[record.index])
        return found
