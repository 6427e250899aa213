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

Models are (un)structured by functions generated once per class, like cattrs' own generated
hooks but filling the instance attribute by attribute: cattrs' hooks pass every field to
``__init__`` as ``**kwargs``, which costs about a microsecond per object on modest hardware,
half the time of a whole order. The hot path does no detailed validation; when it fails, the
same data is structured again by a detailed-validation twin of the converter, and a
:class:`StructureError` names the class and the path of every failing value.
"""

import linecache
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from types import NoneType, UnionType
from typing import Any, TypeVar, Union, cast, get_args, get_origin

import attrs
from cattrs import Converter, transform_error
from cattrs.errors import ClassValidationError, IterableValidationError, IterableValidationNote
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, override
from cattrs.v import format_exception

from omsclient.errors import StructureError

__all__ = [
    "AbsentList",
    "StructureError",
    "converter",
    "structure",
    "structure_many",
    "unstructure",
]

T = TypeVar("T")
StructureHook = Callable[[Any, Any], Any]
UnstructureHook = Callable[[Any], Any]

_UTC = timezone.utc
_EXTRA = "extra"
_JSON_KEY = "json_key"


class AbsentList(list[Any]):
    """An empty list standing for an array the server did not send (or sent as ``null``).

    It behaves as a plain list and compares equal to one. Unstructuring omits it while it is
    empty, so an export does not invent keys; once items are added it is written like any list.
    List fields of models use it as their default: ``attrs.field(factory=AbsentList)``.
    """

    __slots__ = ()


def _display(tp: Any) -> str:
    args = get_args(tp)
    name = getattr(get_origin(tp) or tp, "__name__", repr(tp))
    return f"{name}[{', '.join(_display(a) for a in args)}]" if args else name


def _show(v: Any) -> str:
    """A value for an error message.

    Short, and never the content of an object or array: those may hold download URLs that carry
    login tokens.
    """
    if isinstance(v, Mapping):
        return "an object"
    if isinstance(v, (list, tuple)):
        return "an array"
    if isinstance(v, (str, int, float)) or v is None:
        r = repr(v)
        return r if len(r) <= 40 else f"{r[:37]}..."
    return type(v).__name__


# ---------------------------------------------------------------------------------------------
# Tolerant scalar hooks: a fast path for the well-typed case (one `type(v) is` test) and a
# slower coercion for everything else.
# ---------------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?[0-9]+")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FRACTION_RE = re.compile(r"(.{19})\.([0-9]+)(.*)")
_TRUE = frozenset({"1", "true", "True", "TRUE"})
_FALSE = frozenset({"0", "false", "False", "FALSE"})


def _coerce_int(v: Any) -> int | None:
    if isinstance(v, str):
        if v.isdigit() and v.isascii():  # the usual "3243137811", without a regex
            return int(v)
        s = v.strip()
        if not s:
            return None
        if _INT_RE.fullmatch(s):
            return int(s)
        if _NUMBER_RE.fullmatch(s) and float(s).is_integer():
            return int(float(s))
        raise ValueError(f"expected an integer, got {_show(v)}")
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    raise TypeError(f"expected an integer, got {_show(v)}")


def _coerce_float(v: Any) -> float | None:
    if isinstance(v, str):
        if v.isascii():  # the usual "12", "12.50", without a regex
            if v.isdigit():
                return int(v)  # "5" stays an integer, as the JSON number 5 would
            if v.replace(".", "", 1).isdigit():
                return float(v)
        s = v.strip()
        if not s:
            return None
        if _INT_RE.fullmatch(s):
            return int(s)  # "5" stays an integer, as the JSON number 5 would
        if _NUMBER_RE.fullmatch(s):
            return float(s)
        raise ValueError(f"expected a number, got {_show(v)}")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    raise TypeError(f"expected a number, got {_show(v)}")


def _coerce_bool(v: Any) -> bool | None:
    if isinstance(v, str):
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
        if not v.strip():
            return None
        raise ValueError(f"expected a boolean, got {_show(v)}")
    if type(v) is int and v in (0, 1):
        return v == 1
    raise TypeError(f"expected a boolean, got {_show(v)}")


def _coerce_str(v: Any) -> str:
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return str(v)
    raise TypeError(f"expected a string, got {_show(v)}")


def _parse_datetime(s: str) -> datetime | None:
    if len(s) == 19:
        # Parsing with the offset appended is several times faster than .replace(tzinfo=...).
        try:
            return datetime.fromisoformat(s + "+00:00")
        except ValueError:
            pass
    t = s.strip()
    if not t:
        return None
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        dt = _parse_datetime_lenient(s, t)
    tz = dt.tzinfo
    if tz is _UTC:
        return dt
    return dt.replace(tzinfo=_UTC) if tz is None else dt.astimezone(_UTC)


def _parse_datetime_lenient(s: str, t: str) -> datetime:
    # Python 3.10's fromisoformat rejects a trailing "Z" and fractions of other than 3 or 6
    # digits; later versions read both.
    if t[-1] in "zZ":
        t = t[:-1] + "+00:00"
    m = _FRACTION_RE.fullmatch(t)
    if m:
        t = f"{m[1]}.{m[2][:6].ljust(6, '0')}{m[3]}"
    try:
        return datetime.fromisoformat(t)
    except ValueError:
        raise ValueError(f"expected an ISO-8601 date, got {_show(s)}") from None


def _int_or_none(v: Any, _: Any) -> int | None:
    if type(v) is int or v is None:
        return v
    return _coerce_int(v)


def _float_or_none(v: Any, _: Any) -> float | None:
    t = type(v)
    if t is float or t is int or v is None:
        return v  # type: ignore[no-any-return]
    return _coerce_float(v)


def _bool_or_none(v: Any, _: Any) -> bool | None:
    if v is True or v is False or v is None:
        return v
    return _coerce_bool(v)


def _str_or_none(v: Any, _: Any) -> str | None:
    if type(v) is str or v is None:
        return v
    return _coerce_str(v)


def _datetime_or_none(v: Any, _: Any) -> datetime | None:
    if isinstance(v, str):
        return _parse_datetime(v)
    if v is None:
        return None
    if isinstance(v, datetime):  # already structured, e.g. built by hand
        return v.replace(tzinfo=_UTC) if v.tzinfo is None else v.astimezone(_UTC)
    raise TypeError(f"expected an ISO-8601 date string, got {_show(v)}")


def _int_or_str_or_none(v: Any, _: Any) -> int | str | None:
    if type(v) is int or v is None:
        return v
    if isinstance(v, str):
        s = v.strip()
        return int(s) if _INT_RE.fullmatch(s) else v
    return _coerce_int(v)


def _required(hook: StructureHook, what: str) -> StructureHook:
    def structure_required(v: Any, t: Any) -> Any:
        res = hook(v, t)
        if res is None:
            raise ValueError(f"expected {what}, got {_show(v)}")
        return res

    return structure_required


_OPTIONAL_SCALARS: dict[Any, StructureHook] = {
    int: _int_or_none,
    float: _float_or_none,
    bool: _bool_or_none,
    str: _str_or_none,
    datetime: _datetime_or_none,
}
_REQUIRED_SCALARS: dict[Any, StructureHook] = {
    int: _required(_int_or_none, "an integer"),
    float: _required(_float_or_none, "a number"),
    bool: _required(_bool_or_none, "a boolean"),
    str: _required(_str_or_none, "a string"),
    datetime: _required(_datetime_or_none, "an ISO-8601 date"),
}


def _unstructure_datetime(dt: datetime) -> str:
    tz = dt.tzinfo
    if tz is not _UTC:
        if tz is None:  # naive means UTC
            return dt.isoformat()
        dt = dt.astimezone(_UTC)
    if dt.microsecond:
        return dt.isoformat()[:-6]  # without "+00:00"
    # %-formatting the fields is twice as fast as isoformat() on an aware datetime, and faster
    # than an f-string with format specs.
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (  # noqa: UP031
        dt.year,
        dt.month,
        dt.day,
        dt.hour,
        dt.minute,
        dt.second,
    )


# ---------------------------------------------------------------------------------------------
# Type predicates
# ---------------------------------------------------------------------------------------------


def _union_args(t: Any) -> tuple[Any, ...]:
    if isinstance(t, UnionType) or get_origin(t) is Union:
        return get_args(t)
    return ()


def _optional_inner(t: Any) -> Any:
    """The X of ``X | None``, or None when ``t`` is not such a union."""
    args = _union_args(t)
    if len(args) == 2 and NoneType in args:
        return args[0] if args[1] is NoneType else args[1]
    return None


def _is_optional(t: Any) -> bool:
    return _optional_inner(t) is not None


def _is_int_or_str(t: Any) -> bool:
    return set(_union_args(t)) in ({int, str}, {int, str, NoneType})


def _is_list(t: Any) -> bool:
    return t is list or get_origin(t) is list


def _has_extra(t: Any) -> bool:
    return isinstance(t, type) and attrs.has(t) and _EXTRA in attrs.fields_dict(t)


def _json_keys(cls: type) -> dict[str, str]:
    """Attribute name to JSON key, for every field but ``extra``."""
    return {
        a.name: a.metadata.get(_JSON_KEY, a.name) for a in attrs.fields(cls) if a.name != _EXTRA
    }


def _hook(conv: Converter, t: Any) -> StructureHook:
    try:
        return conv.get_structure_hook(t)
    except RecursionError:
        # A model that contains itself: look the hook up when it runs instead.
        return conv.structure


# ---------------------------------------------------------------------------------------------
# Models: structuring
# ---------------------------------------------------------------------------------------------


def _structure_model_factory(cls: type, conv: Converter, nullable: bool = False) -> StructureHook:
    """Structure a model with an ``extra`` field, keeping unknown keys there."""
    attrs.resolve_types(cls)  # string annotations (``from __future__ import annotations``)
    if not conv.detailed_validation and _fast_path_fits(cls):
        return _gen_fast_structure(cls, conv, nullable)
    return _cattrs_structure(cls, conv, nullable)


def _not_an_object(name: str, nullable: bool) -> Callable[[Any], Any]:
    """The slow path of a model hook, for a value that is not a dict."""

    def not_an_object(o: Any) -> Any:
        if nullable and (o is None or (type(o) is list and not o)):
            # PHP encodes an empty object as [], so an empty array stands for "no object".
            return None
        if isinstance(o, Mapping):
            return dict(o)
        raise TypeError(f"expected a JSON object for {name}, got {_show(o)}")

    return not_an_object


def _cattrs_structure(cls: type, conv: Converter, nullable: bool) -> StructureHook:
    """cattrs' generated hook plus unknown-key handling: the detailed and the general path."""
    keys = _json_keys(cls)
    overrides: dict[str, Any] = {n: override(rename=k) for n, k in keys.items() if k != n}
    overrides[_EXTRA] = override(omit=True)
    base: StructureHook = make_dict_structure_fn(
        cls,
        conv,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=conv.detailed_validation,
        **overrides,
    )
    known = frozenset(keys.values())
    is_known = known.issuperset
    not_an_object = _not_an_object(cls.__name__, nullable)

    def structure_model(o: Any, _: Any = cls) -> Any:
        if type(o) is not dict:
            o = not_an_object(o)
            if o is None:
                return None
        inst = base(o, cls)
        if not is_known(o):
            # object.__setattr__ also works on frozen classes.
            object.__setattr__(inst, _EXTRA, {k: v for k, v in o.items() if k not in known})
        return inst

    return structure_model


