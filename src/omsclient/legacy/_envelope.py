"""The legacy API's ``response_status`` envelope, and the one place legacy requests are sent."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx

from omsclient._decode import decode_json, looks_like_html, raise_for_status
from omsclient._fastpath import DecodedPage, PageDecoder
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

__all__ = ["SUCCESS", "LegacyApi", "error_for_code"]

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


class LegacyApi:
    """Sends legacy requests through the session and checks their envelope."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        self.session = session

    async def call(self, spec: RequestSpec) -> dict[str, Any]:
        """Send ``spec`` and return the answer's JSON object once its status says success."""
        return await self.session.send(spec, self._parse)

    async def call_page(
        self, spec: RequestSpec, decoder: PageDecoder[T]
    ) -> DecodedPage[T] | dict[str, Any]:
        """Like :meth:`call`, but a well-formed successful answer comes back already decoded into
        models by ``decoder``; any other answer takes :meth:`call`'s path and comes back as JSON.
        """

        def parse(response: httpx.Response, spec: RequestSpec) -> DecodedPage[T] | dict[str, Any]:
            raise_for_status(response, spec, self.session.redact)
            if not looks_like_html(response):
                page = decoder.decode(response.content)
                if page is not None and _succeeded(page.status):
                    return page
            return self._parse(response, spec)

        return await self.session.send(spec, parse)

    def _parse(self, response: httpx.Response, spec: RequestSpec) -> dict[str, Any]:
        redact = self.session.redact
        raise_for_status(response, spec, redact)
        data = decode_json(response, spec, redact)
        if not isinstance(data, dict):
            raise DecodeError(
                f"{spec.operation}: {spec.method} {spec.path} answered a JSON "
                f"{type(data).__name__} where an object was expected",
                operation=spec.operation,
                method=spec.method,
                path=spec.path,
                status_code=response.status_code,
                content_type=response.headers.get("content-type", ""),
                snippet=redact(response.content[:200].decode("utf-8", "replace")),
            )
        status = data.get("response_status")
        # Some servers leave response_status out of successful answers.
        if status is None:
            return data
        if not isinstance(status, dict):
            status = {"code": status}
        code = _as_int(status.get("code"))
        if code == SUCCESS:
            return data
        severity = str(status.get("severity") or "ERROR")
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
            body=data,
        )


def _succeeded(status: Any) -> bool:
    """Whether a decoded ``response_status`` says success, as :meth:`LegacyApi._parse` reads it."""
    if status is None:
        return True
    code = status.get("code") if isinstance(status, dict) else status
    return _as_int(code) == SUCCESS
