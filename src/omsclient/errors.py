"""The exception hierarchy: every error the SDK raises is an :class:`OmsError`.

Both APIs share one tree. A legacy ``response_status`` code and a REST HTTP status that mean the
same thing raise the same class (``30001`` and ``401`` are both :class:`AuthenticationError`), so
callers can catch by meaning without caring which API answered::

    OmsError
    ├── ConfigurationError          missing URL or credentials, bad client options
    ├── ClientClosedError           the client was closed before or during the call
    ├── ValidationError             bad input, caught before anything is sent
    ├── TransportError              the request or its answer did not get through
    │   └── RequestTimeoutError     a timeout fired (connect, read, write, pool or the attempt
    │                               deadline)
    ├── DecodeError                 HTML, an empty body, broken JSON, too many rows, a body over
    │                               max_response_bytes, a redirect
    ├── StructureError              JSON that does not fit a model (also a ValueError)
    ├── RunawayPagingError          paging that would never end (a full page of rows already
    │                               sent at other offsets, absurd totals)
    └── ApiError                    the server answered and said no
        ├── AuthenticationError     legacy 30001, HTTP 401
        ├── PermissionDeniedError   HTTP 403
        │   └── ApiNotEnabledError  legacy 31000
        ├── NotFoundError           legacy 40004, HTTP 404
        │   └── ProductsNotFoundError  some ids of products.get_many do not exist
        ├── InvalidRequestError     legacy 50002-50005, HTTP 400 / 422
        │   ├── NoConditionsError   legacy 50002
        │   ├── InvalidConditionError  legacy 50003
        │   ├── InvalidPagingError  legacy 50004
        │   └── InvalidParametersError legacy 50005
        ├── RateLimitError          HTTP 429
        ├── ServerError             HTTP 5xx
        └── UnknownStatusError      a response_status code no doc lists (or no numeric code),
                                    or severity ERROR with the success code 10001

The print-file waiters of :mod:`omsclient.rest`, :mod:`omsclient.export` and
:mod:`omsclient.dbsync` add their own subclasses (``docs/errors.md`` lists them).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from typing import Any, TypeVar, get_args, get_origin

import attrs

from omsclient._raw_response import ApiResponse

__all__ = [
    "ApiError",
    "ApiNotEnabledError",
    "AuthenticationError",
    "ClientClosedError",
    "ConfigurationError",
    "DecodeError",
    "InvalidConditionError",
    "InvalidPagingError",
    "InvalidParametersError",
    "InvalidRequestError",
    "NoConditionsError",
    "NotFoundError",
    "OmsError",
    "PermissionDeniedError",
    "ProductsNotFoundError",
    "RateLimitError",
    "RequestTimeoutError",
    "RunawayPagingError",
    "ServerError",
    "StructureError",
    "TransportError",
    "UnknownStatusError",
    "ValidationError",
]


_E = TypeVar("_E", bound="OmsError")

_DEEPEST = 200
"""The most levels of nesting an error's attribute keeps in a pickle or a deep copy: pickle
and ``deepcopy`` recurse once or more a level, and a server's error body can nest 1,000 deep."""


_ATOMS = (str, int, float, bool, type(None))


def _copyable(value: object) -> bool:
    """Whether ``value`` pickles and deep-copies: no JSON in it (a body, a model's ``extra``)
    nests deeper than :data:`_DEEPEST` levels."""
    # Walked without recursion: most bodies are small, and this is the common case. Each
    # object once, as pickle and deepcopy copy it once: a model repeated at every place it was
    # asked for, or a cycle, is no deeper for it.
    stack = [(value, 1)]
    seen: set[int] = set()
    while stack:
        item, depth = stack.pop()
        if isinstance(item, _ATOMS) or id(item) in seen:
            continue
        seen.add(id(item))
        if depth > _DEEPEST:
            return False
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        elif attrs.has(type(item)):
            # A model holding JSON (a print file's extra), walked as the JSON is: pickle
            # could not tell, as from Python 3.12 on it recurses further than deepcopy does.
            fields = attrs.fields(type(item))  # type: ignore[arg-type]  # has() said so
            children = [getattr(item, field.name, None) for field in fields]
        else:
            try:
                pickle.dumps(item)
            except RecursionError:
                return False
            except Exception:
                pass  # not ours to judge: a deep copy may take what pickle refuses (a callable)
            continue
        stack.extend((child, depth + 1) for child in children)
    return True


