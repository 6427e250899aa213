"""Every function the decoding package generates, and the msgspec mirrors it defines.

Models are (un)structured by functions generated once per class, like cattrs' own generated
hooks but filling the instance attribute by attribute: cattrs' hooks pass every field to
``__init__`` as ``**kwargs``, which costs about a microsecond per object on modest hardware,
half the time of a whole order. The page decoder's *mirrors* (msgspec structs, one per model)
and the functions copying a mirror into its model are generated here too, from the same reading
of the model classes and with the same inline checks, so both paths make the same models.

For a model with lazy parts (:mod:`omsclient._decoding._lazy`) the copy runs in two steps: at
the page, the model's own fields are copied and every conversion of its parts that can fail runs
in place in their mirrors (the *prepare* functions); when a part is first read, the *complete*
function builds the parts from the prepared mirrors, copying only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Annotated, Any, get_args

import attrs
import msgspec
from cattrs import Converter
from cattrs.fns import identity

from omsclient._compile import compile_function
from omsclient._decoding._lazy import Deferred, lazy_fields, slot_alias
from omsclient._decoding._scalars import (
    INT_RANGE,
    OPTIONAL_SCALARS,
    REQUIRED_SCALARS,
    StructureHook,
    json_ready,
)
from omsclient._decoding._types import (
    ABSENT,
    EXTRA,
    JSON_KEY,
    AbsentList,
    fast_path_fits,
    has_extra,
    is_list,
    json_keys,
    list_item,
    optional_inner,
    show,
)
from omsclient._json_read import loads

__all__ = [
    "DATE_FIELD",
    "LIST_FIELD",
    "LOOSE",
    "MODEL_FIELD",
    "SCALAR_FIELD",
    "STRICT_TYPES",
    "Loose",
    "MirrorField",
    "MirrorGenerator",
    "SelfReference",
    "hook_for",
    "making",
    "not_an_object",
    "quick_date",
    "structure_function",
    "unstructure_function",
    "unstructure_hook_for",
]

UnstructureHook = Callable[[Any], Any]


class SelfReference(Exception):
    """Raised while a model's hook is being made, by a request for that same model's hook."""


# The models whose hooks this thread is making: (converter id, direction, class).
_MAKING = threading.local()


@contextmanager
def making(conv: Converter, direction: str, cls: type) -> Iterator[None]:
    """Mark ``cls``'s ``direction`` hook as being made; a request for it meanwhile raises
    :class:`SelfReference`, which :func:`hook_for` and :func:`unstructure_hook_for` take."""
    made: set[tuple[int, str, type]] = _MAKING.__dict__.setdefault("models", set())
    key = (id(conv), direction, cls)
    if key in made:
        raise SelfReference(cls.__name__)
    made.add(key)
    try:
        yield
    finally:
        made.discard(key)


def hook_for(conv: Converter, t: Any) -> StructureHook:
    """The structure hook of ``t``."""
    try:
        return conv.get_structure_hook(t)
    except SelfReference:
        # A model that contains itself: look the hook up when it runs instead. (Nothing is
        # cached on the way out, so the model's own hook is the one its factory returns.)
        return conv.structure


def unstructure_hook_for(conv: Converter, t: Any) -> UnstructureHook:
    """The unstructure hook of ``t`` (as :func:`hook_for`)."""
    try:
        return conv.get_unstructure_hook(t)
    except SelfReference:
        return conv.unstructure


def not_an_object(name: str, nullable: bool) -> Callable[[Any], Any]:
    """The slow path of a model hook, for a value that is not a dict."""

    def refuse(o: Any) -> Any:
        if nullable and (o is None or (type(o) is list and not o)):
            # PHP encodes an empty object as [], so an empty array stands for "no object".
            return None
        if isinstance(o, Mapping):
            return dict(o)
        raise TypeError(f"expected a JSON object for {name}, got {show(o)}")

    return refuse


# ---------------------------------------------------------------------------------------------
# The converter's structure and unstructure functions
# ---------------------------------------------------------------------------------------------

# Inline tests of the well-typed case per field type; a value failing its test goes through
# the field's hook, which handles None, coercion and errors.
INLINE_TESTS: dict[Any, str] = {
    str: "type(v) is str or v is None",
    int: f"type(v) is int and {INT_RANGE.start} <= v < {INT_RANGE.stop} or v is None",
    # A finite float: -1e309 and 1e309 are the infinities, which no NaN is between either.
    # An infinity (the JSON number 1e400, read by the standard library) goes to the hook.
    # An integer past 64 bits goes to the hook too, which makes it the float orjson reads.
    float: (
        "(tv := type(v)) is float and -1e309 < v < 1e309 "
        f"or tv is int and {INT_RANGE.start} <= v < {INT_RANGE.stop} or v is None"
    ),
    bool: "v is True or v is False or v is None",
}
# The text live servers send for ids, amounts and flags ("3243137811", "12.50", "0"), read
# inline as the field's hook reads it first (see _scalars); any other value goes to the hook.
# Under 19 digits an integer is within 64 bits.
_DIGITS = "type(v) is str and v.isdigit() and v.isascii() and len(v) < 19"
_INLINE_TEXT: dict[Any, str] = {
    int: f"int(v) if {_DIGITS} else ",
    float: (
        f"int(v) if {_DIGITS} else float(v) "
        "if type(v) is str and v.isascii() and v.replace('.', '', 1).isdigit() else "
    ),
    bool: "True if v == '1' else False if v == '0' else ",
}


def _scalar_expression(inner: Any, hook: StructureHook, call: str) -> str:
    """The expression reading scalar ``v`` of type ``inner`` whose hook is ``hook``, called by
    ``call``: the well-typed value and the usual text inline, anything else by the hook (the
    text only for the tolerant scalar hooks, whose fast paths the inline reading repeats)."""
    ours = hook is OPTIONAL_SCALARS.get(inner) or hook is REQUIRED_SCALARS.get(inner)
    text = _INLINE_TEXT.get(inner, "") if ours else ""
    return f"v if {INLINE_TESTS[inner]} else {text}{call}"


def structure_function(cls: type, conv: Converter, nullable: bool) -> StructureHook:
    """The converter's hook for model ``cls``: no validation, unknown keys kept in ``extra``."""
    name = cls.__name__
    fn_name = f"structure_{name}{'_or_none' if nullable else ''}"
    keys = json_keys(cls)
    known = frozenset(keys.values())
    globs: dict[str, Any] = {
        "__cl": cls,
        "__new": object.__new__,
        "__fromiso": datetime.fromisoformat,
        "__UTC": timezone.utc,
        "__known": known,
        "__is_known": known.issuperset,
        "__not_an_object": not_an_object(name, nullable),
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
        if a.name == EXTRA:
            continue
        an, key, t = a.name, keys[a.name], a.type
        hook = globs[f"__h_{an}"] = hook_for(conv, t)
        globs[f"__t_{an}"] = t
        call = f"__h_{an}(v, __t_{an})"
        inner = optional_inner(t)
        lines.append(f"  v = get({key!r})")
        if inner in INLINE_TESTS:
            lines.append(f"  i.{an} = {_scalar_expression(inner, hook, call)}")
        elif inner is datetime:
            lines += quick_date(f"i.{an}", "type(v) is str", call, "  ")
        elif is_list(t) and get_args(t):
            elem = get_args(t)[0]
            globs[f"__eh_{an}"] = hook_for(conv, elem)
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
    return compile_function(fn_name, cls, lines, globs)


def quick_date(target: str, is_str: str, call: str, ind: str) -> list[str]:
    """Lines setting ``target`` to the optional date ``v``: the documented YYYY-MM-DDTHH:MM:SS
    form, the live server's ``2024-10-09T02:24:39.000+00:00`` and ``None`` read inline,
    anything else by the hook ``call``.

    A string of those shapes may be another form (``2025-03-26T14+01:00``, to the hour with an
    offset; ``2024-10-09+00:00``, which ``fromisoformat`` reads as a naive midnight) that the
    inline reading refuses or would read otherwise: the hook reads it, or refuses it as it
    refuses any value, so that both converters and the page decoder read every date alike.
    """
    return [
        f"{ind}if {is_str} and len(v) == 19 and v[16] == ':':",
        f"{ind}  try:",
        f"{ind}    {target} = __fromiso(v + '+00:00')",
        f"{ind}  except ValueError:",
        f"{ind}    {target} = {call}",
        f"{ind}elif {is_str} and v[-6:] == '+00:00':",
        f"{ind}  try:",
        f"{ind}    dt = __fromiso(v)",
        f"{ind}  except ValueError:",
        f"{ind}    dt = None",
        f"{ind}  {target} = dt if dt is not None and dt.tzinfo is __UTC else {call}",
        f"{ind}elif v is None:",
        f"{ind}  {target} = None",
        f"{ind}else:",
        f"{ind}  {target} = {call}",
    ]


def unstructure_function(cls: type, conv: Converter) -> UnstructureHook:
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
        if an == EXTRA:
            continue
        key, t = a.metadata.get(JSON_KEY, an), a.type
        lines.append(f"  v = i.{an}")
        if is_list(t):
            args = get_args(t)
            hook = unstructure_hook_for(conv, args[0]) if args else identity
            lines.append("  if v or type(v) is not __Absent:")
            if hook is identity:
                # list() of a string set by hand wrote its characters, of a dict its keys.
                lines += [
                    "    if isinstance(v, (str, bytes, dict)):",
                    "      raise TypeError('a list field holds no list')",
                    f"    res[{key!r}] = list(v)",
                ]
            else:
                globs[f"__u_{an}"] = hook
                lines += [
                    "    r = []",
                    "    for e in v:",
                    f"      r.append(__u_{an}(e))",
                    f"    res[{key!r}] = r",
                ]
            continue
        inner = optional_inner(t)
        hook = unstructure_hook_for(conv, t if inner is None else inner)
        lines.append("  if v is not None:")
        if hook is identity:
            lines.append(f"    res[{key!r}] = v")
        else:
            globs[f"__u_{an}"] = hook
            lines.append(f"    res[{key!r}] = __u_{an}(v)")
    globs["__extra"] = _extra_writer(cls)
    lines += ["  x = i.extra", "  if x:", "    res.update(__extra(x))", "  return res"]
    return compile_function(fn_name, cls, lines, globs)


def _extra_writer(cls: type) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``extra`` made JSON-ready, refused where one of its keys is a field's JSON key: written
    after the fields, it would replace what the model holds (a key the reader put in ``extra``
    never is one, so only a hand-made ``extra`` can hold one)."""
    fields = {key: name for name, key in json_keys(cls).items()}

    def extra_json(x: dict[str, Any]) -> dict[str, Any]:
        taken = fields.keys() & x.keys()
        if taken:
            key = min(taken)
            raise ValueError(
                f"{cls.__name__}.extra holds {key!r}, a field of its own: set {fields[key]} instead"
            )
        return json_ready(x)

    return extra_json


# ---------------------------------------------------------------------------------------------
# The page decoder's mirrors and the functions copying them into models
# ---------------------------------------------------------------------------------------------

# orjson reads integers beyond 64 bits as floats; the mirrors refuse them, so such a value takes
# the converter's path and becomes what it would have become there.
_Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
LOOSE: Any = bool | _Int64 | float | str | None
_STRICT: dict[Any, Any] = {
    str: str | None,
    int: _Int64 | None,
    float: _Int64 | float | None,  # an integer stays an integer, as the converter keeps it
    bool: bool | None,
    datetime: str | None,
}
# The Python types a strict field holds, to find which fields a loose page needed loose.
STRICT_TYPES: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    datetime: (str,),
}
# Nested models are built inline, in one function per row, down to this depth.
_INLINE_DEPTH = 6

Loose = frozenset[tuple[type, str]]
"""Fields (model, attribute) whose mirrors take every scalar; ``None`` for all of them."""


# ---------------------------------------------------------------------------------------------
# Generating the mirrors and the copy functions
# ---------------------------------------------------------------------------------------------

SCALAR_FIELD, DATE_FIELD, MODEL_FIELD, LIST_FIELD, RAW_FIELD, LEARNED_FIELD = range(6)
_SCALARS = (int, float, bool, str, datetime)


@attrs.frozen
class MirrorField:
    """How one field of a model is mirrored and copied."""

    name: str
    key: str
    kind: int
    type: Any
    model: type | None  # the nested model of a model or list field
    loose: bool


class MirrorGenerator:
    """Mirrors and copy functions for a tree of models, loose where ``loose`` says.

    A loose value goes through the same hook as in ``converter``, so both make the same models.
    """

    def __init__(
        self, converter: Converter, learned: dict[type, tuple[str, ...]], loose: Loose | None
    ) -> None:
        self.converter = converter
        self.learned = learned
        self.loose = loose
        self.plans: dict[type, tuple[MirrorField, ...]] = {}
        self.mirrors: dict[type, Any] = {}
        self.functions: dict[Any, Callable[..., Any]] = {}
        # For learning: each model class of the tree and its fields holding models.
        self.children: dict[type, tuple[str, ...]] = {}
        self.globs: dict[str, Any] = {
            "__new": object.__new__,
            "__fromiso": datetime.fromisoformat,
            "__UTC": timezone.utc,
            "__Absent": AbsentList,
            "__UNSET": ABSENT,
            "__loads": loads,
            "__mv": memoryview,
            "__Deferred": Deferred,
        }
        self._names: dict[Any, str] = {}
        self._open: set[type] = set()
        self._completions: dict[type, dict[Any, Callable[[Any, Deferred], None]]] = {}

    def fits(self, cls: Any) -> bool:
        """Whether ``cls`` gets a mirror (a model with ``extra`` the fast path can build)."""
        if not has_extra(cls) or cls in self._open:
            return False  # a model containing itself is read through the converter
        attrs.resolve_types(cls)
        return fast_path_fits(cls)

    def _glob(self, value: Any, prefix: str) -> str:
        """The name of ``value`` in the generated functions' globals."""
        key = (prefix, id(value))
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"__{prefix}{len(self._names)}"
            self.globs[name] = value
        return name

    # --- mirrors ---------------------------------------------------------------------------

    def mirror(self, cls: type) -> Any:
        """The mirror struct of ``cls`` (and of every model under it)."""
        if cls not in self.mirrors:
            self._open.add(cls)
            try:
                self._mirror(cls)
            finally:
                self._open.discard(cls)
        return self.mirrors[cls]

    def _mirror(self, cls: type) -> None:
        keys = json_keys(cls)
        plan: list[MirrorField] = []
        fields: list[tuple[str, Any, Any]] = []
        for a in attrs.fields(cls):
            an, t = a.name, a.type
            if an == EXTRA:
                continue
            loose = self.loose is None or (cls, an) in self.loose
            inner = optional_inner(t)
            elem = list_item(t)
            default: Any = None
            model: type | None = None
            if inner in _SCALARS:
                kind = DATE_FIELD if inner is datetime else SCALAR_FIELD
                mirror_type = LOOSE if loose else _STRICT[inner]
            elif inner is not None and self.fits(inner):
                kind, model = MODEL_FIELD, inner
                mirror_type = self.mirror(inner) | (list[Any] | None if loose else None)
            elif elem is not None and self.fits(elem):
                kind, model = LIST_FIELD, elem
                mirror_type = tuple[self.mirror(elem), ...] | None  # type: ignore[misc]
            else:
                # Any other type: the raw JSON, read by orjson and then by the converter's hook.
                kind, mirror_type, default = RAW_FIELD, msgspec.Raw, ABSENT
            plan.append(MirrorField(an, keys[an], kind, t, model, loose))
            spec = default if keys[an] == an else msgspec.field(default=default, name=keys[an])
            fields.append((an, mirror_type, spec))
        taken = {f[0] for f in fields} | {a.name for a in attrs.fields(cls)}
        for n, key in enumerate(self.learned.get(cls, ())):
            attr = f"learned_{n}"
            while attr in taken:
                attr += "_"
            fields.append((attr, msgspec.Raw, msgspec.field(default=ABSENT, name=key)))
            plan.append(MirrorField(attr, key, LEARNED_FIELD, None, None, True))
        self.plans[cls] = tuple(plan)
        self.children[cls] = tuple(f.name for f in plan if f.kind in (MODEL_FIELD, LIST_FIELD))
        self.mirrors[cls] = msgspec.defstruct(
            f"Mirror{cls.__name__}", fields, forbid_unknown_fields=True, gc=False
        )

    # --- copy functions --------------------------------------------------------------------

    def function(self, cls: type) -> Callable[[Any], Any]:
        """The function building a ``cls`` from its mirror.

        The nested parts :func:`~omsclient._decoding._lazy.lazy_parts` made lazy are prepared
        (every conversion that can fail runs now, see :meth:`prepare`) and left to the
        :class:`Deferred`: the first read of one builds it alone (:meth:`completions`), the
        first read of another builds the rest (:meth:`completion`).
        """

        def write(lines: list[str]) -> None:
            self.mirror(cls)
            self._body(cls, 0, "  ", lines, lazy=frozenset(lazy_fields(cls)))

        return self._compiled(cls, cls, "mirror_to", write, returns="i0")

    def _compiled(
        self,
        key: Any,
        cls: type,
        kind: str,
        write: Callable[[list[str]], None],
        returns: str = "None",
        params: str = "s0",
    ) -> Callable[..., Any]:
        """The generated function ``key`` stands for, compiled once: named for ``kind``,
        ``cls`` and the tier, its body the lines ``write`` adds."""
        if key not in self.functions:
            name = f"{kind}_{cls.__name__}_{'loose' if self.loose is None else 'adaptive'}"
            lines = [f"def {name}({params}):"]
            write(lines)
            lines.append(f"  return {returns}")
            self.functions[key] = compile_function(name, cls, lines, self.globs)
        return self.functions[key]

    def hooked(self, cls: type) -> bool:
        """Whether a mirror of ``cls`` holds a value that a hook must convert (and may refuse)."""
        return any(
            f.kind in (DATE_FIELD, RAW_FIELD, LEARNED_FIELD)
            or (f.loose and f.kind in (SCALAR_FIELD, MODEL_FIELD))
            or (f.model is not None and self.hooked(f.model))
            for f in self.plans[cls]
        )

    def prepare(self, cls: type) -> Callable[[Any], None]:
        """The function running, in place, every conversion of a mirror of ``cls`` (and of
        the mirrors under it) that can fail: afterwards building its model only copies."""

        def write(lines: list[str]) -> None:
            self.mirror(cls)
            for f in self.plans[cls]:
                lines += self._prepare_field(f)

        return self._compiled(("prepare", cls), cls, "prepare", write)

    def completions(self, cls: type) -> dict[Any, Callable[[Any, Deferred], None]]:
        """For each lazy part of a ``cls``, by the slot holding it, the function building that
        part alone (:meth:`completion` of it)."""
        found = self._completions.get(cls)
        if found is None:
            lazy = lazy_fields(cls)
            found = self._completions[cls] = {
                lazy[name]: self.completion(cls, (name,)) for name in self._lazy_parts(cls)
            }
        return found

    def _lazy_parts(self, cls: type) -> tuple[str, ...]:
        lazy = lazy_fields(cls)
        return tuple(f.name for f in self.plans[cls] if f.name in lazy and f.model is not None)

    def completion(
        self, cls: type, names: tuple[str, ...] | None = None
    ) -> Callable[[Any, Deferred], None]:
        """The function building the lazy parts ``names`` of a ``cls`` (every one: None) from
        its prepared mirror, each part still waiting for that :class:`Deferred` (a part set
        meanwhile is kept); the mirror lets its copy of each go."""
        names = self._lazy_parts(cls) if names is None else names

        def write(lines: list[str]) -> None:
            lines.append("  s0 = d.mirror")
            for f in self.plans[cls]:
                if f.name in names:
                    slot = slot_alias(f.name)
                    lines += [
                        "  try:",
                        f"    w = i0.{slot}",
                        "  except AttributeError:  # deleted",
                        "    w = None",
                        "  if w is d:",
                        f"    v = s0.{f.name}",
                    ]
                    self._part(f, 0, "    ", lines, prepared=True, target=f"i0.{slot} = {{}}")
                    # Let go once the part is stored, not before: a process forked by another
                    # thread in between builds it again from the mirror, which still holds it.
                    lines.append(f"    s0.{f.name} = None")

        one = names[0] if len(names) == 1 else "parts"
        return self._compiled(
            ("complete", cls, names), cls, f"complete_{one}", write, "None", "i0, d"
        )

    def _hook(self, f: MirrorField) -> str:
        """The call of ``f``'s converter hook on ``v``."""
        return f"{self._glob(hook_for(self.converter, f.type), 'h')}(v, {self._glob(f.type, 't')})"

    def _conversion(self, f: MirrorField) -> str | None:
        """The expression converting a scalar or raw value ``v`` of ``f``, or ``None`` when
        the value is copied as it is (dates are converted by :func:`quick_date`'s lines)."""
        if f.kind == SCALAR_FIELD:
            if not f.loose:
                return None
            hook = hook_for(self.converter, f.type)
            return _scalar_expression(optional_inner(f.type), hook, self._hook(f))
        assert f.kind == RAW_FIELD
        return self._hook(f)

    def _scalar(self, f: MirrorField, src: str, dst: str, ind: str, prepared: bool) -> list[str]:
        """Lines setting ``dst``'s attribute of scalar, date or raw field ``f`` to the value of
        mirror ``src``: converted, unless ``prepared`` (or the field's values need nothing).
        No lines when ``dst`` is ``src`` and there is nothing to convert."""
        if f.kind == DATE_FIELD and not prepared:  # as the converter's generated hook does
            is_str = "type(v) is str" if f.loose else "v is not None"
            target = f"{dst}.{f.name}"
            return [f"{ind}v = {src}.{f.name}", *quick_date(target, is_str, self._hook(f), ind)]
        conversion = None if prepared else self._conversion(f)
        if conversion is None:
            return [] if dst == src else [f"{ind}{dst}.{f.name} = {src}.{f.name}"]
        lines = [f"{ind}v = {src}.{f.name}"]
        if f.kind == RAW_FIELD:
            lines.append(f"{ind}v = None if v is __UNSET else __loads(__mv(v))")
        return [*lines, f"{ind}{dst}.{f.name} = {conversion}"]

    def _prepare_field(self, f: MirrorField) -> list[str]:
        """Lines converting field ``f`` of mirror ``s0`` in place (none if nothing to do)."""
        an = f.name
        if f.kind == LEARNED_FIELD:
            return [f"  v = s0.{an}", "  if v is not __UNSET:", f"    s0.{an} = __loads(__mv(v))"]
        if f.kind in (SCALAR_FIELD, DATE_FIELD, RAW_FIELD):
            return self._scalar(f, "s0", "s0", "  ", prepared=False)
        assert f.model is not None
        inner = self.hooked(f.model)
        prepare = self._glob(self.prepare(f.model), "p") if inner else ""
        if f.kind == LIST_FIELD:
            if not inner:
                return []
            return [f"  v = s0.{an}", "  if v is not None:", f"    for e in v: {prepare}(e)"]
        if f.loose:
            mirror = self._glob(self.mirrors[f.model], "m")
            lines = [f"  v = s0.{an}", f"  if type(v) is not {mirror}:"]
            lines.append(f"    s0.{an} = {self._hook(f)}")
            return lines + (["  else:", f"    {prepare}(v)"] if inner else [])
        if not inner:
            return []
        return [f"  v = s0.{an}", "  if v is not None:", f"    {prepare}(v)"]

    def _body(
        self,
        cls: type,
        d: int,
        ind: str,
        lines: list[str],
        prepared: bool = False,
        lazy: frozenset[str] = frozenset(),
    ) -> None:
        """Lines setting ``i{d}`` to the model of mirror ``s{d}``.

        ``prepared``: the mirror was converted in place by :meth:`prepare`, so values are only
        copied. ``lazy``: the parts to prepare now and leave to a :class:`Deferred`, which keeps
        the mirror until they are built: its raw values, views of the whole page's body, are
        dropped from it once read, so an unread row does not keep its page alive.
        """
        src, dst = f"s{d}", f"i{d}"
        lines.append(f"{ind}{dst} = __new({self._glob(cls, 'cl')})")
        if lazy:
            each = self._glob(self.completions(cls), "c")
            rest = self._glob(self.completion(cls), "c")
            lines.append(f"{ind}d = __Deferred({src}, {each}, {rest})")
        learned = []
        for f in self.plans[cls]:
            an = f.name
            if f.kind == LEARNED_FIELD:
                learned.append(f)
                continue
            if f.kind in (SCALAR_FIELD, DATE_FIELD, RAW_FIELD):
                lines += self._scalar(f, src, dst, ind, prepared)
                if lazy and f.kind == RAW_FIELD:
                    lines.append(f"{ind}{src}.{an} = __UNSET")
            elif an in lazy:
                self._deferred(cls, f, lines)
            else:
                lines.append(f"{ind}v = {src}.{an}")
                self._part(f, d, ind, lines, prepared, f"{dst}.{an} = {{}}")
        if not learned:
            lines.append(f"{ind}{dst}.extra = {{}}")
            return
        lines.append(f"{ind}x = {{}}")
        for f in learned:
            value = "v" if prepared else "__loads(__mv(v))"
            lines += [
                f"{ind}v = {src}.{f.name}",
                f"{ind}if v is not __UNSET:",
                f"{ind}  x[{f.key!r}] = {value}",
            ]
            if lazy:
                lines.append(f"{ind}  {src}.{f.name} = __UNSET")
        lines.append(f"{ind}{dst}.extra = x")

    def _part(
        self, f: MirrorField, d: int, ind: str, lines: list[str], prepared: bool, target: str
    ) -> None:
        """Lines building model or list field ``f`` of mirror value ``v`` into ``target``, a
        statement with ``{}`` for the value."""
        assert f.model is not None
        if f.kind == MODEL_FIELD:
            if f.loose:
                mirror = self._glob(self.mirrors[f.model], "m")
                value = "v" if prepared else self._hook(f)
                lines += [f"{ind}if type(v) is not {mirror}:", f"{ind}  {target.format(value)}"]
            else:
                lines += [f"{ind}if v is None:", f"{ind}  {target.format('None')}"]
            lines.append(f"{ind}else:")
            self._nested(f.model, d + 1, ind + "  ", lines, "v", prepared)
            lines.append(f"{ind}  {target.format(f'i{d + 1}')}")
            return
        acc = f"r{d + 1}"
        lines += [
            f"{ind}if v is None:",
            f"{ind}  {target.format('__Absent()')}",
            f"{ind}else:",
            f"{ind}  {acc} = []",
            f"{ind}  for s{d + 1} in v:",
        ]
        self._nested(f.model, d + 1, ind + "    ", lines, f"s{d + 1}", prepared)
        lines += [f"{ind}    {acc}.append(i{d + 1})", f"{ind}  {target.format(acc)}"]

    def _deferred(self, cls: type, f: MirrorField, lines: list[str]) -> None:
        """Lines preparing part ``f`` of ``i0`` in its mirror ``s0`` and leaving it to ``d``
        (a row's own function: depth 0)."""
        assert f.model is not None
        slot = slot_alias(f.name)
        absent = "__Absent()" if f.kind == LIST_FIELD else "None"
        # A loose model field may hold what is no mirror: preparing replaced it by its model.
        hooked = f.kind == MODEL_FIELD and f.loose
        prepare = self._prepare_field(f)
        lines += prepare
        if not prepare or hooked:  # else ``v`` still holds the mirror's value, prepared
            lines.append(f"  v = s0.{f.name}")
        lines += ["  if v is None:", f"    i0.{slot} = {absent}"]
        if hooked:
            mirror = self._glob(self.mirrors[f.model], "m")
            lines += [f"  elif type(v) is not {mirror}:", f"    i0.{slot} = v"]
        lines += ["  else:", f"    i0.{slot} = d"]

    def _nested(
        self, cls: type, d: int, ind: str, lines: list[str], value: str, prepared: bool
    ) -> None:
        if d < _INLINE_DEPTH:
            if value != f"s{d}":
                lines.append(f"{ind}s{d} = {value}")
            self._body(cls, d, ind, lines, prepared)
        else:
            lines.append(f"{ind}i{d} = {self._glob(self._builder(cls, prepared), 'f')}({value})")

    def _builder(self, cls: type, prepared: bool) -> Callable[[Any], Any]:
        """A function building a ``cls`` from its mirror, for models nested too deep to
        inline (``prepared``: from a prepared mirror)."""
        if not prepared:
            return self.function(cls)

        def write(lines: list[str]) -> None:
            self._body(cls, 0, "  ", lines, prepared=True)

        return self._compiled(("prepared", cls), cls, "prepared_to", write, returns="i0")
