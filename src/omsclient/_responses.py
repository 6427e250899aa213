"""From an HTTP response to JSON, or to the error the response stands for."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from typing import Any, NoReturn

import httpx
import orjson

from omsclient._decoding import show
from omsclient._json_read import loads, past_orjsons_depth
from omsclient._redact import Redactor, text_of
from omsclient._request import RequestSpec
from omsclient._retry import longest_retry_after
from omsclient._validate import escape_invisible
from omsclient.errors import (
    ApiError,
    AuthenticationError,
    DecodeError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)

__all__ = [
    "decode_error",
    "decode_json",
    "error_for_status",
    "json_kind",
    "looks_like_html",
    "one_line",
    "raise_for_status",
    "raise_for_status_behind",
    "reason_of",
    "snippet",
    "without_quoted_bytes",
]

_SNIPPET = 200
_DETAIL = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def one_line(text: str, limit: int = _DETAIL) -> str:
    """Server text as an error message quotes it: on one line without control characters (a
    line break would start a forged log line, an escape sequence repaint the terminal), a lone
    surrogate as its escape (no stream or log file in UTF-8 could write it), and so every
    other character a reader cannot see (a right-to-left override shows ``exe.txt`` as
    ``txt.exe``, a zero-width space hides in a name), and cut at ``limit`` characters (every
    retry logs the message). The error's attributes keep the text whole."""
    text = text.encode("utf-8", "backslashreplace").decode()
    flat = " ".join(_CONTROL.sub(" ", text).split())
    if not flat.isascii():
        flat = escape_invisible(flat)
    return flat if len(flat) <= limit else f"{flat[:limit]}... ({len(flat)} characters)"


# Where an HTTP parser starts quoting what it read: llhttp's "reason:\n\n  b'...'\n  ^",
# aiohttp's pure-Python parser's "Bad status line 'b...'" and "...: b'...'", h11's
# "illegal header line: bytearray(b'...')".
_QUOTED = re.compile(r"""(?::\n\n|(?:^|[\s:(])(?:bytearray\()?b?['"])""")


def without_quoted_bytes(message: str) -> str:
    """What an HTTP parser says of a malformed answer, without the bytes it quotes: the page
    read so far (13 KB of customers' names and addresses in a chunk that failed, a body an
    earlier answer left behind), which the error's message and each retry's log line would
    carry. "Expected LF after chunk data", "illegal header line"."""
    found = _QUOTED.search(message)
    return (message if found is None else message[: found.start()]).rstrip(" :.,")


_URL_SHOWN = 2048
"""The characters of a redirect's Location its error quotes: a long sign-in URL whole."""

_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: InvalidRequestError,
    429: RateLimitError,
}


def error_for_status(status: int) -> type[ApiError] | None:
    """The error class an HTTP error status stands for (401 :class:`AuthenticationError`...),
    None for one no class of its own names."""
    return _STATUS_ERRORS.get(status)


_KINDS = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number"}


def json_kind(value: Any) -> str:
    """What JSON calls ``value``'s kind (``null``, ``array``), as a message names it to a
    reader of the server's answer, who knows no Python type."""
    return "null" if value is None else _KINDS.get(type(value), "number")


def looks_like_html(response: httpx.Response) -> bool:
    """Whether the answer is an HTML page (a login page, a proxy's error page): a body that
    starts with ``<``, as the clients written against the live server tell one.

    Not its ``Content-Type``: PHP labels what it sends ``text/html`` unless told otherwise, so
    a JSON answer (or an empty one, from a script that died before writing) may come labelled
    so, and it is read for what it is.
    """
    return response.content.lstrip().removeprefix(codecs.BOM_UTF8).lstrip()[:1] == b"<"


def snippet(response: httpx.Response, redact: Redactor) -> str:
    """The first characters of ``response``'s body, secrets redacted."""
    # Redacted before it is cut, so a secret across the cut leaves no prefix behind; the margin
    # covers the longest form of a secret in UTF-8.
    window = response.content[: 4 * (_SNIPPET + redact.longest) + 4096]
    return redact(text_of(window, response.charset_encoding))[:_SNIPPET]