def _rebuilt(cls: type[OmsError], args: tuple[Any, ...]) -> OmsError:
    """An error of ``cls`` with these ``args``, not initialised: pickle then sets its
    attributes (see :meth:`OmsError.__reduce__`)."""
    error = cls.__new__(cls, *args)
    # OSError's (TimeoutError's) __new__ leaves them to an __init__ its subclasses override.
    error.args = args
    return error


class OmsError(Exception):
    """Base class of every error raised by omsclient.

    Errors pickle and copy whole, so a worker process can hand one to its parent.

    Attributes:
        maybe_applied: whether the server may have acted on the request, which is what matters
            after a write fails. ``False``: it certainly did not (nothing was sent, or the server
            refused), so the write can be sent again. ``True``: it may have (the request went out
            and the answer was lost, late, broken, or a server failure), so check before sending
            it again. ``None``: the error does not come from sending a request.
            docs/resilience.md has the table by cause.
    """

    maybe_applied: bool | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own calls cls(*args) to unpickle or copy, which the keyword-only
        # attributes of most errors refuse: the copy failed, and a process pool broke instead
        # of reporting the error. Rebuilt from its arguments and attributes, as they are: the
        # redacted ones (what it was raised from and its traceback are not pickled). One nested
        # too deep to pickle (a hostile body) is left out, named, rather than fail the copy.
        state = {
            name: value
            if _copyable(value)
            else f"(nested deeper than {_DEEPEST} levels: left out of this copy)"
            for name, value in self.__dict__.items()
        }
        return (_rebuilt, (type(self), self.args), state)

    def __copy__(self: _E) -> _E:
        # A shallow copy recurses into nothing: it keeps every attribute, however deep.
        clone = _rebuilt(type(self), self.args)
        clone.__dict__.update(self.__dict__)
        return clone  # type: ignore[return-value]


class ConfigurationError(OmsError, ValueError):
    """The client is missing a setting it needs (a URL, credentials) or got a bad option."""

    maybe_applied: bool | None = False


class ClientClosedError(OmsError, RuntimeError):
    """The client was closed (``aclose()``/``close()``) before or while this call ran, or, on
    the blocking ``Client``, the call comes from a child process after ``fork()``.

    Make a new client (in the child, after a fork), or keep this one open for as long as calls
    use it.

    ``maybe_applied`` is ``False`` for a call refused before it began and ``True`` for one cut
    short while it ran: its request may have reached the server. An ``AsyncClient``'s call
    still waiting for a free slot (``max_in_flight``, the rate), or pausing before a retry
    after attempts the server surely did not act on, says ``False``: it was not sent. A write's
    message then ends with what to do (``the server may have applied it: look before sending
    it again``).
    """

    maybe_applied: bool | None = False

    def __init__(self, message: str, *, maybe_applied: bool = False) -> None:
        super().__init__(message)
        self.maybe_applied: bool | None = maybe_applied


class ValidationError(OmsError, ValueError):
    """An argument is invalid; raised before any request is sent."""

    maybe_applied: bool | None = False


class TransportError(OmsError):
    """The request did not complete: connection refused or dropped, or a broken answer.

    Attributes:
        operation: the SDK operation that failed, e.g. ``"legacy.orders.search"``.
        method: HTTP method.
        path: the URL's path as the server saw it, the base URL's own path included
            (``/shop/api/json/manage_orders/find``); never a query string, so never a
            credential.
        attempts: how many attempts were made before giving up.
    """

    def __init__(
        self, message: str, *, operation: str, method: str, path: str, attempts: int = 1
    ) -> None:
        super().__init__(message)
        self.operation: str = operation
        self.method: str = method
        self.path: str = path
        self.attempts: int = attempts


