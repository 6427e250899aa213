"""Pages of search results straight from bytes to models.

The converter of :mod:`omsclient._convert` reads what :func:`orjson.loads` made of the body:
every object of a page becomes a dict first, which the converter then reads back key by key.
On a page of large orders that costs as much as the models themselves. A :class:`PageDecoder`
skips the dicts: msgspec decodes the body into *mirror* structs, generated once per model and
never tracked by the garbage collector, and one generated function per row copies the mirrors
into the models. The models are the converter's, value for value:

* A *strict* mirror field takes only its well-typed JSON (a string for a ``str``, a 64-bit
  integer for an ``int``, an integer or a float for a ``float``...), which is then copied
  unchecked: the converter would keep it as it is.
* A *loose* mirror field takes null, booleans, 64-bit integers, floats and strings (and ``[]``,
  PHP's empty object, for a model), and each value goes through the same inline check and the
  same hook as in the converter: string ids and amounts, ``""``, ``"0"``.
* Dates stay strings until the converter's date hook, or its inline form, reads them.

Every field starts strict. A page a strict field refuses is read by the fully loose *tier*, and
the fields that held other shapes become loose from then on: a live server that sends its line
ids as strings costs a check on those fields only.

What no mirror accepts, the decoder hands back: :meth:`PageDecoder.decode` returns ``None`` for
an unknown key, an integer beyond 64 bits, an object where a number belongs, a value a hook
refuses or a body that is not JSON, and the caller takes the converter's path, which keeps
unknown keys and explains errors. The keys that path keeps are learned (:meth:`PageDecoder.learn`):
the mirrors are rebuilt with a field for each, so a server that always sends some undocumented
key is decoded fast from its next page on. Learned values are read by :func:`orjson.loads`, as on
the converter's path. (Among themselves, learned keys keep the order they were first seen in.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar, get_args

import attrs
import msgspec
import orjson

from omsclient._convert import (
    _EXTRA,
    _INLINE_TESTS,
    AbsentList,
    _compile,
    _fast_path_fits,
    _has_extra,
    _hook,
    _is_list,
    _json_keys,
    _optional_inner,
    converter,
)

__all__ = ["ABSENT", "DecodedPage", "PageDecoder", "ParsedPage"]

T = TypeVar("T")

ABSENT: Any = msgspec.UNSET
"""The ``total`` of a :class:`DecodedPage` whose answer had none."""

# orjson reads integers beyond 64 bits as floats; the mirrors refuse them, so such a value takes
# the converter's path and becomes what it would have become there.
_Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_LOOSE: Any = bool | _Int64 | float | str | None
_STRICT: dict[Any, Any] = {
    str: str | None,
    int: _Int64 | None,
    float: _Int64 | float | None,  # an integer stays an integer, as the converter keeps it
    bool: bool | None,
    datetime: str | None,
}
# The Python types a strict field holds, to find which fields a loose page needed loose.
_STRICT_TYPES: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    datetime: (str,),
}
_LEARNED_PER_CLASS = 64
# Learning stops after this many walks in a row found nothing new: the misses are something else.
_FRUITLESS_LEARNS = 32
# Nested models are built inline, in one function per row, down to this depth.
_INLINE_DEPTH = 6

Loose = frozenset[tuple[type, str]]
"""Fields (model, attribute) whose mirrors take every scalar; ``None`` for all of them."""


@attrs.frozen
class DecodedPage(Generic[T]):
    """A search answer decoded by a :class:`PageDecoder`.

    Attributes:
        status: the answer's ``response_status`` (``None`` when it had none).
        total: the answer's ``total``, or :data:`ABSENT`.
        items: the models of the rows.
    """

    status: Any
    total: Any
    items: list[T]


@attrs.define(slots=True, eq=False)
class ParsedPage:
    """A search answer read into mirrors by :meth:`PageDecoder.parse`, models not yet built.

    Attributes:
        status: the answer's ``response_status`` (``None`` when it had none).
        total: the answer's ``total``, or :data:`ABSENT`.
        rows: the mirrors of the rows (``None`` when the answer had no row list).
        convert: builds the model of one mirror; the one of the tier that read them.
    """

    status: Any
    total: Any
    rows: list[Any] | None
    convert: Callable[[Any], Any]

    def __len__(self) -> int:
        return 0 if self.rows is None else len(self.rows)


@attrs.frozen
class _Tier:
    decoder: msgspec.json.Decoder[Any]
    convert: Callable[[Any], Any]
    generator: _Generator


@attrs.frozen
class _Built:
    adaptive: _Tier  # strict but for the fields seen loose
    loose: _Tier  # every field loose


class PageDecoder(Generic[T]):
    """Decodes an answer holding a list of ``cls`` under ``key`` straight into models.

    Built on first use; safe to share between threads and event loops.
    """

    def __init__(self, key: str, cls: type[T]) -> None:
        if not _Generator({}, None).fits(cls):
            raise TypeError(f"{cls.__name__} is not a model the fast path can build")
        self.key = key
        self.cls = cls
        self._learned: dict[type, tuple[str, ...]] = {}
        self._loose: Loose = frozenset()
        self._built: _Built | None = None
        self._lock = threading.Lock()
        self._fruitless = 0
        # Whether the last page needed the loose tier for a reason no field explained.
        self._prefer_loose = False

    def decode(self, content: bytes) -> DecodedPage[T] | None:
        """The page, or ``None`` when the converter's path must read it (see the module)."""
        parsed = self.parse(content)
        return None if parsed is None else self.build(parsed)

    def parse(self, content: bytes) -> ParsedPage | None:
        """The first half of :meth:`decode`: the JSON read into mirrors, or ``None``.

        This half runs in C and checks the whole body (syntax, UTF-8, shapes), so a caller can
        tell a good answer, its status, total and row count before paying for the models.
        """
        built = self._built or self._build()
        tiers = (built.loose,) if self._prefer_loose else (built.adaptive, built.loose)
        for tier in tiers:
            try:
                envelope = tier.decoder.decode(content)
            except msgspec.ValidationError:
                continue  # a value of another shape: the loose tier may take it
            except Exception:
                return None  # not JSON
            rows = envelope.rows
            if tier is built.loose and not self._prefer_loose and rows:
                self._loosen(built, rows)
            try:
                status = _json(envelope.status, None)
                total = _json(envelope.total, ABSENT)
            except orjson.JSONDecodeError:
                return None
            return ParsedPage(status, total, rows, tier.convert)
        return None

    def build(self, parsed: ParsedPage) -> DecodedPage[T] | None:
        """The second half of :meth:`decode`: the models of a parsed page, or ``None`` when a
        hook refuses a value (the converter then explains it). Consumes ``parsed``."""
        items: list[T] = []
        rows = parsed.rows
        if rows is not None:
            append, convert = items.append, parsed.convert
            try:
                for i in range(len(rows)):
                    append(convert(rows[i]))
                    # Free each mirror once copied: fewer live objects for the GC to count.
                    rows[i] = None
            except Exception:
                return None
        return DecodedPage(status=parsed.status, total=parsed.total, items=items)

    def learn(self, items: list[T]) -> None:
        """Add the unknown keys kept on ``items`` (read by the converter) to the mirrors."""
        built = self._built or self._build()
        if self._fruitless >= _FRUITLESS_LEARNS:
            return
        found: dict[type, dict[str, None]] = {}
        _collect(items, built.loose.generator.children, found)
        with self._lock:
            learned = dict(self._learned)
            grew = False
            for cls, keys in found.items():
                have = learned.get(cls, ())
                new = [k for k in keys if k not in have]
                if new and len(have) + len(new) <= _LEARNED_PER_CLASS:
                    learned[cls] = (*have, *new)
                    grew = True
            if not grew:
                self._fruitless += 1
                return
            self._fruitless = 0
            self._learned = learned
            self._built = _build(self.key, self.cls, learned, self._loose)

    def _loosen(self, built: _Built, rows: list[Any]) -> None:
        """Make loose the fields of ``rows`` (loose mirrors) a strict mirror would refuse."""
        found = _odd_fields(rows, built.loose.generator)
        if found <= (built.adaptive.generator.loose or frozenset()):
            # No field explains why the adaptive tier refused the page: read loose from now on.
            self._prefer_loose = True
            return
        with self._lock:
            loose = self._loose | found
            if loose != self._loose:
                self._loose = loose
                self._built = _build(self.key, self.cls, self._learned, loose)

    def _build(self) -> _Built:
        with self._lock:
            if self._built is None:
                self._built = _build(self.key, self.cls, self._learned, self._loose)
            return self._built


