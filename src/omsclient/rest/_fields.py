"""Checking request values before anything is sent, and the NOT_GIVEN sentinel of updates.

Every value of a request is checked against the type its model field declares, with the
shared checks of :mod:`omsclient._validate`: a bool or a float is not an integer, a number is
not a string, NaN and infinity are not numbers JSON can carry, and integers must fit 64 bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import NoneType, UnionType
from typing import Any, Final, TypeVar, Union, final, get_args, get_origin, get_type_hints

import attrs

from omsclient._decoding import AbsentList, structure, unstructure
from omsclient._validate import (
    int_problem,
    is_collection,
    json_problems,
    nesting_problems,
    number_problem,
)
from omsclient.errors import StructureError, ValidationError
from omsclient.rest._enums import TolerantEnum
from omsclient.rest._template import TemplateConfig, as_received

__all__ = [
    "MINIMUM",
    "NOT_GIVEN",
    "REQUIRED",
    "NotGiven",
    "as_model",
    "as_models",
    "check_model",
    "given",
    "integer_id",
    "integer_if_digits",
    "required",
    "unsigned",
]

T = TypeVar("T")
V = TypeVar("V")

REQUIRED: Final = "omsclient.required"
"""attrs field metadata key: the API's Required column says Yes for this field."""


MINIMUM: Final = "omsclient.minimum"
"""attrs field metadata key: the least value this integer field takes in requests."""


def required(*, minimum: int | None = None) -> Any:
    """An attrs field the API requires in requests; optional when read from the server.

    ``minimum``: the least integer it takes, refused below that before anything is sent.
    """
    metadata: dict[str, object] = {REQUIRED: True}
    if minimum is not None:
        metadata[MINIMUM] = minimum
    return attrs.field(default=None, metadata=metadata)


def unsigned() -> Any:
    """An optional integer field the API declares unsigned: a negative value is refused."""
    return attrs.field(default=None, metadata={MINIMUM: 0})


def id_number() -> Any:
    """An optional field holding another object's id: an integer below 1 names no object (a
    path refuses it too), and is refused."""
    return attrs.field(default=None, metadata={MINIMUM: 1})


def _limit_problems(field: attrs.Attribute[Any] | None, value: object, where: str) -> list[str]:
    # The server could refuse a value below the field's minimum only once it was sent.
    # An IntEnum member is an int too; a bool, or an int beyond 64 bits, is refused as no
    # integer the API takes before this.
    minimum = None if field is None else field.metadata.get(MINIMUM)
    if (
        minimum is None
        or not isinstance(value, int)
        or int_problem(value, where) is not None
        or value >= minimum
    ):
        return []
    if minimum == 0:
        return [f"{where} must not be negative, got {value}"]
    return [f"{where} must be at least {minimum}, got {value}"]


