"""Checks of the plain values a caller hands in: numbers, dates and JSON bodies.

Every argument check of the SDK that is about a value's kind or range goes through here, so a
bool is never taken for a number, NaN never for a length of time, and a value the API cannot
hold is refused with a :class:`~omsclient.ValidationError` before anything is sent.

The checks return the plain ``int`` or ``str`` a value stands for, and callers send that: an
``IntEnum`` member's ``str()`` is its name on Python 3.10, a ``(str, Enum)`` member's on every
Python, and a form or a URL built with ``str()`` would carry the name instead of the value.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timezone
from typing import Any, cast

import orjson

from omsclient.errors import OmsError, ValidationError

__all__ = [
    "API_YEARS",
    "INT64_MAX",
    "INT64_MIN",
    "JSON_DEPTH",
    "OutsideTheYears",
    "api_datetime",
    "check_int",
    "check_text",
    "escape_invisible",
    "finite",
    "id_text",
    "int_problem",
    "invisible",
    "is_collection",
    "json_problems",
    "nesting_problems",
    "number_problem",
    "padded_problem",
    "positive_int",
    "positive_seconds",
    "shown",
    "text_problem",
    "unpadded",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
API_YEARS = range(1000, 10000)
"""Years the servers store (a MySQL ``DATETIME``: 1000-01-01 to 9999-12-31)."""
JSON_DEPTH = 254
"""The most objects and arrays a JSON body nests one inside another: the most orjson writes
(past it, a ``TypeError`` naming nothing), the body's own object counted."""


_SHOWN = 200
"""The most of a repr an error message quotes."""


def shown(value: object) -> str:
    """``value`` as an error message quotes it: its repr, but for values whose repr fails.

    An integer beyond 64 bits is described, not printed (its repr fails past 4,300 digits, a
    ``ValueError`` naming no argument), and so is a value whose repr fails: a container nested
    past Python's stack (``RecursionError``) or one holding such an integer. A long repr is
    cut at 200 characters.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        # 2**63 .. 2**64 - 1 is printed: "beyond 64 bits" would be untrue of it.
        return "an integer beyond 64 bits"
    try:
        text = repr(value)
    except RecursionError:
        return f"a {type(value).__name__} nested too deep to show"
    except ValueError:
        return f"a {type(value).__name__} that cannot be shown"
    if len(text) > _SHOWN:
        # A megabyte of bytes where text belongs, or a list nested deeper than Python 3.13
        # still prints: the message names the problem, it need not carry the value whole.
        return f"{text[:_SHOWN]}... ({len(text):,} characters)"
    return text


def is_collection(value: object) -> bool:
    """Whether ``value`` holds values a call takes one by one: an iterable, but not a text or
    bytes-like one, read by character or by byte (a ``bytearray`` of ``b"12"`` as the ids 49
    and 50), nor a mapping, read by its keys whatever its values meant."""
    return isinstance(value, Iterable) and not isinstance(
        value, (str, bytes, bytearray, memoryview, Mapping)
    )


def finite(value: float) -> bool:
    """Whether the number ``value`` is finite as a float: NaN and infinity are not, nor is an
    int too large to be made a float of (which would raise ``OverflowError``)."""
    if isinstance(value, int):
        return value.bit_length() <= 1023
    return math.isfinite(value)


def positive_seconds(value: object, name: str, error: type[OmsError] = ValidationError) -> float:
    """``value`` as a finite number of seconds above zero; NaN, infinity and bools are refused."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not finite(value)
        or value <= 0
    ):
        raise error(f"{name} must be a finite number of seconds above 0, got {shown(value)}")
    return float(value)


def positive_int(
    value: object, name: str, error: type[OmsError] = ValidationError, most: int = INT64_MAX
) -> int:
    """``value`` as a plain integer >= 1 and <= ``most`` (by default within 64 bits: one of
    thousands of digits cannot even be printed); bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise error(f"{name} must be an integer >= 1, got {shown(value)}")
    if value > most:
        raise error(f"{name} must be an integer 1..{most:,}, got {shown(value)}")
    return int(value)


def int_in_range(value: object, name: str, low: int, high: int) -> int:
    """``value`` as a plain integer ``low..high``; bools are refused, a huge one is not printed."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be an integer {low}..{high}, got {shown(value)}")
    return int(value)


