"""What order and product searches share: the form of one page and how to read its answer."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar

import attrs
import msgspec

from omsclient._calls import read_after, unfit_answer
from omsclient._decoding import ABSENT, PageDecoder, ParsedAnswer, php_list
from omsclient._pagination import MAX_PAGE_SIZE, Page, PageIterator
from omsclient._request import RequestSpec
from omsclient._responses import json_kind
from omsclient._runaway import MAX_ROWS
from omsclient._validate import int_in_range
from omsclient.errors import DecodeError
from omsclient.legacy._envelope import LegacyApi, more_rows_than_asked
from omsclient.legacy._sent import SentOrder, Skimmed, sent_at

__all__ = [
    "ParsedPage",
    "SkimmedPage",
    "TypedSearch",
    "check_paging",
    "malformed",
    "read_page",
    "search_spec",
    "settle",
    "skimmed_page",
]

T = TypeVar("T")

_ROWS = (dict, SentOrder)
"""What a row of a page read here is: a JSON object, or an order as it was sent."""


def check_paging(limit: object, offset: object) -> tuple[int, int]:
    """``limit`` and ``offset`` as plain ints; a limit outside 0..100 or an offset outside
    0..MAX_ROWS is refused before anything is sent."""
    limit = int_in_range(limit, "limit", 0, MAX_PAGE_SIZE)
    return limit, int_in_range(offset, "offset", 0, MAX_ROWS)


def search_spec(
    path: str, operation: str, base_form: Sequence[tuple[str, str]], offset: int, limit: int
) -> RequestSpec:
    """The request for one page of a search."""
    limit, offset = check_paging(limit, offset)
    form = (*base_form, ("limit", str(limit)), ("offset", str(offset)))
    return RequestSpec(api="legacy", method="POST", path=path, operation=operation, form=form)


def malformed(spec: RequestSpec, problem: str) -> DecodeError:
    """A :class:`DecodeError` for a successful JSON answer whose shape is not the one the call
    expects (a search answer's, a ``get`` answer holding the product asked for): the same
    answer would come again, so it is not transient. Raised inside :func:`read_after`, it
    carries the answer and the attempts."""
    return unfit_answer(
        f"{spec.operation}: {problem}",
        operation=spec.operation,
        method=spec.method,
        path=spec.path,
    )


_SIGNED_DIGITS = re.compile(r"-?[0-9]+")


def _total(value: Any, spec: RequestSpec) -> int:
    """The count of rows an answer's ``total`` gives: a whole number or its digits.

    PHP's ``false`` (a count query that failed) or ``true`` is no count, though Python would
    read them as 0 and 1 and end the search after its first page; nor is a fraction, which
    would be cut to a count of rows no one counted, or a negative number. A scan's answer read
    exactly holds ``1.5`` or ``1e400`` as a ``Decimal``: read as the search reads it, a double.
    """
    if isinstance(value, Decimal):
        value = float(value)
    count: int | None = None
    # Digits are ASCII digits (a minus before them is named for what it is): int() takes
    # other scripts' too, and " 3 ", "+3" and "0_3", which no server writes.
    digits = not isinstance(value, str) or _SIGNED_DIGITS.fullmatch(value) is not None
    whole = not (isinstance(value, float) and not value.is_integer())
    if digits and whole and not isinstance(value, bool):
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            count = int(value)
    if count is None or count < 0:
        # The value is not quoted: it may be anything the server echoed, a secret included.
        # 1e400 is read as infinity, a float: "a float, not a number" said it.
        kind = "a negative number" if count is not None else f"a JSON {json_kind(value)}"
        raise malformed(spec, f"the answer's total is no count of rows ({kind})")
    return count


def _rows(rows: Any, key: str, spec: RequestSpec, limit: int, *, answered: bool) -> list[Any]:
    """The rows of a search answer, checked: a list of at most ``limit``; none when absent
    from an answer that ``answered`` (has a ``response_status`` or a total)."""
    if rows is None and not answered:
        # {} or {"message": "..."}: nothing says it searched, and read as no rows it would end
        # an export complete and empty.
        raise malformed(
            spec, f"an answer with no {key!r}, no total and no response_status: no search answer"
        )
    # An array PHP wrote as an object of its indexes (rows filtered out on the server) is
    # read as the models read one. Any other value is no rows: PHP's false (a query that
    # failed), read as none, would end a scan done with the rest unread.
    rows = [] if rows is None else php_list(rows)
    if not isinstance(rows, list):
        raise malformed(spec, f"{key!r} is a JSON {json_kind(rows)}, not an array")
    if len(rows) > limit:
        raise malformed(
            spec,
            f"the answer has {more_rows_than_asked(len(rows), limit)}",
        )
    return rows


def read_page(
    data: dict[str, Any], key: str, spec: RequestSpec, offset: int, limit: int
) -> Page[Any]:
    """The rows under ``key`` and the total of a search answer, as a page of JSON objects."""
    answered = data.get("response_status") is not None or "total" in data
    rows = _rows(data.get(key), key, spec, limit, answered=answered)
    if not all(type(row) in _ROWS for row in rows):
        index, row = next((i, r) for i, r in enumerate(rows) if type(r) not in _ROWS)
        raise malformed(
            spec,
            f"row {index} of {key!r} (offset {offset + index}) is a JSON {json_kind(row)}, "
            "not a JSON object",
        )
    if "total" in data:
        return Page(items=rows, total=_total(data["total"], spec), offset=offset, limit=limit)
    # No total: only the rows so far are known (see Page.total_known).
    return Page(items=rows, total=offset + len(rows), offset=offset, limit=limit, total_known=False)


def _rows_and_total(
    rows: Any,
    status: Any,
    total: Any,
    absent: object,
    spec: RequestSpec,
    offset: int,
    limit: int,
    key: str,
) -> tuple[list[Any], int, bool]:
    """The checked rows of a search answer read by a fast path, whose ``total`` is ``absent``
    when it sent none, with the page's total and whether the answer said it: the int it says
    or, when it says none, what :class:`~omsclient.Page` describes."""
    rows = _rows(rows, key, spec, limit, answered=status is not None or total is not absent)
    if total is absent:
        return rows, offset + len(rows), False
    return rows, _total(total, spec), True


def settle(answer: ParsedAnswer[T], key: str, spec: RequestSpec, offset: int, limit: int) -> None:
    """Check the rows of ``answer`` as :func:`read_page` does, and settle its ``total`` to the
    page's (see :func:`_rows_and_total`)."""
    answer.rows, answer.total, answer.total_known = _rows_and_total(
        answer.rows, answer.status, answer.total, ABSENT, spec, offset, limit, key
    )


@attrs.frozen
class ParsedPage(Page[Any]):
    """A page of a :class:`TypedSearch` whose rows are read but not built: mirrors, or the
    JSON objects the tolerant path read. :meth:`TypedSearch.models_at` builds those kept."""

    answer: ParsedAnswer[Any] = attrs.field(kw_only=True, repr=False)
    form: Sequence[tuple[str, str]] = attrs.field(kw_only=True, repr=False)


@attrs.frozen
class SkimmedPage(Page[Any]):
    """A page of orders as sent whose rows hold the fields read of each order, its bytes not
    split out yet: :meth:`sent_at` splits those kept."""

    skimmed: Skimmed = attrs.field(kw_only=True, repr=False)

    def sent_at(self, positions: Sequence[int]) -> list[SentOrder]:
        """The :class:`~omsclient.legacy._sent.SentOrder` s at ``positions``."""
        return sent_at(
            self.skimmed.content,
            self.items,
            positions,
            keys_left_out=self.skimmed.keys_left_out,
        )


def skimmed_page(skimmed: Skimmed, spec: RequestSpec, offset: int, limit: int) -> SkimmedPage:
    """The page of an answer :func:`~omsclient.legacy._sent.skim_sent` read, checked as
    :func:`read_page` checks one."""
    answer = skimmed.answer
    rows, total, known = _rows_and_total(
        answer.orders,
        answer.response_status,
        answer.total,
        msgspec.UNSET,
        spec,
        offset,
        limit,
        "orders",
    )
    return SkimmedPage(
        items=rows,
        total=total,
        offset=offset,
        limit=limit,
        total_known=known,
        skimmed=skimmed,
    )


class TypedSearch(Generic[T]):
    """One search endpoint whose rows become models through a :class:`PageDecoder`."""

    def __init__(
        self,
        api: LegacyApi,
        path: str,
        operation: str,
        decoder: PageDecoder[T],
        identity: Callable[[T], Hashable],
    ):
        self._api = api
        self._path = path
        self._operation = operation
        self._decoder = decoder
        self._identity = identity

    def _spec(self, form: Sequence[tuple[str, str]], offset: int, limit: int) -> RequestSpec:
        return search_spec(self._path, self._operation, form, offset, limit)

    async def page(self, form: Sequence[tuple[str, str]], offset: int, limit: int) -> Page[T]:
        """One page of models."""
        answer = await self._answer(form, offset, limit)
        return await self._page(form, answer, offset, limit)

    def iterate(
        self,
        form: Sequence[tuple[str, str]],
        *,
        concurrency: int,
        max_items: int | None,
        start_offset: int,
        operation: str,
        conditions: Sequence[object],
    ) -> PageIterator[T]:
        """Every page of the search. Fetches only parse their answers; the iterator builds the
        models once the next requests are sent. With several in flight, pages wait for the
        iterator, and are read into mirrors only once their turn comes (see
        :meth:`PageDecoder.skim`). ``operation`` and ``conditions`` name it in its repr."""
        # (A concurrency of the wrong kind is the iterator's to refuse.)
        skim = () if isinstance(concurrency, int) and concurrency > 1 else None
        return PageIterator(
            lambda offset, limit: self._answer(form, offset, limit, skim=skim),
            convert=lambda answer, offset, limit: self._page(form, answer, offset, limit),
            concurrency=concurrency,
            max_items=max_items,
            start_offset=start_offset,
            identity=self._identity,
            operation=operation,
            conditions=conditions,
        )

    async def parsed(
        self,
        form: Sequence[tuple[str, str]],
        offset: int,
        limit: int,
        *,
        skim: tuple[str, ...] | None = None,
    ) -> ParsedPage:
        """One page, its rows read but not built (a scan builds only the rows it keeps, once
        its next request is out); with ``skim``, each row only those keys until it is built
        (see :meth:`PageDecoder.skim`)."""
        answer = await self._answer(form, offset, limit, skim=skim)
        return ParsedPage(
            items=answer.rows,
            total=answer.total,
            offset=offset,
            limit=limit,
            total_known=answer.total_known,
            answer=answer,
            form=form,
        )

    async def models_at(self, page: Page[Any], positions: Sequence[int]) -> list[T]:
        """The models of the rows at ``positions`` of ``page``, a :meth:`parsed` page."""
        assert isinstance(page, ParsedPage)
        spec = self._spec(page.form, page.offset, page.limit)
        return self._api.models(page.answer, spec, self._decoder, positions)

    async def _answer(
        self,
        form: Sequence[tuple[str, str]],
        offset: int,
        limit: int,
        *,
        skim: tuple[str, ...] | None = None,
    ) -> ParsedAnswer[T]:
        spec = self._spec(form, offset, limit)
        with read_after():
            answer = await self._api.fetch_answer(spec, self._decoder, limit, skim=skim)
            settle(answer, self._decoder.key, spec, offset, limit)
        return answer

    async def _page(
        self, form: Sequence[tuple[str, str]], answer: ParsedAnswer[T], offset: int, limit: int
    ) -> Page[T]:
        spec = self._spec(form, offset, limit)
        items = self._api.models(answer, spec, self._decoder)
        return Page(
            items=items,
            total=answer.total,
            offset=offset,
            limit=limit,
            total_known=answer.total_known,
        )