@final
class NotGiven:
    """The default of update arguments: the field is left out of the request.

    ``None`` is a value (sent as JSON ``null``); ``NOT_GIVEN`` is the absence of one.
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()
"""Stands for an argument left out (see :class:`NotGiven`)."""


def _is_missing(value: object) -> bool:
    if value is None or type(value) is AbsentList:
        return True
    return isinstance(value, str) and not value.strip()


_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def _field_types(cls: type) -> dict[str, Any]:
    """The resolved field types of a model (its annotations are strings until resolved)."""
    types = _FIELD_TYPES.get(cls)
    if types is None:
        types = _FIELD_TYPES[cls] = get_type_hints(cls)
    return types


def _required_problem(field: attrs.Attribute[Any] | None, value: object, where: str) -> str | None:
    """What makes ``value`` no value for a field the API requires, or None."""
    if field is None or not field.metadata.get(REQUIRED):
        return None
    if _is_missing(value):
        return f"{where} is required"
    if isinstance(value, (list, tuple)) and not value:
        # A required array sent empty is as missing as one left out (the server's
        # "required" rule refuses [] too): refused here, before anything is sent.
        return f"{where} needs at least one item"
    return None


def _problems(obj: Any, path: str, around: int = 0) -> list[str]:
    """``obj``'s missing fields and bad values; ``around`` counts the objects and arrays of
    the body around it."""
    out: list[str] = []
    types = _field_types(type(obj))
    fields = attrs.fields(type(obj))
    for field in fields:
        if field.name == "extra":
            out.extend(_shadowing_problems(obj.extra, fields, path))
            # Its keys are written into the object itself, beside the fields, and checked here
            # as the body is: written out, a Decimal would be the float a number field holds
            # (as to_dict writes it), 12345678901234567890.123 sent as 1.2345678901234567e19.
            for key, item in obj.extra.items():
                at = (f"{path}.{key}" if path else key) if isinstance(key, str) else path
                out.extend(json_problems(item, at, around + 1))
            continue
        value = getattr(obj, field.name)
        where = f"{path}.{field.name}" if path else field.name
        missing = _required_problem(field, value, where)
        if missing:
            out.append(missing)
        else:
            out.extend(_value_problems(value, where, types.get(field.name, Any), around + 1))
            out.extend(_limit_problems(field, value, where))
    return out


def _shadowing_problems(
    extra: dict[str, Any], fields: tuple[attrs.Attribute[Any], ...], path: str
) -> list[str]:
    """``extra`` keys that name a field: written after the fields, they would replace the
    checked values on the wire."""
    where = f"{path}.extra" if path else "extra"
    return [
        f"{where} holds {field.name!r}, a field of its own: set {field.name} instead"
        for field in fields
        if field.name != "extra" and field.name in extra
    ]


def _kinds(tp: Any) -> tuple[Any, ...]:
    """The types a field declares, None left out: ``int | str | None`` gives ``(int, str)``."""
    if get_origin(tp) in (Union, UnionType):
        return tuple(arg for arg in get_args(tp) if arg is not NoneType)
    return (tp,)


_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a bool"}


def _kind_name(kind: Any) -> str:
    origin = get_origin(kind) or kind
    if origin in _KIND_NAMES:
        return _KIND_NAMES[origin]
    return {list: "a list", dict: "a dict"}.get(origin, f"a {getattr(origin, '__name__', origin)}")


def _value_problems(value: object, where: str, tp: Any = Any, around: int = 0) -> list[str]:
    """``value``'s problems as a ``tp``; ``around`` counts the objects and arrays of the body
    around it (0 when not known: a nesting is then measured from the value)."""
    if value is None or tp is Any:
        kinds: tuple[Any, ...] = ()
    else:
        kinds = _kinds(tp)
    if isinstance(value, TemplateConfig):
        if value.problem:
            return [f"{where} {value.problem}"]
        if as_received(value) is not None:
            return []  # sent as it came
        # What encoding it would refuse (NaN, infinity, 65-bit integers), found here so the
        # message carries the operation and the path like every other problem.
        return json_problems(dict(value), where)
    if isinstance(value, TolerantEnum):
        if value.known:
            return []
        allowed = ", ".join(repr(m.value) for m in type(value))
        return [f"{where} must be one of {allowed}, got {value.value!r}"]
    if attrs.has(type(value)) and (not kinds or type(value) in kinds):
        return _problems(value, where, around)
    lists = [k for k in kinds if get_origin(k) is list]
    if isinstance(value, (list, tuple)) and (not kinds or lists):
        item_type = get_args(lists[0])[0] if lists and get_args(lists[0]) else Any
        out: list[str] = []
        for i, item in enumerate(value):
            if item_type is str and isinstance(item, str) and not item.strip():
                # A blank thumbnail URL names nothing: never meant, and the server's to refuse.
                out.append(f"{where}[{i}] must not be blank")
            out.extend(_value_problems(item, f"{where}[{i}]", item_type, around + 1))
        return out
    if not kinds:
        return nesting_problems(value, where, around) if isinstance(value, Mapping) else []
    problems = [_kind_problem(value, kind, where) for kind in kinds]
    if None in problems:
        # A dict of any JSON (an item's properties): what it holds is checked in the body it
        # is written out to; here only what would keep it from being written out.
        return nesting_problems(value, where, around) if isinstance(value, Mapping) else []
    if len(kinds) == 1:
        return [str(problems[0])]
    # An int of the wrong size says so rather than listing every kind the field takes.
    if int in kinds and isinstance(value, int) and not isinstance(value, bool):
        return [str(problems[kinds.index(int)])]
    expected = " or ".join(_kind_name(kind) for kind in kinds)
    return [f"{where} must be {expected}, got {type(value).__name__}"]


def _kind_problem(value: object, kind: Any, where: str) -> str | None:
    """What keeps ``value`` from being a ``kind`` the API takes, or None."""
    if kind is int:
        return int_problem(value, where)
    if kind is float:
        return number_problem(value, where)
    origin = get_origin(kind) or kind
    wanted = Mapping if origin is dict else origin
    if isinstance(wanted, type) and not isinstance(value, wanted):
        return f"{where} must be {_kind_name(kind)}, got {type(value).__name__}"
    return None


def _fail(operation: str, problems: list[str]) -> ValidationError:
    return ValidationError(f"{operation}: " + "; ".join(problems))


def check_model(obj: Any, operation: str, more: Sequence[str] = ()) -> None:
    """Raise :class:`ValidationError` naming every required field missing and every bad value,
    and the ``more`` problems found apart.

    Nested models and lists of models are checked too; paths read ``items[0].quantity``.
    """
    problems = [*_problems(obj, ""), *more]
    if problems:
        raise _fail(operation, problems)


def as_model(
    value: T | Mapping[str, Any], cls: type[T], where: str, problems: list[str]
) -> T | None:
    """``value`` as a ``cls`` instance: a mapping's values are checked as given, then read like a
    server answer (unknown keys kept).

    A value that is neither, or a mapping that does not fit, adds every problem it has to
    ``problems`` and gives None, which stands in for it while the rest of the request is
    checked: a check passes over None, so nothing in it is named twice.
    """
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        problems.append(f"{where} must be a {cls.__name__} or a dict, got {type(value).__name__}")
        return None
    refused = _mapping_problems(value, cls, where)
    if refused:
        problems.extend(refused)
        return None
    # A tuple for a list field (thumbnails=("a.png",)), as a call's own lists take one.
    given = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
    try:
        return structure(given, cls)
    except StructureError as exc:
        problems.append(f"{where}: {'; '.join(exc.errors)}")
        return None


_READ_FROM_TEXT = (TolerantEnum, TemplateConfig)


def _mapping_problems(value: Mapping[Any, Any], cls: type, where: str) -> list[str]:
    """Every problem of a mapping given for a ``cls``, checked as given: read as a server
    answer is, ``"1e3"`` would become 1000 and ``2.0`` would become 2 before the model's own
    checks saw them, and the request would carry what the caller never wrote."""
    types = _field_types(cls)
    fields = attrs.fields_dict(cls)
    out: list[str] = []
    for name, field in fields.items():
        if name == "extra":
            continue
        here = f"{where}.{name}"
        raw = value.get(name)
        missing = _required_problem(field, raw, here)
        if missing:
            out.append(missing)
        elif name in value:
            out.extend(_given_problems(raw, here, types.get(name, Any)))
            out.extend(_limit_problems(field, raw, here))
    # Unknown keys are kept in ``extra`` and written beside the fields, checked as the body is.
    out.extend(json_problems({k: v for k, v in value.items() if k not in fields}, where))
    return out


def _given_problems(raw: object, here: str, tp: Any) -> list[str]:
    """The problems of a mapping's value ``raw`` for a field of type ``tp``."""
    kinds = _kinds(tp)
    models = [k for k in kinds if attrs.has(k)]
    lists = [get_args(k)[0] for k in kinds if get_origin(k) is list and get_args(k)]
    if any(isinstance(k, type) and issubclass(k, _READ_FROM_TEXT) for k in kinds):
        # An enum's value, a template_config's text: checked once read, as the model is.
        try:
            return _value_problems(structure(raw, tp), here, tp)
        except StructureError as exc:
            # Read alone, the value's path is the root's ("... @ $"): ``here`` names it.
            return [f"{here}: {'; '.join(e.removesuffix(' @ $') for e in exc.errors)}"]
    if isinstance(raw, Mapping) and models:
        return _mapping_problems(raw, models[0], here)  # a nested model, the same way
    if isinstance(raw, (list, tuple)) and lists and attrs.has(lists[0]):
        out: list[str] = []
        for i, item in enumerate(raw):
            at = f"{here}[{i}]"
            out.extend(
                _mapping_problems(item, lists[0], at)
                if isinstance(item, Mapping)
                else _value_problems(item, at, lists[0])
            )
        return out
    problems = _value_problems(raw, here, tp)
    if isinstance(raw, Mapping) and not problems:
        # Read as an answer is, a mapping's keys would become text (1 and "1" one key, the
        # other lost): what the body's writing refuses in a model's, here.
        problems = json_problems(raw, here)
    return problems