def int_problem(value: object, name: str, minimum: int = INT64_MIN) -> str | None:
    """What keeps ``value`` from being an integer the API can hold, or None when nothing does.

    The API holds signed 64-bit integers; ``minimum`` raises the floor (1 for ids). Bools,
    floats and other kinds are refused. The range is checked before the number is ever
    printed, so an integer of thousands of digits gets this message rather than Python's
    limit on converting it to text.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} must be a finite integer, got {value}"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{name} must be an integer, got {type(value).__name__}"
    if not INT64_MIN <= value <= INT64_MAX:
        return f"{name} is out of range: the API takes 64-bit integers"
    if value < minimum:
        return f"{name} must be an integer >= {minimum}, got {value}"
    return None


def check_int(value: object, name: str, minimum: int = INT64_MIN) -> int:
    """``value`` as a plain integer the API can hold (see :func:`int_problem`).

    Raises:
        ValidationError: naming ``name`` and what is wrong with the value.
    """
    problem = int_problem(value, name, minimum)
    if problem is not None:
        raise ValidationError(problem)
    return int(cast(int, value))  # int_problem let only an int through


def text_problem(value: str, name: str) -> str | None:
    """What keeps ``value`` from having a UTF-8 form, the one every request is sent in, or None.

    A lone surrogate (bytes that were no UTF-8 read with ``surrogateescape``, or a JSON
    ``"\\udce9"``) has none: the request could not be encoded when sent, a
    ``UnicodeEncodeError`` or the JSON encoder's ``TypeError``, naming no field. The value
    itself is not quoted (the message could not be printed either), only the character and
    where it is.
    """
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        return (
            f"{name} holds a lone surrogate (U+{ord(value[exc.start]):04X}) at {exc.start}: "
            "it is no text that can be sent (bytes that were no UTF-8?)"
        )
    return None


def check_text(value: str, name: str, error: type[OmsError] = ValidationError) -> str:
    """``value`` as a plain ``str``, once it is known to have a UTF-8 form (see
    :func:`text_problem`).

    Raises:
        ValidationError: naming ``name``, the surrogate and its position.
    """
    problem = text_problem(value, name)
    if problem is not None:
        raise error(problem)
    return str.__str__(value)  # the text itself, not an enum member's name


def id_text(value: object, name: str, error: type[OmsError] = ValidationError) -> str:
    """``value``, an id given as a str or an int, as the text sent for it.

    An int becomes its digits once it is known to fit the API's 64 bits (an ``IntEnum``
    member's ``str()`` would be its name on Python 3.10); a str must be non-blank text with a
    UTF-8 form. Every id the SDK takes either way (the client's ``store_id``, a create's, an id
    in a REST path) goes through here, so each is refused in the same words.

    Raises:
        ValidationError: (or ``error``) naming ``name`` and what is wrong with the value.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise error(f"{name} must be a str or an int, got {type(value).__name__}")
    if isinstance(value, int):
        problem = int_problem(value, name)
        if problem is not None:
            raise error(problem)
        return str(int(value))
    text = check_text(value, name, error)
    if not text.strip():
        raise error(f"{name} must not be blank")
    return text


def unpadded(text: str, name: str) -> str:
    """``text``, refused if white space begins or ends it.

    An id copied with a space or read from a file with its newline names nothing, and a
    server may read it as it is or stripped: it is refused rather than sent either way.

    Raises:
        ValidationError: naming ``name``.
    """
    problem = padded_problem(text, name)
    if problem is not None:
        raise ValidationError(problem)
    return text


def padded_problem(text: object, name: str) -> str | None:
    """What :func:`unpadded` refuses in ``text`` (white space at either end), or None; None
    for what is no text."""
    if isinstance(text, str) and text != text.strip():
        return f"{name} must not begin or end with white space"
    return None


def number_problem(value: object, name: str) -> str | None:
    """What keeps ``value`` from being a number JSON can carry to the API, or None.

    Ints and floats are numbers, bools are not; NaN and infinity are refused (JSON has no such
    number and encoders quietly send ``null``), and so are integers beyond 64 bits.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{name} must be a number, got {type(value).__name__}"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{name} must be finite, got {value}"
    return int_problem(value, name)


class OutsideTheYears(ValidationError):
    """A date the API cannot store: its year in UTC is outside :data:`API_YEARS`."""


def api_datetime(value: datetime | date, name: str) -> datetime:
    """``value`` as a naive UTC datetime in the years the API stores.

    Aware datetimes are converted to UTC; a naive one is taken to be UTC already; a ``date``
    means its midnight.
    """
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    # Naive is what Python calls naive: no tzinfo, or one that gives no offset, which
    # astimezone() would read in the machine's zone.
    if value.utcoffset() is None:
        value = value.replace(tzinfo=None)
    else:
        try:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise OutsideTheYears(f"{name} {value.isoformat()} is out of range in UTC") from None
    if value.year not in API_YEARS:
        raise OutsideTheYears(
            f"{name} {value.isoformat()} is outside the years the API stores "
            f"({API_YEARS.start}..{API_YEARS.stop - 1})"
        )
    return value


def _scalar_problem(value: Any, where: str) -> str | None:
    """What keeps ``value``, no object or array, from being sent as is, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return text_problem(value, where)
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where} must be finite, got {value}"
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return None
        return f"{where} is out of range: the API takes 64-bit integers"
    try:
        # Whatever else the encoder writes (a datetime, an enum, a UUID) is sent as it writes it.
        orjson.dumps(value)
    except TypeError:
        return f"{where} is a {type(value).__name__}, which JSON cannot carry"
    return None


