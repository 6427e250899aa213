"""cattrs converters for every model of the SDK.

One converter, configured once at import with hooks registered by type, turns the JSON the
servers send into attrs models and models back into JSON-ready values. For any attrs model
(legacy or REST) it tolerates what real servers do:

* ``int``, ``float``, ``bool`` and ``datetime`` fields take ``null`` and ``""`` as ``None``;
  ints and floats take numeric strings (``"3243137811"``, ``"12.50"``); booleans take
  ``true``/``false``, ``0``/``1`` and ``"0"``/``"1"``/``"true"``/``"false"``; ``str`` fields take
  numbers and turn them into strings; ``int | str`` fields turn numeric strings into ints.
* Dates take ``2016-02-01T00:00:00`` (naive means UTC), ``2025-03-26T14:35:00.000+00:00`` and the
  other ISO-8601 forms ``datetime.fromisoformat`` reads, and become UTC-aware datetimes.
* A missing key and ``null`` are the same on the model: ``None``, or an empty list for arrays.
  Unstructuring omits ``None`` values, so absent keys stay absent. An array the server did not
  send (or sent as ``null``) is an :class:`AbsentList`, which is omitted while it is empty; an
  empty array the server did send is written back.
* A model with an ``extra: dict[str, Any]`` field keeps there every key it does not know; when
  unstructured, those keys are written back into the same object, after the known keys.
* A field whose JSON key is not a Python name declares it:
  ``attrs.field(default=None, metadata={"json_key": "from"})``.

Unstructured datetimes are ``YYYY-MM-DDTHH:MM:SS`` strings in UTC, with a fraction only when it
is not zero.

Models are (un)structured by functions generated once per class (see
:mod:`omsclient._decoding._codegen`). The hot path does no detailed validation; when it fails, the
same data is structured again by a detailed-validation twin of the converter, and a
:class:`StructureError` names the class and the path of every failing value.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from types import NoneType
from typing import Any, TypeVar, get_args, overload

import attrs
from attrs import AttrsInstance
from cattrs import Converter, transform_error
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_mapping_structure_fn, override
from cattrs.v import format_exception

from omsclient._decoding._codegen import (
    hook_for,
    making,
    not_an_object,
    structure_function,
    unstructure_function,
    unstructure_hook_for,
)
from omsclient._decoding._scalars import (
    OPTIONAL_SCALARS,
    REQUIRED_SCALARS,
    StructureHook,
    int_or_str_or_none,
    json_ready,
    required,
    unstructure_datetime,
)
from omsclient._decoding._types import (
    EXTRA,
    AbsentList,
    display,
    fast_path_fits,
    has_extra,
    is_dict,
    is_int_or_str,
    is_list,
    is_optional,
    json_keys,
    optional_inner,
    show,
    union_args,
)
from omsclient._decoding._unwritable import unwritable
from omsclient.errors import StructureError

__all__ = [
    "converter",
    "detailed_converter",
    "php_list",
    "structure",
    "structure_many",
    "unstructure",
]

T = TypeVar("T")
UnstructureHook = Callable[[Any], Any]


# ---------------------------------------------------------------------------------------------
# Models: structuring
# ---------------------------------------------------------------------------------------------


def _structure_model_factory(cls: type, conv: Converter, nullable: bool = False) -> StructureHook:
    """Structure a model with an ``extra`` field, keeping unknown keys there."""
    with making(conv, "structure", cls):
        attrs.resolve_types(cls)  # string annotations (``from __future__ import annotations``)
        if not conv.detailed_validation and fast_path_fits(cls):
            return structure_function(cls, conv, nullable)
        return _cattrs_structure(cls, conv, nullable)


def _cattrs_structure(cls: type, conv: Converter, nullable: bool) -> StructureHook:
    """cattrs' generated hook plus unknown-key handling: the detailed and the general path."""
    keys = json_keys(cls)
    overrides: dict[str, Any] = {n: override(rename=k) for n, k in keys.items() if k != n}
    overrides[EXTRA] = override(omit=True)
    base: StructureHook = make_dict_structure_fn(
        cls,
        conv,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=conv.detailed_validation,
        **overrides,
    )
    known = frozenset(keys.values())
    is_known = known.issuperset
    refuse = not_an_object(cls.__name__, nullable)

    def structure_model(o: Any, _: Any = cls) -> Any:
        if type(o) is not dict:
            o = refuse(o)
            if o is None:
                return None
        inst = base(o, cls)
        if not is_known(o):
            # object.__setattr__ also works on frozen classes.
            object.__setattr__(inst, EXTRA, {k: v for k, v in o.items() if k not in known})
        return inst

    return structure_model