def _fast_path_fits(cls: type) -> bool:
    """Whether instances can skip ``__init__`` and every missing key means None (or [])."""
    setattr_, new = getattr(cls, "__setattr__", None), getattr(cls, "__new__", None)
    if setattr_ is not object.__setattr__ or new is not object.__new__:
        return False  # frozen, attrs on_setattr hooks, or a custom constructor
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return False
    for a in attrs.fields(cls):
        if a.validator is not None or a.converter is not None or not a.init:
            return False
        default = a.default
        factory = default.factory if isinstance(default, attrs.Factory) else None  # type: ignore[arg-type]
        if a.name == _EXTRA:
            if factory is not dict:
                return False
        elif factory is not None:
            if not (_is_list(a.type) and factory in (list, AbsentList)):
                return False
        elif default is not None or _optional_inner(a.type) is None:
            return False
    return True


# Inline tests of the well-typed case per field type; a value failing its test goes through
# the field's hook, which handles None, coercion and errors.
_INLINE_TESTS: dict[Any, str] = {
    str: "type(v) is str or v is None",
    int: "type(v) is int or v is None",
    float: "(tv := type(v)) is float or tv is int or v is None",
    bool: "v is True or v is False or v is None",
}


def _gen_fast_structure(cls: type, conv: Converter, nullable: bool) -> StructureHook:
    name = cls.__name__
    fn_name = f"structure_{name}{'_or_none' if nullable else ''}"
    keys = _json_keys(cls)
    known = frozenset(keys.values())
    globs: dict[str, Any] = {
        "__cl": cls,
        "__new": object.__new__,
        "__fromiso": datetime.fromisoformat,
        "__known": known,
        "__is_known": known.issuperset,
        "__not_an_object": _not_an_object(name, nullable),
    }
    lines = [
        f"def {fn_name}(o, _=None):",
        "  if type(o) is not dict:",
        "    o = __not_an_object(o)",
        "    if o is None:",
        "      return None",
        "  i = __new(__cl)",
        "  get = o.get",
    ]
    for a in attrs.fields(cls):
        if a.name == _EXTRA:
            continue
        an, key, t = a.name, keys[a.name], a.type
        globs[f"__h_{an}"] = _hook(conv, t)
        globs[f"__t_{an}"] = t
        call = f"__h_{an}(v, __t_{an})"
        inner = _optional_inner(t)
        lines.append(f"  v = get({key!r})")
        if inner in _INLINE_TESTS:
            lines.append(f"  i.{an} = v if {_INLINE_TESTS[inner]} else {call}")
        elif inner is datetime:
            # The documented YYYY-MM-DDTHH:MM:SS form; anything else goes through the hook.
            lines.append(
                f"  i.{an} = __fromiso(v + '+00:00') if type(v) is str and len(v) == 19"
                f" and v[16] == ':' else {call}"
            )
        elif _is_list(t) and get_args(t):
            elem = get_args(t)[0]
            globs[f"__eh_{an}"] = _hook(conv, elem)
            globs[f"__et_{an}"] = elem
            # A loop rather than a comprehension, which costs a frame per list before 3.12.
            lines += [
                "  if type(v) is list:",
                "    r = []",
                "    for e in v:",
                f"      r.append(__eh_{an}(e, __et_{an}))",
                f"    i.{an} = r",
                "  else:",
                f"    i.{an} = {call}",
            ]
        else:
            lines.append(f"  i.{an} = {call}")
    lines += [
        "  i.extra = {} if __is_known(o) else {k: v for k, v in o.items() if k not in __known}",
        "  return i",
    ]
    return _compile(fn_name, cls, lines, globs)


