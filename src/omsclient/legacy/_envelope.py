"""The legacy API's ``response_status`` envelope, and the one place legacy requests are sent."""

from __future__ import annotations

from typing import Any, TypeVar

import anyio
import attrs
import httpx

from omsclient._decode import decode_error, decode_json, looks_like_html, raise_for_status
from omsclient._fastpath import DecodedPage, PageDecoder, ParsedPage
from omsclient._request import RequestSpec
from omsclient._session import Session
from omsclient.errors import (
    ApiError,
    ApiNotEnabledError,
    AuthenticationError,
    DecodeError,
    InvalidConditionError,
    InvalidPagingError,
    InvalidParametersError,
    NoConditionsError,
    NotFoundError,
    UnknownStatusError,
)

__all__ = ["SUCCESS", "CheckedPage", "LegacyApi", "error_for_code"]

SUCCESS = 10001

T = TypeVar("T")

_CODE_ERRORS: dict[int, type[ApiError]] = {
    30001: AuthenticationError,
    31000: ApiNotEnabledError,
    40004: NotFoundError,
    50002: NoConditionsError,
    50003: InvalidConditionError,
    50004: InvalidPagingError,
    50005: InvalidParametersError,
}


_DEFAULT_DESCRIPTIONS: dict[int | None, str] = {
    30001: "Authentication failed",
    31000: "API not enabled on your site",
    40004: "Not found",
    50002: "No conditions specified",
    50003: "Invalid condition",
    50004: "Invalid limit or offset",
    50005: "Invalid request parameters",
}


def error_for_code(code: int) -> type[ApiError]:
    """The exception class a ``response_status`` code stands for."""
    return _CODE_ERRORS.get(code, UnknownStatusError)


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None


@attrs.frozen
class CheckedPage:
    """A successful search answer read into mirrors, its models not yet built.

    Attributes:
        response: the answer, read to the end.
        parsed: its rows as mirrors, its status and ``total``
            (:class:`~omsclient._fastpath.ParsedPage`).
    """

    response: httpx.Response
    parsed: ParsedPage


class LegacyApi:
    """Sends legacy requests through the session and checks their envelope."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        self.session = session

    async def call(self, spec: RequestSpec) -> dict[str, Any]:
        """Send ``spec`` and return the answer's JSON object once its status says success."""
        return await self.session.send(spec, self._parse)

    async def call_page(
        self, spec: RequestSpec, decoder: PageDecoder[T], limit: int
    ) -> DecodedPage[T] | dict[str, Any]:
        """Like :meth:`call`, but a well-formed successful answer comes back already decoded into
        models by ``decoder``; any other answer takes :meth:`call`'s path and comes back as JSON.

        Raises:
            DecodeError: the answer holds more than ``limit`` rows (checked before any model is
                built).
        """

        def parse(response: httpx.Response, spec: RequestSpec) -> DecodedPage[T] | dict[str, Any]:
            raise_for_status(response, spec, self.session.redact)
            if not looks_like_html(response):
                parsed = decoder.parse(response.content)
                if parsed is not None and _succeeded(parsed.status):
                    self._check_rows(response, spec, len(parsed), limit)
                    page = decoder.build(parsed)
                    if page is not None:
                        return page
            return self._parse(response, spec)

        return await self.session.send(spec, parse)

    async def check_page(
        self, spec: RequestSpec, decoder: PageDecoder[Any], limit: int
    ) -> CheckedPage | dict[str, Any]:
        """Like :meth:`call_page`, but a well-formed successful answer comes back parsed and not
        yet built into models, as a :class:`CheckedPage` for :meth:`finish_page`; any other
        answer takes :meth:`call`'s path.

        The parse is the C half of the page decoder and reads the whole body, so what is retried
        stays as in :meth:`call_page` (a body cut short is not valid JSON and fails inside the
        session's retry loop), while the Python half, building the models, is left to the caller.
        """

        def parse(response: httpx.Response, spec: RequestSpec) -> CheckedPage | dict[str, Any]:
            raise_for_status(response, spec, self.session.redact)
            if not looks_like_html(response):
                parsed = decoder.parse(response.content)
                if parsed is not None and _succeeded(parsed.status):
                    self._check_rows(response, spec, len(parsed), limit)
                    return CheckedPage(response, parsed)
            return self._parse(response, spec)

        return await self.session.send(spec, parse)

    async def finish_page(
        self,
        answer: CheckedPage | dict[str, Any],
        spec: RequestSpec,
        decoder: PageDecoder[T],
        limit: int,
    ) -> DecodedPage[T] | dict[str, Any]:
        """What :meth:`call_page` would have returned for ``answer`` from :meth:`check_page`.

        A body that passed the check yet is no JSON after all (invalid UTF-8 in a string) is sent
        for again through :meth:`call_page`, with the retries the failed attempt left.
        """
        if not isinstance(answer, CheckedPage):
            return answer
        with self.session.redact.errors():
            page = decoder.build(answer.parsed)
        if page is not None:
            return page
        try:
            return self._parse(answer.response, spec)
        except DecodeError:
            retry = self.session.retry
            if not spec.idempotent or retry.max_retries < 1:
                raise
        await anyio.sleep(retry.delay(0, None))
        rest = attrs.evolve(retry, max_retries=retry.max_retries - 1)
        return await LegacyApi(self.session.with_options(retry=rest)).call_page(
            spec, decoder, limit
        )

    def _check_rows(
        self, response: httpx.Response, spec: RequestSpec, rows: int, limit: int
    ) -> None:
        if rows > limit:
            raise decode_error(
                response,
                spec,
                self.session.redact,
                f"{rows} rows where at most {limit} were asked for (limit={limit})",
            )

    def _parse(self, response: httpx.Response, spec: RequestSpec) -> dict[str, Any]:
        redact = self.session.redact
        raise_for_status(response, spec, redact)
        data = decode_json(response, spec, redact)
        if not isinstance(data, dict):
            raise decode_error(
                response, spec, redact, f"a JSON {type(data).__name__} where an object was expected"
            )
        status = data.get("response_status")
        if _succeeded(status):
            return data
        if not isinstance(status, dict):
            status = {"code": status}
        code = _as_int(status.get("code"))
        severity = redact(str(status.get("severity") or "ERROR"))
        description = redact(str(status.get("description") or "")).strip()
        cls = error_for_code(code) if code is not None else UnknownStatusError
        what = description or _DEFAULT_DESCRIPTIONS.get(code, "unknown response_status code")
        raise cls(
            f"{spec.operation}: {severity} {code}: {what}",
            operation=spec.operation,
            method=spec.method,
            path=spec.path,
            status_code=response.status_code,
            code=code,
            severity=severity,
            description=description,
            body=redact.value(data),
        )


def _succeeded(status: Any) -> bool:
    """Whether a decoded ``response_status`` says success: the one place that decides it."""
    # Some servers leave response_status out of successful answers.
    if status is None:
        return True
    code = status.get("code") if isinstance(status, dict) else status
    return _as_int(code) == SUCCESS