def as_models(
    values: Iterable[T | Mapping[str, Any]], cls: type[T], where: str, problems: list[str]
) -> list[T | None]:
    """Each of ``values`` as a ``cls`` instance (see :func:`as_model`: a refused one stands as
    None). A value that is no list adds its problem and stands as one refused entry, so that
    a required list is not named missing as well."""
    if not is_collection(values):
        problems.append(f"{where} must be a list of {cls.__name__}, got {type(values).__name__}")
        return [None]
    return [as_model(v, cls, f"{where}[{i}]", problems) for i, v in enumerate(values)]


_INT64_DIGITS = 19
_QUOTED = 40


def integer_id(value: V, name: str, operation: str) -> V | int:
    """An id the API takes as an integer in bodies: a string of its (ASCII) digits becomes
    that integer; any other string is refused. Everything else passes unchanged, for the
    model's checks (an int's range; None or a blank string for a required field).

    Raises:
        ValidationError: naming ``name`` and the string, shown cut short.
    """
    if not isinstance(value, str) or not value.strip():
        return value
    if not (value.isascii() and value.isdigit()):
        text = value if len(value) <= _QUOTED else value[:_QUOTED] + "..."
        raise ValidationError(
            f"{operation}: {name} must be an integer or a string of its digits, got {text!r}"
        )
    if len(value.lstrip("0")) > _INT64_DIGITS:
        # int() of thousands of digits raises a ValueError naming no argument.
        raise ValidationError(f"{operation}: {name} is out of range: the API takes 64-bit integers")
    return int(value)