def _build(key: str, cls: type, learned: dict[type, tuple[str, ...]], loose: Loose) -> _Built:
    tiers = []
    for fields in (loose, None):
        gen = _Generator(learned, fields)
        convert = gen.function(cls)
        row: Any = gen.mirrors[cls]
        envelope = msgspec.defstruct(
            "Envelope",
            [
                ("status", msgspec.Raw, msgspec.field(default=ABSENT, name="response_status")),
                ("total", msgspec.Raw, msgspec.field(default=ABSENT)),
                ("rows", list[row] | None, msgspec.field(default=None, name=key)),
            ],
            gc=False,
        )
        tiers.append(_Tier(msgspec.json.Decoder(envelope), convert, gen))
    return _Built(tiers[0], tiers[1])


def _json(raw: Any, absent: Any) -> Any:
    return absent if raw is ABSENT else orjson.loads(memoryview(raw))


def _collect(
    objs: list[Any], children: dict[type, tuple[str, ...]], found: dict[type, Any]
) -> None:
    """Gather the ``extra`` keys of every model reachable from ``objs``, by class."""
    for obj in objs:
        cls = type(obj)
        fields = children.get(cls)
        if fields is None:
            continue
        if obj.extra:
            found.setdefault(cls, {}).update(dict.fromkeys(obj.extra))
        for name in fields:
            value = getattr(obj, name)
            if value is not None:
                _collect(value if type(value) is list else [value], children, found)


