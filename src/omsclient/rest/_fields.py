"""Checking request values before anything is sent, and the NOT_GIVEN sentinel of updates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeVar, final

import attrs

from omsclient._decoding import AbsentList, structure, unstructure
from omsclient.errors import StructureError, ValidationError
from omsclient.rest._enums import TolerantEnum
from omsclient.rest._template import TemplateConfig

__all__ = [
    "NOT_GIVEN",
    "REQUIRED",
    "NotGiven",
    "as_model",
    "as_models",
    "check_model",
    "check_value",
    "given",
    "required",
]

T = TypeVar("T")

REQUIRED: Final = "omsclient.required"
"""attrs field metadata key: the API's Required column says Yes for this field."""


def required() -> Any:
    """An attrs field the API requires in requests; optional when read from the server."""
    return attrs.field(default=None, metadata={REQUIRED: True})


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


def _problems(obj: Any, path: str) -> list[str]:
    out: list[str] = []
    for field in attrs.fields(type(obj)):
        if field.name == "extra":
            continue
        value = getattr(obj, field.name)
        where = f"{path}.{field.name}" if path else field.name
        if field.metadata.get(REQUIRED) and _is_missing(value):
            out.append(f"{where} is required")
        else:
            out.extend(_value_problems(value, where))
    return out


def _value_problems(value: object, where: str) -> list[str]:
    if isinstance(value, TemplateConfig):
        return [f"{where} {value.problem}"] if value.problem else []
    if isinstance(value, TolerantEnum):
        if value.known:
            return []
        allowed = ", ".join(repr(m.value) for m in type(value))
        return [f"{where} must be one of {allowed}, got {value.value!r}"]
    if attrs.has(type(value)):
        return _problems(value, where)
    if isinstance(value, list):
        out: list[str] = []
        for i, item in enumerate(value):
            out.extend(_value_problems(item, f"{where}[{i}]"))
        return out
    return []


def _fail(operation: str, problems: list[str]) -> ValidationError:
    return ValidationError(f"{operation}: " + "; ".join(problems))


def check_model(obj: Any, operation: str, path: str = "") -> None:
    """Raise :class:`ValidationError` naming every required field missing and every bad value.

    Nested models and lists of models are checked too; paths read ``items[0].quantity``.
    """
    problems = _problems(obj, path)
    if problems:
        raise _fail(operation, problems)


def check_value(value: object, operation: str, where: str) -> None:
    """Check a nested value (a model, a list of models) as :func:`check_model` does."""
    problems = _value_problems(value, where)
    if problems:
        raise _fail(operation, problems)


def as_model(value: T | Mapping[str, Any], cls: type[T], operation: str, where: str) -> T:
    """``value`` as a ``cls`` instance: a mapping is read like a server answer (unknown keys kept).

    Raises:
        ValidationError: the value is neither a ``cls`` nor a mapping that fits it.
    """
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        try:
            return structure(dict(value), cls)
        except StructureError as exc:
            raise ValidationError(f"{operation}: {where}: {'; '.join(exc.errors)}") from None
    raise ValidationError(
        f"{operation}: {where} must be a {cls.__name__} or a dict, got {type(value).__name__}"
    )


def as_models(
    values: Iterable[T | Mapping[str, Any]], cls: type[T], operation: str, where: str
) -> list[T]:
    """Each of ``values`` as a ``cls`` instance (see :func:`as_model`)."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ValidationError(
            f"{operation}: {where} must be a list of {cls.__name__}, got {type(values).__name__}"
        )
    return [as_model(v, cls, operation, f"{where}[{i}]") for i, v in enumerate(values)]


def given(**fields: object) -> dict[str, object]:
    """The fields that are not :data:`NOT_GIVEN`, unstructured to JSON-ready values."""
    return {name: unstructure(value) for name, value in fields.items() if value is not NOT_GIVEN}