def decode_json(response: httpx.Response, spec: RequestSpec, redact: Redactor) -> Any:
    """Parse the body as JSON, or raise :class:`DecodeError` saying what came instead."""
    content = response.content
    problem = None
    transient = None
    if not content.strip():
        problem = "an empty body"
    elif looks_like_html(response):
        problem = (
            "an HTML page (often a login page: check the URL, the credentials "
            "and that the API is enabled)"
        )
    else:
        try:
            return loads(content)
        except orjson.JSONDecodeError as exc:
            broken = _broken_utf8(content) if "UTF-8" in exc.msg else None
            if broken == "cut short":
                problem = f"a body cut short inside a character (byte {len(content)})"
            elif broken is not None:
                # Text in another charset (Latin-1 from a PHP server): the same answer would
                # come again, and a refused login retried could lock the account.
                transient = False
                where = _holding_no_utf8(content)
                problem = f"{broken} ({_charset(response)}JSON is UTF-8){where}"
            else:
                # A body cut short ends where orjson ran out of data, even one nested deep;
                # orjson's own depth limit would be reached again.
                transient = False if past_orjsons_depth(exc) else None
                hint = "; cut short?" if "end of data" in exc.msg else ""
                problem = f"invalid JSON ({exc.msg} at byte {exc.pos} of {len(content)}{hint})"
    raise decode_error(
        response, spec, redact, f"{problem} where JSON was expected", transient=transient
    )