def _odd_fields(rows: list[Any], generator: _Generator) -> Loose:
    """The fields of loose mirrors ``rows`` holding what a strict mirror would refuse."""
    models = {mirror: cls for cls, mirror in generator.mirrors.items()}
    odd: set[tuple[type, str]] = set()
    stack = list(rows)
    while stack:
        mirror = stack.pop()
        cls = models[type(mirror)]
        for f in generator.plans[cls]:
            value = getattr(mirror, f.name)
            if value is None or (cls, f.name) in odd:
                continue
            if f.kind in (_SCALAR_FIELD, _DATE_FIELD):
                if type(value) not in _STRICT_TYPES[_optional_inner(f.type)]:
                    odd.add((cls, f.name))
            elif f.kind == _MODEL_FIELD:
                if type(value) is list:
                    odd.add((cls, f.name))
                else:
                    stack.append(value)
            elif f.kind == _LIST_FIELD:
                stack.extend(value)
    return frozenset(odd)


# ---------------------------------------------------------------------------------------------
# Generating the mirrors and the copy functions
# ---------------------------------------------------------------------------------------------

_SCALAR_FIELD, _DATE_FIELD, _MODEL_FIELD, _LIST_FIELD, _RAW_FIELD, _LEARNED_FIELD = range(6)
_SCALARS = (int, float, bool, str, datetime)


@attrs.frozen
class _Field:
    name: str
    key: str
    kind: int
    type: Any
    model: type | None  # the nested model of a model or list field
    loose: bool