def _structure_optional_factory(t: Any, conv: Converter) -> StructureHook:
    inner = _optional_inner(t)
    scalar = _OPTIONAL_SCALARS.get(inner)
    if scalar is not None:
        return scalar
    if _has_extra(inner):
        return _structure_model_factory(inner, conv, nullable=True)
    hook = _hook(conv, inner)

    def structure_optional(v: Any, _: Any) -> Any:
        return None if v is None else hook(v, inner)

    return structure_optional


def _structure_int_or_str_factory(t: Any) -> StructureHook:
    if NoneType in _union_args(t):
        return _int_or_str_or_none
    return _required(_int_or_str_or_none, "an integer or a string")


def _structure_list_factory(t: Any, conv: Converter) -> StructureHook:
    args = get_args(t)
    elem = args[0] if args else Any
    hook = _hook(conv, elem)

    def not_a_list(v: Any) -> TypeError:
        return TypeError(f"expected a JSON array of {_display(elem)}, got {_show(v)}")

    if not conv.detailed_validation:

        def structure_list(v: Any, _: Any) -> list[Any]:
            if type(v) is list:
                return [hook(e, elem) for e in v]
            if v is None:
                return AbsentList()
            raise not_a_list(v)

        return structure_list

    def structure_list_detailed(v: Any, _: Any) -> list[Any]:
        if v is None:
            return AbsentList()
        if type(v) is not list:
            raise not_a_list(v)
        res = []
        errors: list[Exception] = []
        for i, e in enumerate(v):
            try:
                res.append(hook(e, elem))
            except Exception as exc:
                note = IterableValidationNote(f"Structuring {t} @ index {i}", i, elem)
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {t!r}", errors, t)
        return res

    return structure_list_detailed