def optional_integer_id(value: V, name: str, operation: str) -> V | int:
    """:func:`integer_id` of an optional field, whose blank string no model check refuses: it
    was sent as it was, for the server to refuse with a 400.

    Raises:
        ValidationError: as :func:`integer_id`, and for a blank string.
    """
    if isinstance(value, str) and not value.strip():
        raise ValidationError(f"{operation}: {name} must not be blank")
    return integer_id(value, name, operation)


def integer_if_digits(value: V) -> V | int:
    """An id the API may take as an integer or as a UID: a string that is the text of a 64-bit
    integer is sent as that integer, anything else unchanged. ``"0042"`` or 30 digits is text:
    read as an integer, it would name another id, or none."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value[: _INT64_DIGITS + 1])
        if str(number) == value and number < 2**63:
            return number
    return value


def given(
    cls: type, operation: str, fields: Mapping[str, object], more: Sequence[str] = ()
) -> dict[str, object]:
    """The fields that are not :data:`NOT_GIVEN`, unstructured to JSON-ready values.

    Each value is checked against the type of ``cls``'s field of that name first (``None`` is
    a value: it clears the field, unless the API requires the field, which is never cleared).

    Raises:
        ValidationError: naming every value of the wrong kind and every required field
            cleared (None, blank or an empty list), and the ``more`` problems found apart;
            nothing is sent.
    """
    types = _field_types(cls)
    model_fields = attrs.fields_dict(cls)
    chosen = {name: value for name, value in fields.items() if value is not NOT_GIVEN}
    problems: list[str] = []
    for name, value in chosen.items():
        field = model_fields.get(name)
        # A field the create requires may be left out of an update, never cleared: the
        # object cannot be without it, so the server refuses null, "" and [] for it.
        missing = _required_problem(field, value, name)
        if missing:
            problems.append(f"{missing}: leave it out to keep it")
            continue
        problems.extend(_value_problems(value, name, types.get(name, Any), around=1))
        problems.extend(_limit_problems(field, value, name))
    problems.extend(more)
    if problems:
        raise _fail(operation, problems)
    return {name: unstructure(value) for name, value in chosen.items()}