class _Generator:
    """Mirrors and copy functions for a tree of models, loose where ``loose`` says."""

    def __init__(self, learned: dict[type, tuple[str, ...]], loose: Loose | None) -> None:
        self.learned = learned
        self.loose = loose
        self.plans: dict[type, tuple[_Field, ...]] = {}
        self.mirrors: dict[type, Any] = {}
        self.functions: dict[type, Callable[[Any], Any]] = {}
        # For learning: each model class of the tree and its fields holding models.
        self.children: dict[type, tuple[str, ...]] = {}
        self.globs: dict[str, Any] = {
            "__new": object.__new__,
            "__fromiso": datetime.fromisoformat,
            "__Absent": AbsentList,
            "__UNSET": ABSENT,
            "__loads": orjson.loads,
            "__mv": memoryview,
        }
        self._names: dict[Any, str] = {}
        self._open: set[type] = set()

    def fits(self, cls: Any) -> bool:
        """Whether ``cls`` gets a mirror (a model with ``extra`` the fast path can build)."""
        if not _has_extra(cls) or cls in self._open:
            return False  # a model containing itself is read through the converter
        attrs.resolve_types(cls)
        return _fast_path_fits(cls)

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
        keys = _json_keys(cls)
        plan: list[_Field] = []
        fields: list[tuple[str, Any, Any]] = []
        for a in attrs.fields(cls):
            an, t = a.name, a.type
            if an == _EXTRA:
                continue
            loose = self.loose is None or (cls, an) in self.loose
            inner = _optional_inner(t)
            elem = get_args(t)[0] if _is_list(t) and get_args(t) else None
            default: Any = None
            model: type | None = None
            if inner in _SCALARS:
                kind = _DATE_FIELD if inner is datetime else _SCALAR_FIELD
                mirror_type = _LOOSE if loose else _STRICT[inner]
            elif inner is not None and self.fits(inner):
                kind, model = _MODEL_FIELD, inner
                mirror_type = self.mirror(inner) | (list[Any] | None if loose else None)
            elif elem is not None and self.fits(elem):
                kind, model = _LIST_FIELD, elem
                mirror_type = list[self.mirror(elem)] | None  # type: ignore[misc]
            else:
                # Any other type: the raw JSON, read by orjson and then by the converter's hook.
                kind, mirror_type, default = _RAW_FIELD, msgspec.Raw, ABSENT
            plan.append(_Field(an, keys[an], kind, t, model, loose))
            spec = default if keys[an] == an else msgspec.field(default=default, name=keys[an])
            fields.append((an, mirror_type, spec))
        taken = {f[0] for f in fields} | {a.name for a in attrs.fields(cls)}
        for n, key in enumerate(self.learned.get(cls, ())):
            attr = f"learned_{n}"
            while attr in taken:
                attr += "_"
            fields.append((attr, msgspec.Raw, msgspec.field(default=ABSENT, name=key)))
            plan.append(_Field(attr, key, _LEARNED_FIELD, None, None, True))
        self.plans[cls] = tuple(plan)
        self.children[cls] = tuple(f.name for f in plan if f.kind in (_MODEL_FIELD, _LIST_FIELD))
        self.mirrors[cls] = msgspec.defstruct(
            f"Mirror{cls.__name__}", fields, forbid_unknown_fields=True, gc=False
        )

    # --- copy functions --------------------------------------------------------------------

    def function(self, cls: type) -> Callable[[Any], Any]:
        """The function building a ``cls`` from its mirror."""
        if cls not in self.functions:
            self.mirror(cls)
            name = f"mirror_to_{cls.__name__}_{'loose' if self.loose is None else 'adaptive'}"
            lines = [f"def {name}(s0):"]
            self._body(cls, 0, "  ", lines)
            lines.append("  return i0")
            self.functions[cls] = _compile(name, cls, lines, self.globs)
        return self.functions[cls]

    def _body(self, cls: type, d: int, ind: str, lines: list[str]) -> None:
        """Lines setting ``i{d}`` to the model of mirror ``s{d}``."""
        src, dst = f"s{d}", f"i{d}"
        lines.append(f"{ind}{dst} = __new({self._glob(cls, 'cl')})")
        learned = []
        for f in self.plans[cls]:
            an = f.name
            if f.kind == _LEARNED_FIELD:
                learned.append(f)
                continue
            if f.kind == _SCALAR_FIELD and not f.loose:
                lines.append(f"{ind}{dst}.{an} = {src}.{an}")
                continue
            lines.append(f"{ind}v = {src}.{an}")
            hook = f"{self._glob(_hook(converter, f.type), 'h')}(v, {self._glob(f.type, 't')})"
            if f.kind == _SCALAR_FIELD:
                test = _INLINE_TESTS[_optional_inner(f.type)]
                lines.append(f"{ind}{dst}.{an} = v if {test} else {hook}")
            elif f.kind == _DATE_FIELD:  # as the converter's generated hook does
                is_str = "type(v) is str" if f.loose else "v is not None"
                lines.append(
                    f"{ind}{dst}.{an} = __fromiso(v + '+00:00') if {is_str} and len(v) == 19"
                    f" and v[16] == ':' else {hook}"
                )
            elif f.kind == _MODEL_FIELD:
                assert f.model is not None
                if f.loose:
                    mirror = self._glob(self.mirrors[f.model], "m")
                    lines += [f"{ind}if type(v) is not {mirror}:", f"{ind}  {dst}.{an} = {hook}"]
                else:
                    lines += [f"{ind}if v is None:", f"{ind}  {dst}.{an} = None"]
                lines.append(f"{ind}else:")
                self._nested(f.model, d + 1, ind + "  ", lines, "v")
                lines.append(f"{ind}  {dst}.{an} = i{d + 1}")
            elif f.kind == _LIST_FIELD:
                assert f.model is not None
                acc = f"r{d + 1}"
                lines += [
                    f"{ind}if v is None:",
                    f"{ind}  {dst}.{an} = __Absent()",
                    f"{ind}else:",
                    f"{ind}  {acc} = []",
                    f"{ind}  for s{d + 1} in v:",
                ]
                self._nested(f.model, d + 1, ind + "    ", lines, f"s{d + 1}")
                lines += [f"{ind}    {acc}.append(i{d + 1})", f"{ind}  {dst}.{an} = {acc}"]
            else:
                lines.append(f"{ind}v = None if v is __UNSET else __loads(__mv(v))")
                lines.append(f"{ind}{dst}.{an} = {hook}")
        if not learned:
            lines.append(f"{ind}{dst}.extra = {{}}")
            return
        lines.append(f"{ind}x = {{}}")
        for f in learned:
            lines += [
                f"{ind}v = {src}.{f.name}",
                f"{ind}if v is not __UNSET:",
                f"{ind}  x[{f.key!r}] = __loads(__mv(v))",
            ]
        lines.append(f"{ind}{dst}.extra = x")

    def _nested(self, cls: type, d: int, ind: str, lines: list[str], value: str) -> None:
        if d < _INLINE_DEPTH:
            if value != f"s{d}":
                lines.append(f"{ind}s{d} = {value}")
            self._body(cls, d, ind, lines)
        else:
            lines.append(f"{ind}i{d} = {self._glob(self.function(cls), 'f')}({value})")