def _structure_optional_factory(t: Any, conv: Converter) -> StructureHook:
    inner = optional_inner(t)
    scalar = OPTIONAL_SCALARS.get(inner)
    if scalar is not None:
        return scalar
    if has_extra(inner):
        return _structure_model_factory(inner, conv, nullable=True)
    hook = hook_for(conv, inner)

    def structure_optional(v: Any, _: Any) -> Any:
        return None if v is None else hook(v, inner)

    return structure_optional


def _structure_int_or_str_factory(t: Any) -> StructureHook:
    if NoneType in union_args(t):
        return int_or_str_or_none
    return required(int_or_str_or_none, "an integer or a string")


def _structure_dict_factory(t: Any, conv: Converter) -> StructureHook:
    base = make_mapping_structure_fn(t, conv)

    def structure_dict(v: Any, _: Any) -> Any:
        # PHP's json_encode writes an empty array as [] also where the field is an object (a
        # REST order item's ``properties``): an empty dict, as a model field reads it as an
        # empty object, rather than a whole answer unreadable.
        if type(v) is list and not v:
            return {}
        return base(v, t)

    return structure_dict


def php_list(v: Any) -> Any:
    """``v``, or the array it stands for: PHP's json_encode writes an array whose keys are no
    longer 0, 1, 2... (items filtered out, or unset) as an object of them, ``{"0": {...},
    "2": {...}}``, in the array's order. Any other object stays what it is."""
    if type(v) is dict and all(type(k) is str and k.isdecimal() and k.isascii() for k in v):
        return list(v.values())
    return v


def _structure_list_factory(t: Any, conv: Converter) -> StructureHook:
    args = get_args(t)
    elem = args[0] if args else Any
    hook = hook_for(conv, elem)

    def not_a_list(v: Any) -> TypeError:
        return TypeError(f"expected a JSON array of {display(elem)}, got {show(v)}")

    if not conv.detailed_validation:

        def structure_list(v: Any, _: Any) -> list[Any]:
            if type(v) is list:
                return [hook(e, elem) for e in v]
            if v is None:
                return AbsentList()
            if type(v) is dict and type(listed := php_list(v)) is list:
                return [hook(e, elem) for e in listed]
            raise not_a_list(v)

        return structure_list

    def structure_list_detailed(v: Any, _: Any) -> list[Any]:
        if v is None:
            return AbsentList()
        v = php_list(v)
        if type(v) is not list:
            raise not_a_list(v)
        res = []
        errors: list[Exception] = []
        for i, e in enumerate(v):
            try:
                res.append(hook(e, elem))
            except Exception as exc:
                note = IterableValidationNote(f"Structuring {t} @ index {i}", i, elem)
                # BaseException has __notes__ from Python 3.11 on, so the ignore is for 3.10.
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined, unused-ignore]
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {t!r}", errors, t)
        return res

    return structure_list_detailed


# ---------------------------------------------------------------------------------------------
# Models: unstructuring
# ---------------------------------------------------------------------------------------------


def _unstructure_model_factory(cls: type, conv: Converter) -> UnstructureHook:
    with making(conv, "unstructure", cls):
        return unstructure_function(cls, conv)