class RequestTimeoutError(TransportError, TimeoutError):
    """A timeout fired while connecting, sending, waiting for or reading the answer."""


class DecodeError(OmsError):
    """The server answered with something that is not the JSON the API promises.

    Typical causes: an HTML login page (wrong password or disabled API on some servers),
    an empty body, or a body cut short.

    Attributes:
        operation, method, path: what was being done.
        status_code: the HTTP status of the answer.
        content_type: the answer's ``Content-Type`` header.
        snippet: the first characters of the body, with secrets redacted.
        transient: whether another attempt may get a good answer (a body cut short, an empty
            answer). ``False`` when the same request would get the same bad answer: an HTML
            page (a login page, a wrong URL), a page with more rows than asked for, a body over
            the size cap. The client retries a read only when this is ``True``.
    """

    response: ApiResponse | None = None
    """The HTTP answer that could not be read (status, headers, redacted text)."""
    attempts: int = 1
    """Attempts made for the call before this error was raised."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        method: str,
        path: str,
        status_code: int,
        content_type: str,
        snippet: str,
        transient: bool = True,
    ) -> None:
        super().__init__(message)
        self.operation: str = operation
        self.method: str = method
        self.path: str = path
        self.status_code: int = status_code
        self.content_type: str = content_type
        self.snippet: str = snippet
        self.transient: bool = transient
        # The server answered; with a success status it acted on the request.
        self.maybe_applied: bool | None = status_code < 400


_ERRORS_SHOWN = 10


class StructureError(OmsError, ValueError):
    """Data from a server does not fit a model (a date that is not a date, a list for a number).

    Attributes:
        cls: The type being structured.
        errors: One message per failing value, each ending with its path, e.g.
            ``"expected an ISO-8601 date, got 'soon' @ $.order_lines[0].shipped_date"``.
            Values are shown short, and objects or arrays never in full (they may hold
            download URLs that carry login tokens).
    """

    def __init__(self, cls: Any, errors: list[str]) -> None:
        self.cls: Any = cls
        self.errors: list[str] = errors
        # A page of bad rows can have hundreds of thousands: the message names the first few.
        shown = "; ".join(errors[:_ERRORS_SHOWN])
        if len(errors) > _ERRORS_SHOWN:
            shown += f"; and {len(errors) - _ERRORS_SHOWN:,} more (see .errors)"
        super().__init__(f"cannot read {_type_name(cls)}: {shown}")


class RunawayPagingError(OmsError):
    """Paging was stopped because the server's answers would have made it go on forever.

    Raised when a full page holds only rows already sent at other offsets of the last few
    pages (a server that ignores the offset, in whatever order it sends the rows) or when the
    total or the offset goes past what any real server holds.

    Attributes:
        offset: the offset of the page that stopped the paging.
        total: the total that page reported.
    """

    def __init__(self, message: str, *, offset: int, total: int) -> None:
        super().__init__(message)
        self.offset: int = offset
        self.total: int = total


def _type_name(tp: Any) -> str:
    args = get_args(tp)
    name = getattr(get_origin(tp) or tp, "__name__", repr(tp))
    return f"{name}[{', '.join(_type_name(a) for a in args)}]" if args else name


class ApiError(OmsError):
    """The server answered and refused the request.

    Legacy answers fill ``code``, ``severity`` and ``description`` from ``response_status``;
    REST answers fill ``status_code``, ``body`` and ``field_errors``: each field the body's
    ``errors`` names (as an object keyed by field, or a list of ``{"field", "message"}``
    objects) with its messages, which the message lists too. Both carry the operation, method
    and path. No attribute ever holds a password or token.

    Attributes:
        operation: the SDK operation that was refused, e.g. ``"legacy.orders.search"``.
        method: HTTP method.
        path: the URL's path as the server saw it, the base URL's own path included
            (``/shop/api/json/manage_orders/find``); never a query string, so never a
            credential.
        status_code: the HTTP status of the answer; a legacy refusal usually comes with 200,
            its reason being in ``code``. None when no one answer is behind the error (a
            :class:`ProductsNotFoundError` sums up several).
        code: the legacy ``response_status`` code (``30001``, ``50003``...); None for a REST
            answer, or a legacy one with no numeric code.
        severity: the legacy ``response_status`` severity (``"ERROR"`` when the server sends
            none); None for a REST answer.
        description: the legacy ``response_status`` description (redacted; empty when the
            server sends none); None for a REST answer and when no one answer is behind it.
        body: the answer's body, secrets redacted: its JSON (the whole legacy envelope, the
            REST error object), or the start of its text when it is not JSON; None when empty
            or when no one answer is behind the error.
        field_errors: REST only: the messages of each field the body's ``errors`` names, by
            field; empty when it names none (and on legacy errors).
        retry_after: seconds the server's ``Retry-After`` header asks to wait (a date becomes
            the seconds until it; the longest of several), None without a usable one; mostly on a
            :class:`RateLimitError` or a 503.
    """

    response: ApiResponse | None = None
    """The HTTP answer that said no (status, headers, redacted text, request id, elapsed)."""
    attempts: int = 1
    """Attempts made for the call before this error was raised."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        method: str,
        path: str,
        status_code: int | None = None,
        code: int | None = None,
        severity: str | None = None,
        description: str | None = None,
        body: Any = None,
        field_errors: dict[str, list[str]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.operation: str = operation
        self.method: str = method
        self.path: str = path
        self.status_code: int | None = status_code
        self.code: int | None = code
        self.severity: str | None = severity
        self.description: str | None = description
        self.body: Any = body
        self.field_errors: dict[str, list[str]] = field_errors or {}
        self.retry_after: float | None = retry_after
        # A refusal did nothing; a server failure may have happened after the write.
        self.maybe_applied: bool | None = status_code is not None and status_code >= 500

    def __repr__(self) -> str:
        parts = [f"{self.args[0]!r}", f"operation={self.operation!r}"]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.status_code is not None:
            parts.append(f"status_code={self.status_code}")
        return f"{type(self).__name__}({', '.join(parts)})"


class AuthenticationError(ApiError):
    """Credentials were refused (legacy 30001, HTTP 401)."""


class PermissionDeniedError(ApiError):
    """The credentials are valid but not allowed to do this (HTTP 403)."""


class ApiNotEnabledError(PermissionDeniedError):
    """The legacy API is not enabled on the site (legacy 31000)."""


class NotFoundError(ApiError):
    """The thing asked for does not exist (legacy 40004, HTTP 404)."""


class ProductsNotFoundError(NotFoundError):
    """Some of the product ids asked for do not exist.

    Attributes:
        missing_ids: the ids the server did not return, in the order asked.
        found: the products that were found, in the order asked.
    """

    def __init__(
        self, message: str, *, missing_ids: list[int], found: list[Any], **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.missing_ids: list[int] = missing_ids
        self.found: list[Any] = found


class InvalidRequestError(ApiError):
    """The server rejected the request's parameters (legacy 50002-50005, HTTP 400/422)."""


class NoConditionsError(InvalidRequestError):
    """A search was sent without any condition (legacy 50002)."""


class InvalidConditionError(InvalidRequestError):
    """A condition lacks its field or operator, or has a bad date (legacy 50003)."""


class InvalidPagingError(InvalidRequestError):
    """``limit`` or ``offset`` is out of range (legacy 50004)."""


class InvalidParametersError(InvalidRequestError):
    """Some other parameter is invalid (legacy 50005)."""


class RateLimitError(ApiError):
    """The server is throttling this client (HTTP 429); ``retry_after`` says for how long."""


class ServerError(ApiError):
    """The server failed (HTTP 5xx)."""


class UnknownStatusError(ApiError):
    """A legacy ``response_status`` that no document explains: a code none lists, no numeric
    code, or severity ERROR with the success code 10001."""