# ---------------------------------------------------------------------------------------------
# Models: unstructuring
# ---------------------------------------------------------------------------------------------


def _unstructure_model_factory(cls: type, conv: Converter) -> UnstructureHook:
    """Omit None and untouched absent lists, write ``extra`` keys back after the known keys.

    Generated rather than built with cattrs' omit-if-default, which compares with ``!=`` and
    would also drop the empty arrays the server did send.
    """
    attrs.resolve_types(cls)
    fn_name = f"unstructure_{cls.__name__}"
    globs: dict[str, Any] = {"__Absent": AbsentList}
    lines = [f"def {fn_name}(i):", "  res = {}"]
    for a in attrs.fields(cls):
        an = a.name
        if an == _EXTRA:
            continue
        key, t = a.metadata.get(_JSON_KEY, an), a.type
        lines.append(f"  v = i.{an}")
        if _is_list(t):
            args = get_args(t)
            hook = conv.get_unstructure_hook(args[0]) if args else identity
            lines.append("  if v or type(v) is not __Absent:")
            if hook is identity:
                lines.append(f"    res[{key!r}] = list(v)")
            else:
                globs[f"__u_{an}"] = hook
                lines += [
                    "    r = []",
                    "    for e in v:",
                    f"      r.append(__u_{an}(e))",
                    f"    res[{key!r}] = r",
                ]
            continue
        inner = _optional_inner(t)
        hook = conv.get_unstructure_hook(t if inner is None else inner)
        lines.append("  if v is not None:")
        if hook is identity:
            lines.append(f"    res[{key!r}] = v")
        else:
            globs[f"__u_{an}"] = hook
            lines.append(f"    res[{key!r}] = __u_{an}(v)")
    lines += ["  x = i.extra", "  if x:", "    res.update(x)", "  return res"]
    return _compile(fn_name, cls, lines, globs)


