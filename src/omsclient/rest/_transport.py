"""Sending REST requests through the session and reading answers into models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import attrs
import httpx
import orjson

from omsclient._decoding import show, structure
from omsclient._json_read import loads
from omsclient._request import RequestSpec
from omsclient._responses import (
    decode_error,
    decode_json,
    json_kind,
    raise_for_status_behind,
)
from omsclient._session import MAYBE_APPLIED, Session
from omsclient._validate import id_text, unpadded
from omsclient._verdicts import folded, said_failed, said_no, says_it_failed, worked_state
from omsclient.errors import DecodeError, NotFoundError, StructureError, ValidationError
from omsclient.rest.models import Deletion

__all__ = ["Answer", "RestTransport", "id_segment"]

T = TypeVar("T")

# What may stand beside an answer's "data" in an envelope: Laravel's resources, and a verdict
# and message ({"success": true, "message": "Order created", "data": {...}}, JSend's
# {"status": "success", "data": {...}}).
_ENVELOPE_KEYS = frozenset({"data", "links", "meta", "success", "ok", "status", "message"})


def id_segment(value: object, name: str, operation: str) -> str:
    """``value`` as one URL path segment: every reserved character escaped.

    Raises:
        ValidationError: the id is not a non-blank string with a UTF-8 form or an integer the
            API can hold (64 bits), see :func:`~omsclient._validate.id_text`; it is an integer
            below 1, or a string with white space at either end; or it is ``.``
            or ``..``, which no path can hold: clients, proxies and servers resolve them as
            dot segments, escaped (``%2E``, the same character to them) or not, and the
            request would reach another resource (``DELETE /api/v1/orders/..`` the API's
            root).
    """
    text = id_text(value, f"{operation}: {name}")
    if isinstance(value, int) and value < 1:
        # No object of the API has one; the request would only ever answer 404.
        raise ValidationError(f"{operation}: {name} must be 1 or more, got {text}")
    unpadded(text, f"{operation}: {name}")
    if problem := dot_segment_problem(text, name):
        raise ValidationError(f"{operation}: {problem}")
    return quote(text, safe="")


def dot_segment_problem(value: object, name: str) -> str | None:
    """Why id ``value`` cannot be a URL path segment (it is ``.`` or ``..``), or None."""
    if value not in (".", ".."):
        return None
    return (
        f"{name} {value!r} cannot be sent in a URL path (it names the path's own or parent folder)"
    )


def item_path(path: str, value: object, name: str, operation: str) -> tuple[str, str]:
    """The path of the object ``value`` names under ``path`` (see :func:`id_segment`), and
    the id as sent, as an answer names it (an enum member's value, not its name)."""
    return f"{path}/{id_segment(value, name, operation)}", id_text(value, name)


def _is_json(response: httpx.Response) -> bool:
    """Whether ``response``'s body is JSON, or empty and labelled JSON (an order already gone
    answered with no body): a 404 that is the API's own. Empty and labelled otherwise, or not at
    all, it is what proxies and frameworks answer for a route they do not know (Envoy's, ASP.NET
    Core's), which a wrong ``rest_url`` reaches."""
    content = response.content
    if not content.strip():
        kind: str = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        return kind == "application/json" or kind.endswith("+json")
    try:
        loads(content)  # what orjson refuses though JSON allows it (1e400) too
    except orjson.JSONDecodeError:
        return False
    return True


def _wraps(answer: dict[Any, Any]) -> bool:
    """Whether ``answer`` is an envelope around its ``data``, which holds the object: no key
    beyond an envelope's, and none saying the call failed (such an answer is read whole, so
    that its verdict and reason stand)."""
    keys = folded(answer)
    status = keys.get("status")
    return (
        _ENVELOPE_KEYS.issuperset(keys)
        and not said_no(keys)
        and (status is None or worked_state(status))
    )


def _spec(method: str, path: str, operation: str, json: Any = None) -> RequestSpec:
    """One REST request: POST is marked non-idempotent, everything else idempotent."""
    return RequestSpec(
        api="rest",
        method=method,
        path=path,
        operation=operation,
        json=json,
        idempotent=method != "POST",
    )


def _another(made: object, names: Sequence[str], asked: str) -> tuple[str, object] | None:
    """The name and value of the id or UID by which ``made`` is another object than the one
    ``asked`` for, or None. An id asked for (digits) is compared with the answer's id, a UID
    with its UIDs, and with its id when that holds one (a server putting UIDs there); an
    answer holding only the other kind names no other object. An object with UIDs alone (an
    order) is compared by them, whatever its UID is made of."""
    held = {name: getattr(made, name) for name in names}
    held = {name: value for name, value in held.items() if isinstance(value, (int, str))}
    if any(_names_the_same(name, str(value), asked) for name, value in held.items()):
        return None
    if _is_digits(asked) and "id" in names:
        kind = {"id"}
    else:
        kind = {name for name in held if name != "id" or not _is_digits(str(held[name]))}
    return next(((name, value) for name, value in held.items() if name in kind), None)


def _other_value(made: object, name: str, sent: str) -> object | None:
    """``made``'s ``name`` if it holds one other than the ``sent`` value, else None. (No id is
    sent with white space at either end, which a server might trim.)"""
    value = getattr(made, name)
    if isinstance(value, (int, str)) and not _names_the_same(name, str(value), sent):
        return value
    return None


def _other_deleted(deletion: Deletion, name: str, asked: str) -> object | None:
    """The id by which ``deletion`` confirms another object's deletion than the one ``asked``
    for, or None. A category asked for by its UID and confirmed by its id (the spec's
    ``{"category_id": 1}``) names it by the other kind: taken. An order has UIDs alone, made
    of digits or not: always compared."""
    value = getattr(deletion, name)
    other_kind = isinstance(value, (int, str)) and _is_digits(str(value)) != _is_digits(asked)
    if other_kind and name != "order_uid":
        return None
    return _other_value(deletion, name, asked)


def _names_the_same(name: str, held: str, asked: str) -> bool:
    """Whether an answer's id or UID ``held`` (under ``name``) is the one ``asked``: ids as
    numbers ("07" is a server's 7, which reads path ids as integers), UIDs as text, made of
    digits or not ("0042" is another order than "42"), in either ASCII case (as servers look
    UUIDs up; casefold() would make "straße" "STRASSE"). A shop's own id
    (``ecommerce_order_id``), text the server stores as sent, must come back as sent."""
    if name.startswith("ecommerce_"):
        return held == asked
    if not name.endswith("uid") and _is_digits(held) and _is_digits(asked):
        # Not int(): past 4,300 digits it raises.
        return held.lstrip("0") == asked.lstrip("0")
    if held.isascii() and asked.isascii():
        return held.lower() == asked.lower()
    return held == asked


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


_NAMELESS = {
    "POST": "a create's answer naming nothing it made",
    "PUT": "an update's answer naming nothing it updated",
    "GET": "an answer naming nothing",
}


@attrs.frozen
class Answer:
    """A successful answer: its decoded JSON (None for an empty body; an envelope's
    ``data``), the response, and the envelope it came in, if any."""

    data: Any
    response: httpx.Response
    envelope: dict[str, Any] | None = None


class RestTransport:
    """Sends REST requests through the session; turns answers into models or typed errors."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        self.session: Session = session

    def located(self, path: str) -> str:
        """``path``, below the REST base URL, as the server sees it."""
        return self.session.full_path("rest", path)

    @property
    def store_id(self) -> str | None:
        """The client's default store id (``store_id=`` or ``OMS_STORE_ID``)."""
        return self.session.settings.store_id

    async def call(
        self,
        cls: type[T],
        method: str,
        path: str,
        operation: str,
        json: Any = None,
        *,
        names: Sequence[str] = ("uid", "id", "uuid"),
        asked: str | None = None,
        sent: tuple[str, str] | None = None,
    ) -> T:
        """Send one request and read the answer's JSON object as a ``cls``.

        An answer read as a class with a ``uid``, an ``id`` or a ``uuid`` (or another of the
        ``names`` given) must hold one of them: what was made, updated or asked for. The spec
        says a product's create answers with "the auto-generated UUID", and a print file's
        answer with its status. The call for one object (the id or UID it was ``asked`` by)
        must not be answered about another, nor an answer hold another value of a field
        ``sent`` (its name and the value sent) than the one sent.

        Raises:
            DecodeError: the answer is not a JSON object, does not fit ``cls``, or names no
                object (``maybe_applied`` for a write: it may have been applied).
            ApiError: the server refused (a subclass per HTTP status).
        """
        fields = attrs.fields_dict(cls)  # type: ignore[arg-type]
        names = [name for name in names if name in fields]

        def parse(response: httpx.Response, spec: RequestSpec) -> T:
            answer = self._parse(response, spec)
            made = self.read(answer, cls, spec)
            extra = folded(getattr(made, "extra", None) or {})
            if said_no(extra):
                # {"success": false, "status": 404, ...} with HTTP 200: whatever the keys the
                # model reads say, the answer says it failed (a print file's would be polled as
                # one not ready until the waiter's timeout). Before the check that it names its
                # object, which would say so without the reason.
                raise self._decode_error(spec, answer, said_failed(extra))
            if names and all(getattr(made, name) is None for name in names):
                # An empty object, or one of another shape: returned as it is, it would read
                # as done, with no id to find the object by.
                missing = ", ".join(names[:-1]) + " or " * (len(names) > 1) + names[-1]
                raise self._decode_error(spec, answer, f"{_NAMELESS[method]} (no {missing})")
            other = None if asked is None else _another(made, names, asked)
            if other is not None:
                # A cache's or a proxy's answer for another path: handed back, an update would
                # read as applied to the object asked for.
                name, value = other
                wanted = asked if name == "id" else show(asked)
                about = f"an answer about {name} {show(value)}, not {name} {wanted}"
                raise self._decode_error(spec, answer, about)
            if sent is not None and (value := _other_value(made, *sent)) is not None:
                # Another create's answer: its UID kept would name someone else's order.
                name, text = sent
                about = f"an answer about {name} {show(value)}, not {name} {show(text)}"
                raise self._decode_error(spec, answer, about)
            return made

        return await self.session.send(_spec(method, self.located(path), operation, json), parse)

    async def delete(self, path: str, operation: str, **ids: str | int) -> Deletion:
        """Send a DELETE; an empty answer (HTTP 204) gives a :class:`Deletion` of ``ids``.

        Raises:
            NotFoundError: nothing to delete. When an earlier attempt of the call may have
                reached the server (``maybe_applied``), the message says that attempt may have
                deleted it.
        """

        def parse(response: httpx.Response, spec: RequestSpec) -> Deletion:
            answer = self._parse(response, spec)
            # The 2xx status confirms the deletion; an empty answer (no body, or PHP's empty
            # object [] or {}) or one naming no id is a Deletion of the id asked.
            if answer.data is None or answer.data == []:
                return Deletion(**ids)  # type: ignore[arg-type]
            deletion = self.read(answer, Deletion, spec)
            if says_it_failed(deletion.extra):
                # A refusal sent with the wrong status, which the 2xx alone would have taken for
                # the deletion done.
                raise self._decode_error(spec, answer, "a delete's answer saying it failed")
            said = (answer.envelope or {}).get("message")
            if deletion.message is None and isinstance(said, str):
                # {"success": true, "message": "Order deleted", "data": {...}}: the envelope's.
                deletion = attrs.evolve(deletion, message=said)
            if deletion.id is None:
                return attrs.evolve(deletion, **ids)  # type: ignore[arg-type]
            for name, asked in ids.items():
                value = _other_deleted(deletion, name, id_text(asked, name))
                if value is not None:
                    # The server may have deleted another object than the one asked for.
                    about = f"an answer about {name} {show(value)}, not {name} {show(asked)}"
                    raise self._decode_error(spec, answer, about)
            return deletion

        try:
            return await self.session.send(_spec("DELETE", self.located(path), operation), parse)
        except NotFoundError as exc:
            # A 404 says nothing was done; ``maybe_applied`` still True means an earlier
            # attempt may have reached the server and deleted it, its answer lost on the way
            # back. Said in the message, so a log line does not read "never existed".
            if exc.maybe_applied:
                # In place of the session's general words: these say what may have happened.
                exc.args = (
                    f"{str(exc.args[0]).removesuffix(MAYBE_APPLIED)}; an earlier attempt may "
                    f"have deleted it (its answer was lost, {exc.attempts} attempts)",
                    *exc.args[1:],
                )
            raise

    def read(self, answer: Answer, cls: type[T], spec: RequestSpec) -> T:
        """Structure the answer's object into ``cls``; anything else is a :class:`DecodeError`.

        Run inside the session's call (as its parse step), so the error carries the answer
        and the attempts like any other; the server would send the same answer again, so it
        is not transient.
        """
        data = answer.data
        if not isinstance(data, dict):
            empty = data is None and not answer.response.content.strip()
            what = "an empty body" if empty else f"a JSON {json_kind(data)}"
            raise self._decode_error(spec, answer, f"{what} where an object was expected")
        try:
            return structure(data, cls)
        except StructureError as exc:
            error = self._decode_error(
                spec, answer, f"a body that does not fit: {'; '.join(exc.errors)}"
            )
            # The errors quote values from the answer, which may echo a secret.
            raise error from self.session.redact.error(exc)

    def _decode_error(self, spec: RequestSpec, answer: Answer, problem: str) -> DecodeError:
        return decode_error(answer.response, spec, self.session.redact, problem, transient=False)

    def _parse(self, response: httpx.Response, spec: RequestSpec) -> Answer:
        # The API answers JSON (it is asked for it), its 404s too.
        raise_for_status_behind(
            response,
            spec,
            self.session.redact,
            sent_by_the_api=_is_json,
            body="a body that is not JSON",
            setting="rest_url",
        )
        if response.status_code == 204 or (spec.method == "DELETE" and not response.content):
            return Answer(None, response)
        data = decode_json(response, spec, self.session.redact)
        if type(data) is dict and isinstance(data.get("data"), dict) and _wraps(data):
            return Answer(data["data"], response, envelope=data)
        return Answer(data, response)