def _broken_utf8(content: bytes) -> str | None:
    """Where ``content`` holds bytes that are no UTF-8 (orjson says only that it does, at byte
    0), ``"cut short"`` when it ends inside a character, None when it is UTF-8."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            return "cut short"
        return f"bytes that are no UTF-8 at byte {exc.start} of {len(content)}"
    return None


# Each byte that is no UTF-8, as ``surrogateescape`` reads it.
_NO_UTF8 = re.compile("[\udc80-\udcff]")
_PLAIN_KEY = re.compile(r"\w{1,40}", re.ASCII)


def _holding_no_utf8(content: bytes) -> str:
    """Where the first value (or key) holding bytes that are no UTF-8 is, and the
    ``order_id`` of the order around it (``", in $.orders[61].job_name of the order with
    order_id 'INV61',"``), so that one order of a page of a hundred can be found and mended;
    ``""`` when the body is no JSON even so."""
    try:
        value = json.loads(content.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError):
        return ""
    # Walked in the body's order, without recursion (JSON nests past Python's stack).
    pending: list[tuple[Any, str, Any]] = [(value, "$", None)]
    while pending:
        item, path, order_id = pending.pop()
        if isinstance(item, dict):
            order_id = item.get("order_id", order_id)
            inside = []
            for key, inner in item.items():
                name = f".{key}" if _PLAIN_KEY.fullmatch(key) else "[a key]"
                if _NO_UTF8.search(key):
                    return _place(f"{path}{name}", order_id)
                inside.append((inner, f"{path}{name}", order_id))
            pending += reversed(inside)
        elif isinstance(item, list):
            pending += reversed([(x, f"{path}[{n}]", order_id) for n, x in enumerate(item)])
        elif isinstance(item, str) and _NO_UTF8.search(item):
            return _place(path, order_id)
    return ""


def _place(path: str, order_id: Any) -> str:
    owner = "" if order_id is None else f" of the order with order_id {show(order_id)}"
    return f", in {path}{owner},"


def _charset(response: httpx.Response) -> str:
    charset = response.charset_encoding
    return f"its Content-Type says charset={charset[:40]}; " if charset else ""


def decode_error(
    response: httpx.Response,
    spec: RequestSpec,
    redact: Redactor,
    problem: str,
    *,
    transient: bool | None = None,
) -> DecodeError:
    """A :class:`DecodeError` saying the answer to ``spec`` came with ``problem``.

    ``transient`` says whether a retry may get a good answer; left out, it is true except for
    an HTML page (a login page, a wrong URL), which the same request would get again.
    """
    if transient is None:
        transient = not looks_like_html(response)
    return DecodeError(
        redact(
            f"{spec.operation}: {spec.method} {spec.path} answered HTTP {response.status_code} "
            f"with {problem}"
        ),
        operation=spec.operation,
        method=spec.method,
        path=spec.path,
        status_code=response.status_code,
        content_type=response.headers.get("content-type", ""),
        snippet=snippet(response, redact),
        transient=transient,
    )


def raise_for_status_behind(
    response: httpx.Response,
    spec: RequestSpec,
    redact: Redactor,
    *,
    sent_by_the_api: Callable[[httpx.Response], bool],
    body: str,
    setting: str,
) -> None:
    """:func:`raise_for_status`, but a 404 whose body the API would not send (``body``, "a
    body that is not JSON") is a :class:`DecodeError` saying to check ``setting``: it comes
    from a web server or proxy in front of the API (a wrong URL), and the object may well
    exist, where a NotFoundError would be taken for "already deleted"."""
    if response.status_code == 404 and not sent_by_the_api(response):
        what = "an HTML page" if looks_like_html(response) else body
        raise decode_error(
            response,
            spec,
            redact,
            f"{what}, not the API's answer (a web server or proxy answered: check {setting})",
            transient=False,
        )
    raise_for_status(response, spec, redact)


def raise_for_status(response: httpx.Response, spec: RequestSpec, redact: Redactor) -> None:
    """Return on 2xx; raise the :class:`ApiError` subclass an HTTP error status stands for, and
    a :class:`DecodeError` for a redirect or an informational (1xx) status."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status < 200:
        # httpx refuses a 101 to a request that asked for no upgrade; aiohttp hands it on as
        # the answer. It is none: a deletion it "confirmed" was never confirmed.
        raise decode_error(
            response,
            spec,
            redact,
            "an informational status and no final answer after it",
            transient=False,
        )
    if status < 400:
        # Redirects are not followed (a POST would come back a GET, its form lost), and a 3xx
        # is no answer to read: not a deletion done, nor a body cut short to retry. The server
        # may have acted before redirecting (POST-redirect-GET), so a write may have applied.
        location = response.headers.get("location")
        # On one line: a header's text may hold line separators and controls, as a body's may.
        where = f"to {one_line(redact(location), _URL_SHOWN)}" if location else "with no Location"
        raise decode_error(
            response,
            spec,
            redact,
            f"a redirect {where}, which is not followed (check the URL: https, the path)",
            transient=False,
        )
    _raise_http_error(response, spec, redact)


# Where an error object gives its reason, the first that does: Laravel's and most APIs'
# message or error, RFC 7807's detail (or its title alone), JSON:API's error objects' too.
_REASON_KEYS = ("message", "error", "detail", "msg", "title")


def _reason(value: Any) -> str:
    """The text of an error body's reason: a string, a list of them, or an object's message
    (under the first of :data:`_REASON_KEYS` that gives one)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return next(filter(None, (_reason(value.get(key)) for key in _REASON_KEYS)), "")
    if isinstance(value, list):
        return "; ".join(r for r in map(_reason, value) if r)
    return ""


def reason_of(body: dict[Any, Any]) -> str:
    """The reason an answer's keys give for a failure, as an error body's would: its message
    (or error, detail...), else its list of ``errors``; "" when it gives none."""
    return _reason(body) or _reason(body.get("errors"))


def _field_errors(errors: dict[Any, Any]) -> dict[str, list[str]]:
    """Field errors by field, a nested object's by dotted path (``customer.email``): a
    field's messages as text, or as objects giving their ``message``, under its name; a list
    of objects holding fields of their own (one per item sent) by index
    (``order_items.1.uid``), a ``null`` entry (an item with nothing wrong) giving none."""
    out: dict[str, list[str]] = {}
    # Every field in ``out`` and each path leading to it ("items", "items.0"): looked up, not
    # searched for, as an answer may name tens of thousands of fields.
    named: set[str] = set()

    def field(where: str) -> list[str]:
        if where not in out:
            named.update(where[:i] for i, char in enumerate(where) if char == ".")
            named.add(where)
        return out.setdefault(where, [])

    def add(where: str, value: Any) -> None:
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            field(where).append(value["message"].strip())
        elif isinstance(value, dict):
            for key, item in value.items():
                add(f"{where}.{key}", item)
            if not value:
                field(where)  # the field named, no message given
        elif isinstance(value, list):
            for i, item in enumerate(value):
                nested = (
                    isinstance(item, dict) and item and not isinstance(item.get("message"), str)
                )
                add(f"{where}.{i}" if nested else where, item)
            if where not in named:
                field(where)  # the field named, no message given
        elif value is not None:
            field(where).append(str(value))

    for key, value in errors.items():
        add(str(key), value)
    return {where: [m for m in messages if m] for where, messages in out.items()}


def _listed_errors(errors: list[Any]) -> tuple[list[str], dict[str, list[str]]]:
    """A list of ``errors``: the reasons naming no field, and the others by field.

    ``[{"field": "items.0.quantity", "message": "..."}]`` is the list form of Laravel's
    ``{"items.0.quantity": ["..."]}``: without its field a message does not say which of the
    values sent it is about.
    """
    reasons: list[str] = []
    by_field: dict[str, list[str]] = {}
    for entry in errors:
        field = _field_of(entry) if isinstance(entry, dict) else None
        message = _reason(entry)
        if field and message:
            by_field.setdefault(field, []).append(message)
        elif message:
            reasons.append(message)
    return reasons, by_field


def _field_of(entry: dict[Any, Any]) -> str | None:
    """The field an error object names: its ``field``, JSON:API's ``source.pointer``
    (``/data/attributes/name`` is ``name``) or FastAPI's ``loc`` (``["body", "items", 0]`` is
    ``items.0``), or None."""
    field = entry.get("field")
    if isinstance(field, (str, int)) and not isinstance(field, bool):
        return str(field)
    source = entry.get("source")
    pointer = source.get("pointer") if isinstance(source, dict) else None
    if isinstance(pointer, str) and pointer.strip("/"):
        return pointer.removeprefix("/data/attributes/").strip("/").replace("/", ".")
    loc = entry.get("loc")
    # Names and indexes alone: a null or an object in it read as "None.{'a': 1}".
    if isinstance(loc, list) and loc and all(_name_or_index(part) for part in loc):
        where = loc[1:] if len(loc) > 1 and loc[0] in ("body", "query", "path") else loc
        return ".".join(str(part) for part in where)
    return None


def _name_or_index(part: object) -> bool:
    return isinstance(part, (str, int)) and not isinstance(part, bool)


def _details(body: Any, response: httpx.Response) -> tuple[str, dict[str, list[str]]]:
    """The message's detail and the field errors an error answer's body gives."""
    detail = ""
    field_errors: dict[str, list[str]] = {}
    if isinstance(body, dict):
        errors = body.get("errors")
        listed = body.get("detail")
        if errors is None and isinstance(listed, list) and any(isinstance(e, dict) for e in listed):
            # FastAPI's validation errors: [{"loc": ["body", "name"], "msg": ...}].
            errors, body = listed, {k: v for k, v in body.items() if k != "detail"}
        # The spec shows no error body: the reason may be a string, a list of them, or an
        # object holding one, under "message", "error" (OAuth's beside its description),
        # "detail" or a list of "errors"; field errors an object of them by field, or objects
        # naming their field in the list.
        reasons = [_reason(body), _reason(body.get("error_description"))]
        status = body.get("response_status")
        if isinstance(status, dict):
            # The legacy API's envelope in a 5xx (a 4xx is read by its code): its description.
            reasons.append(_reason(status.get("description")))
        try:
            if isinstance(errors, list):
                unplaced, field_errors = _listed_errors(errors)
                reasons += unplaced
            elif isinstance(errors, dict):
                field_errors = _field_errors(errors)
        except RecursionError:
            # Field errors nested past Python's stack: the message above still says why.
            field_errors = {}
        reason = "; ".join(r for r in reasons if r)
        if reason:
            detail = f": {one_line(reason)}"
        if field_errors:
            by_field = "; ".join(f"{k}: {', '.join(v)}" for k, v in field_errors.items())
            detail += f" ({one_line(by_field)})"
    elif isinstance(body, list) and _reason(body):
        detail = f": {one_line(_reason(body))}"
    elif isinstance(body, str) and body.strip() and not looks_like_html(response):
        # A reason in plain text (an HTML page would only add markup to the message).
        detail = f": {one_line(body)}"
    return detail, field_errors


def _raise_http_error(response: httpx.Response, spec: RequestSpec, redact: Redactor) -> NoReturn:
    status = response.status_code
    body: Any
    try:
        # As an answer's body is read: a number past a double's range or a lone surrogate,
        # which orjson refuses, must not turn the body into its snippet and lose its reasons.
        body = loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        body = snippet(response, redact)
    body = redact.value(body)
    try:
        detail, field_errors = _details(body, response)
    except RecursionError:
        # Reasons nested past Python's stack (orjson reads 1,024 levels): the status still
        # says what went wrong, and the body is kept as sent.
        detail, field_errors = "", {}
    cls = error_for_status(status) or (ServerError if status >= 500 else ApiError)
    raise cls(
        f"{spec.operation}: {spec.method} {spec.path} failed with HTTP {status}{detail}",
        operation=spec.operation,
        method=spec.method,
        path=spec.path,
        status_code=status,
        body=body,
        field_errors=field_errors,
        retry_after=longest_retry_after(response.headers.get_list("retry-after")),
    )
