"""What order and product searches share: the form of one page and how to read its answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import attrs

from omsclient._convert import structure_many
from omsclient._fastpath import ABSENT, DecodedPage, PageDecoder
from omsclient._pagination import MAX_PAGE_SIZE, Page, PageIterator
from omsclient._request import RequestSpec
from omsclient.errors import DecodeError, ValidationError
from omsclient.legacy._envelope import CheckedPage, LegacyApi

__all__ = [
    "PendingPage",
    "TypedSearch",
    "check_paging",
    "pending_page",
    "read_page",
    "search_spec",
    "typed_page",
]

T = TypeVar("T")


def check_paging(limit: object, offset: object) -> None:
    """Reject a limit outside 0..100 or a negative offset before anything is sent."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"limit must be an integer 0..{MAX_PAGE_SIZE}, got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"offset must be an integer >= 0, got {offset!r}")


def search_spec(
    path: str, operation: str, base_form: Sequence[tuple[str, str]], offset: int, limit: int
) -> RequestSpec:
    """The request for one page of a search."""
    check_paging(limit, offset)
    form = (*base_form, ("limit", str(limit)), ("offset", str(offset)))
    return RequestSpec(api="legacy", method="POST", path=path, operation=operation, form=form)


def _malformed(spec: RequestSpec, problem: str) -> DecodeError:
    """A :class:`DecodeError` for a JSON answer whose shape is not a search answer's."""
    return DecodeError(
        f"{spec.operation}: {problem}",
        operation=spec.operation,
        method=spec.method,
        path=spec.path,
        status_code=200,
        content_type="application/json",
        snippet="",
    )


def _total(value: Any, spec: RequestSpec) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        # The value is not quoted: it may be anything the server echoed, a secret included.
        raise _malformed(
            spec, f"the answer's total is a {type(value).__name__}, not a number"
        ) from None


def read_page(
    data: dict[str, Any], key: str, spec: RequestSpec, offset: int, limit: int
) -> Page[Any]:
    """The rows under ``key`` and the total of a search answer, as a page of JSON objects."""
    rows = data.get(key) or []
    if not isinstance(rows, list):
        raise _malformed(spec, f"{key!r} is a {type(rows).__name__}, not a list")
    if len(rows) > limit:
        raise _malformed(
            spec, f"the answer has {len(rows)} rows where at most {limit} were asked for"
        )
    total = _total(data["total"], spec) if "total" in data else offset + len(rows)
    return Page(items=rows, total=total, offset=offset, limit=limit)


def typed_page(
    answer: DecodedPage[T] | dict[str, Any],
    decoder: PageDecoder[T],
    spec: RequestSpec,
    offset: int,
    limit: int,
) -> Page[T]:
    """A page of models from what :meth:`LegacyApi.call_page` returned.

    An answer the decoder could not read comes as JSON: the converter reads it, and the decoder
    learns the unknown keys it kept.
    """
    if isinstance(answer, DecodedPage):
        rows = answer.items
        total = offset + len(rows) if answer.total is ABSENT else _total(answer.total, spec)
        return Page(items=rows, total=total, offset=offset, limit=limit)
    page = read_page(answer, decoder.key, spec, offset, limit)
    items = structure_many(page.items, decoder.cls)
    decoder.learn(items)
    return Page(items=items, total=page.total, offset=offset, limit=limit)


@attrs.frozen
class PendingPage:
    """A page as :meth:`LegacyApi.check_page` returned it: total and row count known, rows not
    yet models (see :class:`~omsclient._pagination.RawPage`)."""

    answer: CheckedPage | dict[str, Any]
    spec: RequestSpec
    total: int
    offset: int
    limit: int
    count: int

    def __len__(self) -> int:
        return self.count


def pending_page(
    answer: CheckedPage | dict[str, Any], key: str, spec: RequestSpec, offset: int, limit: int
) -> PendingPage:
    """The total and row count of what :meth:`LegacyApi.check_page` returned, as
    :func:`typed_page` will read them."""
    if isinstance(answer, CheckedPage):
        count = len(answer.parsed)
        raw_total = answer.parsed.total
        total = offset + count if raw_total is ABSENT else _total(raw_total, spec)
    else:
        page = read_page(answer, key, spec, offset, limit)
        count, total = len(page.items), page.total
    return PendingPage(answer, spec, total, offset, limit, count)


class TypedSearch(Generic[T]):
    """One search endpoint whose rows become models through a :class:`PageDecoder`."""

    def __init__(self, api: LegacyApi, path: str, operation: str, decoder: PageDecoder[T]):
        self._api = api
        self._path = path
        self._operation = operation
        self._decoder = decoder

    def _spec(self, form: Sequence[tuple[str, str]], offset: int, limit: int) -> RequestSpec:
        return search_spec(self._path, self._operation, form, offset, limit)

    async def page(self, form: Sequence[tuple[str, str]], offset: int, limit: int) -> Page[T]:
        """One page of models."""
        spec = self._spec(form, offset, limit)
        answer = await self._api.call_page(spec, self._decoder, limit)
        with self._api.session.redact.errors():
            return typed_page(answer, self._decoder, spec, offset, limit)

    def iterate(
        self,
        form: Sequence[tuple[str, str]],
        *,
        concurrency: int,
        max_items: int | None,
        start_offset: int,
    ) -> PageIterator[T]:
        """Every page of the search. Fetches only parse their answers; the iterator builds the
        models once the next requests are sent."""
        return PageIterator(
            lambda offset, limit: self._checked(form, offset, limit),
            convert=self._finish,
            concurrency=concurrency,
            max_items=max_items,
            start_offset=start_offset,
        )

    async def _checked(
        self, form: Sequence[tuple[str, str]], offset: int, limit: int
    ) -> PendingPage:
        spec = self._spec(form, offset, limit)
        answer = await self._api.check_page(spec, self._decoder, limit)
        return pending_page(answer, self._decoder.key, spec, offset, limit)

    async def _finish(self, pending: PendingPage) -> Page[T]:
        answer = await self._api.finish_page(
            pending.answer, pending.spec, self._decoder, pending.limit
        )
        with self._api.session.redact.errors():
            return typed_page(answer, self._decoder, pending.spec, pending.offset, pending.limit)
