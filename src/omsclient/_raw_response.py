"""What the server answered, beside the typed result: status, headers, timing, attempts.

``ApiResponse`` is what every :class:`~omsclient.ApiError` carries as ``.response``;
``RawResponse`` is what ``resource.with_raw_response.method(...)`` returns
(:mod:`omsclient._with_raw_response`), with ``.parse()`` for the typed result. Both hold only
redacted text: never the request (whose body or headers carry the credentials), and no copy of a
secret the server echoed.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs
import httpx

from omsclient._redact import Redactor, text_of

__all__ = ["ApiResponse", "RawResponse", "answer_of", "with_result"]

T = TypeVar("T")

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-correlation-id")


@attrs.frozen
class ApiResponse:
    """One HTTP answer of the API, secrets redacted.

    Attributes:
        status_code: the HTTP status.
        headers: the response headers (values redacted).
        text: the body as text (redacted).
        elapsed: seconds the last attempt took, from sending to reading the whole answer.
        attempts: attempts made for the call, this one included.
        request_id: the server's request id header, when it sends one.
        operation, method, path: the call (the path never holds a query string).
    """

    status_code: int
    headers: httpx.Headers
    text: str = attrs.field(repr=False)
    elapsed: float
    attempts: int
    request_id: str | None
    operation: str
    method: str
    path: str


@attrs.frozen
class RawResponse(ApiResponse, Generic[T]):
    """An :class:`ApiResponse` with the typed result of the call: ``.parse()``."""

    parsed: T = attrs.field(repr=False, kw_only=True)

    def parse(self) -> T:
        """The typed result, as the method without ``with_raw_response`` returns it."""
        return self.parsed


# Functions, not classmethods: the client makes these records from its internals (the redactor),
# users only read them.
def answer_of(
    response: httpx.Response,
    *,
    elapsed: float,
    attempts: int,
    operation: str,
    method: str,
    path: str,
    redact: Redactor,
) -> ApiResponse:
    """The redacted record of ``response``."""
    headers = redact.headers(response.headers)
    try:
        text = redact(text_of(response.content, response.charset_encoding))
    except httpx.ResponseNotRead:
        text = ""
    request_id = next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)
    return ApiResponse(
        status_code=response.status_code,
        headers=headers,
        text=text,
        elapsed=elapsed,
        attempts=attempts,
        request_id=request_id,
        operation=operation,
        method=method,
        path=redact.whole(path),
    )


def with_result(answer: ApiResponse, parsed: T) -> RawResponse[T]:
    """``answer`` with the call's typed result."""
    return RawResponse(**attrs.asdict(answer, recurse=False), parsed=parsed)