def _unstructure_optional_factory(t: Any, conv: Converter) -> UnstructureHook:
    hook = unstructure_hook_for(conv, optional_inner(t))
    if hook is identity:
        return identity

    def unstructure_optional(v: Any) -> Any:
        return None if v is None else hook(v)

    return unstructure_optional


def _unstructure_list_factory(t: Any, conv: Converter) -> UnstructureHook:
    args = get_args(t)
    # A generic record's items (Page's list[T]): each item as what it is, a model's as a dict.
    known = args and not isinstance(args[0], TypeVar)
    hook = unstructure_hook_for(conv, args[0]) if known else conv.unstructure
    if hook is identity:
        return list

    def unstructure_list(v: list[Any]) -> list[Any]:
        return [hook(e) for e in v]

    return unstructure_list


# ---------------------------------------------------------------------------------------------
# The converters
# ---------------------------------------------------------------------------------------------


def _configure(conv: Converter) -> Converter:
    # Later registrations take precedence; the factories look scalar hooks up as they run.
    for tp, hook in REQUIRED_SCALARS.items():
        conv.register_structure_hook(tp, hook)
    conv.register_unstructure_hook(datetime, unstructure_datetime)
    conv.register_structure_hook_factory(is_list, _structure_list_factory)
    conv.register_structure_hook_factory(is_dict, _structure_dict_factory)
    conv.register_structure_hook_factory(is_int_or_str, _structure_int_or_str_factory)
    conv.register_structure_hook_factory(is_optional, _structure_optional_factory)
    conv.register_structure_hook_factory(has_extra, _structure_model_factory)
    # Free-form JSON in a field (a REST item's properties) is written as extra is.
    conv.register_unstructure_hook_factory(is_dict, lambda _: json_ready)
    conv.register_unstructure_hook_factory(is_list, _unstructure_list_factory)
    conv.register_unstructure_hook_factory(is_optional, _unstructure_optional_factory)
    conv.register_unstructure_hook_factory(has_extra, _unstructure_model_factory)
    return conv


converter: Converter = _configure(Converter(detailed_validation=False))
"""The converter for every model: fast, tolerant, keeps unknown keys."""

_detailed: Converter | None = None

# Hooks of types defined outside this package (the REST enums and template config), kept so
# the detailed converter, built later, reads them the same way: without them it explained a
# value it could not read with cattrs' own messages, or at the wrong path.
_TYPE_HOOKS: list[tuple[type, StructureHook, UnstructureHook]] = []


def register_hooks(
    tp: type, structure_hook: StructureHook, unstructure_hook: UnstructureHook
) -> None:
    """Read and write ``tp`` (and its subclasses) with these hooks, in both converters."""
    _TYPE_HOOKS.append((tp, structure_hook, unstructure_hook))
    for conv in (converter, _detailed):
        if conv is not None:
            conv.register_structure_hook(tp, structure_hook)
            conv.register_unstructure_hook(tp, unstructure_hook)


def detailed_converter() -> Converter:
    """The slow twin of ``converter`` that explains what went wrong; built on the first error."""
    global _detailed
    if _detailed is None:
        _detailed = _configure(Converter(detailed_validation=True))
        for tp, structure_hook, unstructure_hook in _TYPE_HOOKS:
            _detailed.register_structure_hook(tp, structure_hook)
            _detailed.register_unstructure_hook(tp, unstructure_hook)
    return _detailed


def _describe(exc: BaseException, tp: Any) -> str:
    if isinstance(exc, (ValueError, TypeError)) and exc.args:
        return str(exc.args[0])
    return format_exception(exc, tp)


def _at_json_keys(exc: BaseException) -> BaseException:
    """``exc`` with the notes of renamed fields naming their JSON key (``from``, not
    ``from_``): cattrs' paths name attributes, where ours name the JSON."""
    if isinstance(exc, ClassValidationError) and attrs.has(exc.cl):
        keys = json_keys(exc.cl)
        for sub in exc.exceptions:
            notes = getattr(sub, "__notes__", [])
            for i, note in enumerate(notes):
                if (
                    note.__class__ is AttributeValidationNote
                    and keys.get(note.name, note.name) != note.name
                ):
                    notes[i] = AttributeValidationNote(str(note), keys[note.name], note.type)
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        for sub in exc.exceptions:
            _at_json_keys(sub)
    return exc