def _unstructure_optional_factory(t: Any, conv: Converter) -> UnstructureHook:
    hook = conv.get_unstructure_hook(_optional_inner(t))
    if hook is identity:
        return identity

    def unstructure_optional(v: Any) -> Any:
        return None if v is None else hook(v)

    return unstructure_optional


def _unstructure_list_factory(t: Any, conv: Converter) -> UnstructureHook:
    args = get_args(t)
    hook = conv.get_unstructure_hook(args[0]) if args else conv.unstructure
    if hook is identity:
        return list

    def unstructure_list(v: list[Any]) -> list[Any]:
        return [hook(e) for e in v]

    return unstructure_list


def _compile(
    fn_name: str, cls: type, lines: list[str], globs: dict[str, Any]
) -> Callable[..., Any]:
    source = "\n".join(lines) + "\n"
    filename = f"<omsclient generated {fn_name} of {cls.__module__}.{cls.__qualname__}>"
    # With the source in linecache, tracebacks through generated code show their lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), globs)
    return cast("Callable[..., Any]", globs[fn_name])


# ---------------------------------------------------------------------------------------------
# The converters
# ---------------------------------------------------------------------------------------------


def _configure(conv: Converter) -> Converter:
    # Later registrations take precedence; the factories look scalar hooks up as they run.
    for tp, hook in _REQUIRED_SCALARS.items():
        conv.register_structure_hook(tp, hook)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_structure_hook_factory(_is_list, _structure_list_factory)
    conv.register_structure_hook_factory(_is_int_or_str, _structure_int_or_str_factory)
    conv.register_structure_hook_factory(_is_optional, _structure_optional_factory)
    conv.register_structure_hook_factory(_has_extra, _structure_model_factory)
    conv.register_unstructure_hook_factory(_is_list, _unstructure_list_factory)
    conv.register_unstructure_hook_factory(_is_optional, _unstructure_optional_factory)
    conv.register_unstructure_hook_factory(_has_extra, _unstructure_model_factory)
    return conv


converter: Converter = _configure(Converter(detailed_validation=False))
"""The converter for every model: fast, tolerant, keeps unknown keys."""

_detailed: Converter | None = None


def _detailed_converter() -> Converter:
    # Built on the first error: the slow twin that explains what went wrong.
    global _detailed
    if _detailed is None:
        _detailed = _configure(Converter(detailed_validation=True))
    return _detailed


def _describe(exc: BaseException, tp: Any) -> str:
    if isinstance(exc, (ValueError, TypeError)) and exc.args:
        return str(exc.args[0])
    return format_exception(exc, tp)


def _explain(data: Any, tp: Any, cause: Exception) -> StructureError:
    try:
        _detailed_converter().structure(data, tp)
    except (ClassValidationError, IterableValidationError) as exc:
        return StructureError(tp, transform_error(exc, "$", _describe))
    except Exception as exc:
        return StructureError(tp, [f"{_describe(exc, tp)} @ $"])
    return StructureError(tp, [f"{_describe(cause, tp)} @ $"])


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
            raise TypeError(f"expected a JSON array, got {_show(rows)}")
        return [hook(row, cls) for row in rows]
    except Exception as exc:
        raise _explain(rows, list[cls], exc) from exc  # type: ignore[valid-type]


def unstructure(obj: Any) -> Any:
    """Turn a model, or a list of models, into JSON-ready values.

    ``None`` values and untouched :class:`AbsentList` values are omitted, datetimes become UTC
    ``YYYY-MM-DDTHH:MM:SS`` strings and the keys kept in ``extra`` are written back.
    """
    return converter.unstructure(obj)
