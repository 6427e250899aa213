"""Request body validation for the REST API, with Laravel-style error messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from omsclient._validate import INT64_MAX, INT64_MIN

Type = Literal["string", "integer", "number", "boolean", "array", "object"]
Errors = dict[str, list[str]]


@attrs.frozen(kw_only=True)
class Rule:
    """What one body field must look like. ``fields`` describes object members or, for an
    array, the members of each element; ``items`` the type of each array element."""

    type: Type
    required: bool = False
    fields: Mapping[str, Rule] | None = None
    items: Type | None = None
    choices: tuple[str, ...] | None = None
    min: int | None = None
    length: int | None = None


def _label(key: str) -> str:
    return key.replace("_", " ")


def _type_error(value: Any, expected: Type) -> str | None:
    if expected == "string":
        ok = isinstance(value, str)
        return None if ok else "must be a string"
    if expected == "integer":
        # PHP's integers are 64 bits: json_decode makes a float of one past them.
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok and INT64_MIN <= value <= INT64_MAX else "must be an integer"
    if expected == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if expected == "boolean":
        # Laravel's list, compared strictly: 1.0 == 1 in Python, not there.
        ok = isinstance(value, bool) or (type(value) is int and value in (0, 1))
        ok = ok or value in ("0", "1")
        return None if ok else "must be true or false"
    if expected == "array":
        return None if isinstance(value, list) else "must be an array"
    # Laravel's "array" rule: a PHP client sends an empty object as [], as PHP encodes it.
    return None if isinstance(value, dict) or value == [] else "must be an array"


def as_boolean(value: Any) -> bool:
    """A value the ``boolean`` rule took, as a Laravel model's boolean cast stores it: ``"0"``
    is false (``bool("0")`` is not)."""
    return value in (True, 1, "1")


def validate(
    data: Mapping[str, Any], schema: Mapping[str, Rule], *, partial: bool = False, prefix: str = ""
) -> Errors:
    """Errors keyed by field path (``items.0.quantity``); empty when ``data`` is valid.

    With ``partial`` (updates) required fields may be left out but not sent empty.
    """
    errors: Errors = {}
    for name, rule in schema.items():
        key = prefix + name
        label = _label(key)
        value: Any = data.get(name)
        empty = value is None or value == "" or (rule.type == "array" and value == [])
        if empty:
            if rule.required and (not partial or name in data):
                errors[key] = [f"The {label} field is required."]
            continue
        problem = _type_error(value, rule.type)
        if problem:
            errors[key] = [f"The {label} field {problem}."]
            continue
        if rule.choices is not None and value not in rule.choices:
            errors[key] = [f"The selected {label} is invalid."]
        elif rule.min is not None and value < rule.min:
            errors[key] = [f"The {label} field must be at least {rule.min}."]
        elif rule.length is not None and len(value) != rule.length:
            errors[key] = [f"The {label} field must be {rule.length} characters."]
        if rule.type == "object" and rule.fields and isinstance(value, dict):
            errors.update(validate(value, rule.fields, prefix=f"{key}."))
        if rule.type == "array":
            for i, element in enumerate(value):
                element_key = f"{key}.{i}"
                if rule.fields is not None:
                    if element == []:
                        element = {}  # an empty object, as a PHP client encodes it
                    if not isinstance(element, dict):
                        errors[element_key] = [f"The {_label(element_key)} field must be an array."]
                    else:
                        errors.update(validate(element, rule.fields, prefix=f"{element_key}."))
                elif rule.items is not None:
                    problem = _type_error(element, rule.items)
                    if problem:
                        errors[element_key] = [f"The {_label(element_key)} field {problem}."]
    return errors


def pick(data: Mapping[str, Any], schema: Mapping[str, Rule]) -> dict[str, Any]:
    """The known fields of ``data``, nested objects and arrays of objects filtered too."""
    out: dict[str, Any] = {}
    for name, rule in schema.items():
        if name not in data:
            continue
        value = data[name]
        if rule.fields is not None and rule.type == "object" and isinstance(value, dict):
            value = pick(value, rule.fields)
        elif rule.fields is not None and rule.type == "array" and isinstance(value, list):
            value = [pick(v, rule.fields) for v in value]
        out[name] = value
    return out