def _explain(data: Any, tp: Any, cause: Exception) -> StructureError:
    try:
        detailed_converter().structure(data, tp)
    except (ClassValidationError, IterableValidationError) as exc:
        try:
            return StructureError(tp, transform_error(_at_json_keys(exc), "$", _describe))
        finally:
            _drop_tracebacks(exc, outside=cause)
    except Exception as exc:
        return StructureError(tp, [f"{_describe(exc, tp)} @ $"])
    return StructureError(tp, [f"{_describe(cause, tp)} @ $"])


def _drop_tracebacks(error: BaseException, outside: BaseException) -> None:
    """Let go of the frames ``error`` and the errors it groups hold, once read.

    cattrs' detailed validation raises from the frame holding the list of the errors it
    groups, each of which holds that frame in its traceback: a cycle keeping every frame of
    the failed call (and the client's pool, through them) until the garbage collector runs.
    ``outside`` is the error being handled when the validation ran: it, and the errors it
    was raised handling (the caller's own among them), are left as they are.
    """
    seen = set()
    while outside is not None and id(outside) not in seen:
        seen.add(id(outside))
        outside = outside.__context__  # type: ignore[assignment]
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending += getattr(current, "exceptions", ())
        # A hook raising inside its own except (a date read leniently after the strict read
        # failed) keeps the first error as the context, holding the hook's frame.
        pending += [e for e in (current.__context__, current.__cause__) if e is not None]


def structure(data: Any, cls: type[T]) -> T:
    """Structure decoded JSON into ``cls``.

    Raises:
        StructureError: The data does not fit; the message names the class and the path of
            every failing value.
    """
    try:
        return converter.structure(data, cls)
    except Exception as exc:
        raise _explain(data, cls, exc) from exc


def structure_many(rows: list[Any], cls: type[T]) -> list[T]:
    """Structure a list of decoded JSON objects, e.g. a page of results, into ``cls``.

    Raises:
        StructureError: A row does not fit; paths start with the row's index (``$[3].qty``).
    """
    hook = converter.get_structure_hook(cls)
    try:
        if type(rows) is not list:
            raise TypeError(f"expected a JSON array, got {show(rows)}")
        return [hook(row, cls) for row in rows]
    except Exception as exc:
        raise _explain(rows, list[cls], exc) from exc  # type: ignore[valid-type]


_Model = TypeVar("_Model", bound=AttrsInstance)


# A sequence first: for type checkers without attrs' plugin (pyright), AttrsInstance is an
# empty protocol, which a list or a tuple satisfies too.
@overload
def unstructure(obj: Sequence[_Model]) -> list[dict[str, Any]]: ...


@overload
def unstructure(obj: AttrsInstance) -> dict[str, Any]: ...


@overload
def unstructure(obj: Any) -> Any: ...


def unstructure(obj: Any) -> Any:
    """Turn a model, or a list of models, into JSON-ready values.

    ``None`` values and untouched :class:`AbsentList` values are omitted, datetimes become UTC
    ``YYYY-MM-DDTHH:MM:SS`` strings and the keys kept in ``extra`` are written back.

    Raises:
        TypeError: a field holds a value not of its type where that matters (a string in a
            date field, a dict where a nested model belongs), named by its path.
        ValueError: a model's ``extra`` holds the JSON key of one of its fields, or a date
            set by hand falls past the year 9999 in UTC, named by its path.
    """
    try:
        return converter.unstructure(obj)
    except (AttributeError, TypeError, OverflowError) as exc:
        found = unwritable(obj)
        if found is None:
            raise
        error = ValueError if isinstance(exc, OverflowError) else TypeError
        raise error(f"cannot write {found}") from exc
