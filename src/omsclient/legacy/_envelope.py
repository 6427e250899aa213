"""The legacy API's ``response_status`` envelope, and the one place legacy requests are sent."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx
import msgspec
import orjson

from omsclient._calls import attempts_so_far
from omsclient._decoding import PageDecoder, ParsedAnswer, php_list
from omsclient._exact_json import dumps_exact, loads_as_sent
from omsclient._json_read import loads
from omsclient._redact import Redactor
from omsclient._request import RequestSpec
from omsclient._responses import (
    decode_error,
    decode_json,
    error_for_status,
    json_kind,
    looks_like_html,
    one_line,
    raise_for_status_behind,
)
from omsclient._session import Session
from omsclient._storable import surrogates_readable
from omsclient._verdicts import failed_status, folded, said_failed, says_it_failed
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
from omsclient.legacy._sent import (
    SentFields,
    Skimmed,
    read_sent,
    sent_orders,
    skim_sent,
    without_login_keys,
)

__all__ = [
    "NOT_FOUND",
    "SUCCESS",
    "LegacyApi",
    "error_for_code",
    "more_rows_than_asked",
    "says_error",
    "status_code",
]

SUCCESS = 10001
NOT_FOUND = 40004
# Statuses saying the request was not taken (408) or not yet (429), which the session sends
# again: their body is not read as the API's refusal.
_RESENT = frozenset({408, 429})

T = TypeVar("T")

_CODE_ERRORS: dict[int, type[ApiError]] = {
    30001: AuthenticationError,
    31000: ApiNotEnabledError,
    NOT_FOUND: NotFoundError,
    50002: NoConditionsError,
    50003: InvalidConditionError,
    50004: InvalidPagingError,
    50005: InvalidParametersError,
}


_DEFAULT_DESCRIPTIONS: dict[int | None, str] = {
    30001: "Authentication failed",
    31000: "API not enabled on your site",
    NOT_FOUND: "Not found",
    50002: "No conditions specified",
    50003: "Invalid condition",
    50004: "Invalid limit or offset",
    50005: "Invalid request parameters",
}


def error_for_code(code: int) -> type[ApiError]:
    """The exception class a ``response_status`` code stands for."""
    return _CODE_ERRORS.get(code, UnknownStatusError)


def _as_int(value: object) -> int | None:
    """A code as the whole number it is (10001, 10001.0, "10001"), or None: int() made 10001.5
    the success code and true the code 1."""
    if type(value) is int:
        return value
    if type(value) is float:
        # 1e400, valid JSON, is read as an infinity.
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] == "-" else text
        return int(text) if digits.isascii() and digits.isdigit() else None
    return None


def _text(value: object) -> str:
    """A ``response_status`` value as text: a string as sent, anything else its JSON (the
    ``str()`` of a list nested past Python's stack fails)."""
    return value if isinstance(value, str) else dumps_exact(value).decode()


def _as_sent_code(content: bytes, read: float) -> object:
    """The ``response_status`` code of answer ``content`` as sent, where reading it as a double
    made it ``read``, an infinity (``1e400``), which JSON would write as null."""
    with contextlib.suppress(ValueError, RecursionError, LookupError, TypeError):
        status = loads_as_sent(content)["response_status"]
        return status["code"] if isinstance(status, dict) else status
    return read


def more_rows_than_asked(rows: int, limit: int) -> str:
    """What an answer holding ``rows`` rows of a search limited to ``limit`` did wrong."""
    return f"{rows} rows where at most {limit} {'was' if limit == 1 else 'were'} asked for"


def status_code(status: object) -> int | None:
    """The code of a decoded ``response_status`` (an object's ``code``, or a bare code), as an
    int; None when it holds none."""
    return _as_int(status.get("code") if isinstance(status, dict) else status)


def _status_of(content: bytes) -> tuple[bool, Any]:
    """Whether ``content`` is an envelope (a JSON object with a ``response_status``), and that
    status; read as every answer is (a lone surrogate's escape too)."""
    try:
        data = loads(content)
    except orjson.JSONDecodeError:
        return False, None
    if isinstance(data, dict) and "response_status" in data:
        return True, data["response_status"]
    return False, None


class LegacyApi:
    """Sends legacy requests through the session and checks their envelope."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        self.session: Session = session

    async def call(
        self, spec: RequestSpec, *, accept: frozenset[int] = frozenset()
    ) -> dict[str, Any]:
        """Send ``spec`` and return the answer's JSON object once its status says success, or
        has one of the ``accept`` codes: such an answer is returned as the server sent it (a
        "not found" that still carries what was found), not redacted into an error's body."""

        def parse(response: httpx.Response, spec: RequestSpec) -> dict[str, Any]:
            return self._parse(response, spec, accept)

        return await self.session.send(spec, parse)

    async def call_exact(self, spec: RequestSpec) -> dict[str, Any]:
        """Like :meth:`call`, the answer's numbers read as they were sent: every integer with
        all its digits (orjson makes one beyond 64 bits a float) and every other number as its
        ``Decimal`` (a double makes ``1.50`` 1.5 and drops digits past its precision; the usual
        way reads ``1e400`` as an infinity, which JSON writes as null), for jobs that write
        what they read out again (a product export or sync)."""

        def parse(response: httpx.Response, spec: RequestSpec) -> dict[str, Any]:
            self._check_http(response, spec)
            if not looks_like_html(response):
                try:
                    data = loads_as_sent(response.content)
                except ValueError:
                    data = None  # no JSON: the usual way says what came instead
                except RecursionError:
                    # The usual way reads deeper, every number as a double (1.50 as 1.5): an
                    # error answer raises its error, and a page is refused, not changed.
                    self._parse(response, spec)
                    raise decode_error(
                        response,
                        spec,
                        self.session.redact,
                        "JSON nested too deep to read its numbers as sent",
                        transient=False,
                    ) from None
                if (
                    isinstance(data, dict)
                    and _succeeded(data.get("response_status"))
                    and not _failed_in_other_words(data)
                ):
                    return data
            return self._parse(response, spec)

        return await self.session.send(spec, parse)

    async def fetch_answer(
        self,
        spec: RequestSpec,
        decoder: PageDecoder[T],
        limit: int,
        *,
        skim: tuple[str, ...] | None = None,
    ) -> ParsedAnswer[T]:
        """Send the search ``spec`` and read its answer with ``decoder``, models not yet built.

        A well-formed successful answer is read by the decoder's fast path, which checks the
        whole body in C, so what is retried is decided here, inside the session's retry loop (a
        body cut short is not valid JSON); any other answer takes :meth:`call`'s path (the
        envelope check, the JSON) and is read by the decoder's tolerant path. With ``skim``
        (the keys to read of each row, maybe none), the fast path leaves the rows unread,
        read into mirrors when they are built (for a page that waits behind others: see
        :meth:`PageDecoder.skim`).

        Raises:
            DecodeError: the answer holds more than ``limit`` rows (checked before any model is
                built).
        """

        def parse(response: httpx.Response, spec: RequestSpec) -> ParsedAnswer[T]:
            self._check_http(response, spec)
            if not looks_like_html(response):
                content = response.content
                answer = decoder.parse(content) if skim is None else decoder.skim(content, skim)
                if answer is not None and _done(answer.status, answer.rows, content):
                    self._check_rows(response, spec, len(answer), limit)
                    return self._from_this_call(answer, response)
            answer = decoder.read_json(self._parse(response, spec), response.content)
            return self._from_this_call(answer, response)

        return await self.session.send(spec, parse)

    async def fetch_sent(
        self, spec: RequestSpec, limit: int, fields: SentFields
    ) -> Skimmed | dict[str, Any]:
        """Send the order search ``spec``. Its answer as :func:`skim_sent` reads it, for
        :func:`~omsclient.legacy._sent.sent_at` to split the orders the caller keeps; or, for
        an answer the skim does not take, as :meth:`call` returns it but for its ``orders``:
        :class:`~omsclient.legacy._sent.SentOrder` s, each the bytes it was sent in (login keys
        redacted unless ``spec`` asks for them), its id, Date Ordered and any other field
        ``fields`` reads taken in the pass that splits it out (:func:`read_sent`).

        Raises:
            DecodeError: the answer holds more than ``limit`` rows.
        """

        # A server that sends the keys all the same must not have them written out.
        keys_left_out = ("skip_login_token", "1") in spec.form

        def parse(response: httpx.Response, spec: RequestSpec) -> Skimmed | dict[str, Any]:
            self._check_http(response, spec)
            content = response.content
            if not looks_like_html(response):
                skimmed = skim_sent(content, fields)
                if skimmed is not None:
                    if _done(skimmed.response_status, skimmed.orders, content):
                        self._check_rows(response, spec, len(skimmed.orders or ()), limit)
                        return Skimmed(skimmed, content, keys_left_out)
                elif (read := read_sent(content, fields.keys)) is not None and _done(
                    read[0].response_status, read[0].orders, content
                ):
                    answer, orders = read
                    self._check_rows(response, spec, len(orders), limit)
                    if keys_left_out:
                        without_login_keys(orders)
                    if answer.total is msgspec.UNSET:
                        return {"orders": orders}
                    return {"orders": orders, "total": answer.total}
            data = self._parse(response, spec)
            # An object of indexes is the array it stands for here too: its orders' login keys
            # are redacted, and the rows are SentOrders, as a split page's are.
            rows = php_list(data.get("orders"))
            try:
                sent = sent_orders(rows) if isinstance(rows, list) else rows
                if keys_left_out and isinstance(sent, list):
                    without_login_keys(sent)
            except ValueError as exc:
                # The same answer again holds the same order: no retry.
                raise decode_error(
                    response, spec, self.session.redact, str(exc), transient=False
                ) from None
            return {**data, "orders": sent}

        return await self.session.send(spec, parse)

    def models(
        self,
        answer: ParsedAnswer[T],
        spec: RequestSpec,
        decoder: PageDecoder[T],
        positions: Sequence[int] | None = None,
    ) -> list[T]:
        """The models of ``answer`` from :meth:`fetch_answer` (of its rows at ``positions``
        only, when given).

        Raises:
            DecodeError: a body that passed the fast path's check yet is no JSON after all
                (bytes that are no UTF-8 in a value msgspec skipped). It is not sent for
                again: the same answer would fail the same way.
        """
        # Built after the call: redacted as its errors are, with what its request carried.
        redact = answer.redact or self.session.redact
        try:
            with redact.errors():
                return decoder.models(answer, positions)
        except orjson.JSONDecodeError:
            error = self._not_json(answer.source, spec, redact)
        error.attempts = answer.attempts
        raise error from None

    def _from_this_call(self, answer: ParsedAnswer[T], response: httpx.Response) -> ParsedAnswer[T]:
        """``answer``, read from ``response`` by the call in hand, with what its errors need
        once the call has ended: the answer, the attempts, the call's redactor."""
        answer.source, answer.attempts = response, attempts_so_far()
        answer.redact = self.session.redact.in_call()
        return answer

    def _not_json(
        self, response: httpx.Response, spec: RequestSpec, redact: Redactor
    ) -> DecodeError:
        try:
            decode_json(response, spec, redact)
        except DecodeError as exc:
            return exc
        return decode_error(response, spec, redact, "a body that is not JSON")

    def _check_rows(
        self, response: httpx.Response, spec: RequestSpec, rows: int, limit: int
    ) -> None:
        if rows > limit:
            raise decode_error(
                response,
                spec,
                self.session.redact,
                f"{more_rows_than_asked(rows, limit)} (limit={limit})",
                transient=False,  # the server ignores the limit: it would do so again
            )

    def description(self, answer: dict[str, Any]) -> str | None:
        """The ``description`` of an answer's ``response_status``, as its errors quote it:
        redacted (a server may echo the password there), a list as its JSON, stripped; None
        when it says nothing."""
        status = answer.get("response_status")
        said = status.get("description") if isinstance(status, dict) else None
        return self.session.redact(_text(said or "")).strip() or None

    def _check_http(self, response: httpx.Response, spec: RequestSpec) -> None:
        """Raise the error of an HTTP error status, but for a 4xx carrying an envelope that
        says it failed: the API's own refusal, read by its code (30001 a login refused, 50005
        with the parameter named) as in a 200 answer, where the HTTP status alone would lose
        the reason. A 404 that is no envelope comes from a web server or a proxy in front of
        the API (a wrong ``legacy_url``), where a NotFoundError would read as "no such order"
        to code deleting what is not found. A 408 and a 429 keep their meaning whatever their
        body: the request was not taken, and is sent again."""
        envelope = False
        if 400 <= response.status_code < 500 and response.status_code not in _RESENT:
            envelope, status = _status_of(response.content)
            if envelope and not _succeeded(status):
                return
        raise_for_status_behind(
            response,
            spec,
            self.session.redact,
            sent_by_the_api=lambda _response: envelope,  # read above, for a 404 alone
            body="a body that is no envelope",
            setting="legacy_url",
        )

    def _parse(
        self, response: httpx.Response, spec: RequestSpec, accept: frozenset[int] = frozenset()
    ) -> dict[str, Any]:
        redact = self.session.redact
        self._check_http(response, spec)
        data = decode_json(response, spec, redact)
        if data == []:
            data = {}  # PHP's json_encode of an empty array: an envelope with nothing in it
        if not isinstance(data, dict):
            raise decode_error(
                response, spec, redact, f"a JSON {json_kind(data)} where an object was expected"
            )
        status = data.get("response_status")
        if _failed_in_other_words(data):
            # Left out, response_status says nothing, and an answer counts as done; but one
            # saying in other words that it failed ({"success": false, "error": "..."}) would
            # report a status update refused as applied, and a search as finding nothing (an
            # export complete and empty).
            raise decode_error(response, spec, redact, said_failed(folded(data)), transient=False)
        if _succeeded(status):
            return data
        code = status_code(status)
        if code in accept:
            return data
        if not isinstance(status, dict):
            status = {"code": status}
        severity = redact(_text(status.get("severity") or "ERROR"))
        description = self.description(data) or ""
        cls = error_for_code(code) if code is not None else UnknownStatusError
        if cls is UnknownStatusError and response.status_code != 404:
            # A code no document explains (10002, seen for a login refused) in an HTTP error:
            # what its status says (401 the credentials refused, 403 no access) stands.
            cls = error_for_status(response.status_code) or cls
        sent = status.get("code")
        if code is not None:
            coded = f" {code}"
            fallback = "unknown response_status code"
            if code == SUCCESS:  # beside a severity saying it failed, which is the problem
                fallback = f"the success code, with severity {one_line(severity, 40)}"
            what = description or _DEFAULT_DESCRIPTIONS.get(code, fallback)
        else:
            # No number: what came instead is quoted ("E_AUTH"), or that none came.
            if isinstance(sent, float) and not math.isfinite(sent):
                sent = _as_sent_code(response.content, sent)
            quoted = "" if sent is None else one_line(redact(_text(sent)), 40).strip()
            coded = f" {quoted}" if quoted else ""
            if coded:
                what = description or "no known code"
            elif description:  # said beside the reason, which would hide that no code came
                coded, what = " (no response_status code)", description
            else:
                what = "no response_status code"
        raise cls(
            f"{spec.operation}: {one_line(severity, 40)}{coded}: {one_line(what)}",
            operation=spec.operation,
            method=spec.method,
            path=spec.path,
            status_code=response.status_code,
            code=code,
            severity=severity,
            description=description,
            body=redact.value(data),
        )


def _failed_in_other_words(answer: dict[str, Any]) -> bool:
    """Whether ``answer``, a JSON object, has no ``response_status`` but says it failed all
    the same (``{"success": false, "error": "..."}``)."""
    return answer.get("response_status") is None and says_it_failed(answer)


def _done(status: Any, rows: object, content: bytes) -> bool:
    """Whether a search answer a fast path read, its ``response_status`` and its rows (None
    when it had none), is done with there: its status says success, or it has none, has rows
    and says nothing else of how it went. Any other (``{"success": false, "orders": []}``, or
    the same with rows) goes the usual way, which reads whether it says in other words that it
    failed, whichever reader asked."""
    if status is not None:
        return _succeeded(status)
    return bool(rows) and not _says_more_than_its_rows(content)


_TOP_LEVEL = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ROWS_AND_COUNT = frozenset({"orders", "products", "total"})


def _says_more_than_its_rows(content: bytes) -> bool:
    """Whether answer ``content``, with no ``response_status``, says in other words that it
    failed (see :func:`says_it_failed`), or cannot be told from its top level here: its rows
    are skipped, not read."""
    try:
        try:
            top = _TOP_LEVEL.decode(content)
        except msgspec.DecodeError:
            # A lone surrogate in a row (a note cut in an emoji), which msgspec refuses: read
            # the usual way, every number of the page went through a double (1.50 as 1.5).
            top = _TOP_LEVEL.decode(surrogates_readable(content))
        keys = {key: loads(value) for key, value in top.items() if key not in _ROWS_AND_COUNT}
    except (msgspec.DecodeError, ValueError, RecursionError):
        return True  # no JSON object: the usual way reads it
    return says_it_failed(keys)


def _succeeded(status: Any) -> bool:
    """Whether a decoded ``response_status`` says success: the one place that decides it."""
    # Some servers leave response_status out of successful answers.
    if status is None:
        return True
    # An error sent with the success code must not pass for an empty page or a write done.
    if says_error(status):
        return False
    return status_code(status) == SUCCESS


def says_error(status: Any) -> bool:
    """Whether a decoded ``response_status`` has the severity ERROR, which the live server's
    clients take for a failure whatever the code, or is a word for one (``"error"``)."""
    if isinstance(status, dict):
        return _text(status.get("severity") or "").upper() == "ERROR"
    return failed_status(status)