def _members(value: Any, where: str, out: list[str] | None) -> Iterator[tuple[Any, str]]:
    """Each member of an object or array with its path. Keys that JSON cannot carry go to
    ``out`` instead; with no ``out``, they are walked too."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if out is None:
                name = key if isinstance(key, str) else f"<{type(key).__name__} key>"
            elif not isinstance(key, str):
                # The key is not quoted: it may be anything, a secret included.
                kind = type(key).__name__
                out.append(f"{where or 'value'} has a key of type {kind}: JSON keys are strings")
                continue
            elif (problem := text_problem(key, f"{where or 'value'} has a key that")) is not None:
                out.append(problem)
                continue
            else:
                name = key
            yield item, f"{where}.{name}" if where else name
    else:
        for i, item in enumerate(value):
            yield item, f"{where}[{i}]"


def json_problems(value: Any, where: str = "", around: int = 0) -> list[str]:
    """What in a JSON-ready value cannot be sent as is: NaN or infinity (JSON has no such
    number, and encoders quietly send ``null``), integers beyond 64 bits, keys that are no
    strings, text with no UTF-8 form, values the encoder cannot write (a ``Decimal``, a
    ``set``), and the nestings of :func:`nesting_problems` (``around`` as there)."""
    return _walk(value, where, around, scalars=True)


def nesting_problems(value: Any, where: str = "", around: int = 0) -> list[str]:
    """What in the objects and arrays of ``value`` cannot be sent: one that holds itself, and
    one nested deeper than :data:`JSON_DEPTH`, ``around`` counting the objects and arrays of
    the body around ``value``. Other values, keys included, are not checked.

    A nesting too deep is named by ``where`` (or, for a whole body, by the body's field
    holding it), not by the path down to it, hundreds of keys long.
    """
    return _walk(value, where, around, scalars=False)


def _walk(value: Any, where: str, around: int, *, scalars: bool) -> list[str]:
    # Without recursion: a value nested past Python's stack is named too.
    out: list[str] = []
    # The objects and arrays being walked, outermost first (each one's members, and its id),
    # and the path of each by its id: one met again inside itself holds itself.
    walking: list[tuple[Iterator[tuple[Any, str]], int]] = []
    on_path: dict[int, str] = {}
    top = ""  # in a whole body, the field being walked
    too_deep: set[str] = set()

    def enter(item: Any, path: str) -> None:
        if not isinstance(item, (Mapping, list, tuple)):
            problem = _scalar_problem(item, path or "value") if scalars else None
            if problem is not None:
                out.append(problem)
            return
        name = path or "value"
        if id(item) in on_path:
            out.append(f"{on_path[id(item)]} refers to itself (at {name}), which JSON cannot carry")
            return
        if around + len(walking) >= JSON_DEPTH:
            field = where or top or name
            if field not in too_deep:  # once for each field, however many branches are
                too_deep.add(field)
                out.append(
                    f"{field} nests deeper than {JSON_DEPTH} levels, which JSON bodies cannot"
                )
            return
        on_path[id(item)] = name
        walking.append((_members(item, path, out if scalars else None), id(item)))

    enter(value, where)
    while walking:
        members, container = walking[-1]
        step = next(members, None)
        if step is None:
            walking.pop()
            del on_path[container]
            continue
        if not where and len(walking) == 1:
            top = step[1]
        enter(*step)
    return out


# What shows nothing, or is acted on rather than shown: controls (an escape sequence repaints a
# terminal), line and paragraph separators, and format characters (a byte order mark, a
# zero-width space, a right-to-left override). Not the joiners, which emoji and scripts such
# as Persian write with and which show as what they join.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_JOINERS = frozenset("\u200c\u200d")


def invisible(char: str) -> bool:
    """Whether ``char`` is one a reader cannot see: a control, a line or paragraph separator,
    a format character other than the joiners, or a lone surrogate (a byte that was no UTF-8,
    which a stream writes as it pleases)."""
    return unicodedata.category(char) in _INVISIBLE and char not in _JOINERS


_BREAKING = frozenset({"Cc", "Cs", "Zl", "Zp"})
_STRAY = frozenset("\u200b\ufeff")


def stray_problem(text: str, name: str) -> str | None:
    """The first character of ``text`` no typed text holds, named with where it is, or None:
    a control (a line break, a NUL), a line or paragraph separator, a lone surrogate, a
    zero-width space or a byte order mark (pasted in, or left by a file read as utf-8). Not the
    other format characters a name may hold (a soft hyphen, a right-to-left mark, a flag
    emoji's tags), which :func:`invisible_problem` refuses in an id."""
    return _first_hidden(text, name, _stray)


def invisible_problem(text: str, name: str) -> str | None:
    """The first character of ``text`` that :func:`invisible` flags, named with where it is, or
    None."""
    return _first_hidden(text, name, invisible)


def _stray(char: str) -> bool:
    return char in _STRAY or unicodedata.category(char) in _BREAKING


def _first_hidden(text: str, name: str, hidden: Callable[[str], bool]) -> str | None:
    for position, char in enumerate(text):
        if hidden(char):
            return f"{name} holds an invisible character ({char!r}) at position {position}"
    return None


def escape_invisible(text: str, keep: str = "") -> str:
    """``text`` with each character :func:`invisible` flags (but those in ``keep``) as its
    escape: ``\x1b``, ``\u202e``."""
    return "".join(
        c if c.isprintable() or c in keep or not invisible(c) else ascii(c)[1:-1] for c in text
    )
