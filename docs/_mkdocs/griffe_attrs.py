"""Griffe extension for the API reference: the constructors attrs writes, shown as written.

attrs makes a class's ``__init__`` when the class is created, so reading the source finds none
and the entry of every model, condition, option or config class showed no signature (griffe
does this for dataclasses only). Each exported class attrs made an ``__init__`` for gets one
here, from its fields: the name a caller passes (``alias``), the annotation as the source
writes it, the default as a literal or as written. The build fails if a constructor written
here takes other parameters than the class does at run time.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import attrs
import griffe


def _runtime(cls: griffe.Class) -> Any:
    """The class ``cls`` stands for, imported from where it is written."""
    value: Any = importlib.import_module(cls.module.path)
    for name in cls.path.removeprefix(f"{cls.module.path}.").split("."):
        value = getattr(value, name)
    return value


_LITERALS = (type(None), bool, int, float, str, tuple)


def _default(member: griffe.Object | griffe.Alias | None, field: attrs.Attribute[Any]) -> Any:
    """A field's default: a literal as its value (``5000``, not the constant's name), a
    factory as its call (``dict()``), anything else as the source writes it (``Faults()``,
    out of ``attrs.field(default=...)`` where it is one); None when the caller must pass it."""
    default = field.default
    if default is attrs.NOTHING:
        return None
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        name = getattr(default.factory, "__qualname__", "<lambda>")
        return "..." if "<lambda>" in name else f"{name}()"
    if isinstance(default, _LITERALS):
        return repr(default)
    value = getattr(member, "value", None)
    if isinstance(value, griffe.ExprCall) and value.canonical_path.startswith(("attr.", "attrs.")):
        keywords = {a.name: a.value for a in value.arguments if isinstance(a, griffe.ExprKeyword)}
        value = keywords.get("default")
    return value if value is not None else repr(default)


def _member(cls: griffe.Class, name: str) -> griffe.Object | griffe.Alias | None:
    """The attribute ``name`` as written on ``cls`` or the nearest base that has it."""
    for base in [cls, *cls.mro()]:
        if name in base.members:
            return base.members[name]
    return None


def _set_init(cls: griffe.Class, runtime: type) -> None:
    positional, keyword = [], []
    for field in attrs.fields(runtime):
        if not field.init:
            continue
        member = _member(cls, field.name)
        parameter = griffe.Parameter(
            field.alias,
            annotation=getattr(member, "annotation", None),
            kind=(
                griffe.ParameterKind.keyword_only
                if field.kw_only
                else griffe.ParameterKind.positional_or_keyword
            ),
            default=_default(member, field),
            docstring=getattr(member, "docstring", None),
        )
        (keyword if field.kw_only else positional).append(parameter)
    names = [p.name for p in [*positional, *keyword]]
    expected = list(inspect.signature(runtime).parameters)
    if names != expected:
        raise ValueError(f"{cls.path}: constructor written as {names}, takes {expected}")
    self_ = griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)
    init = griffe.Function(
        "__init__",
        lineno=0,
        endlineno=0,
        parent=cls,
        parameters=griffe.Parameters(self_, *positional, *keyword),
        returns="None",
    )
    cls.set_member("__init__", init)


def _by_attrs(cls: griffe.Class) -> bool:
    """Whether an attrs decorator makes ``cls``."""
    return any(d.callable_path.startswith(("attr.", "attrs.")) for d in cls.decorators)


def _public_modules(module: griffe.Module) -> list[griffe.Module]:
    """``module`` and the modules below it the reference renders (no ``_`` in their path)."""
    found = [module]
    for member in module.members.values():
        if isinstance(member, griffe.Module) and not member.name.startswith("_"):
            found += _public_modules(member)
    return found


def _exported(pkg: griffe.Module) -> dict[str, griffe.Class]:
    """The package's classes its public modules export, by where they are written: only
    those are imported (a private module of the sandbox's server needs its extra)."""
    classes = {}
    for module in _public_modules(pkg):
        for member in module.members.values():
            try:
                target = member.final_target if member.is_alias else member  # type: ignore[union-attr]
            except griffe.AliasResolutionError:
                continue  # another package's
            if isinstance(target, griffe.Class) and target.path.startswith(f"{pkg.name}."):
                classes[target.path] = target
    return classes


class AttrsInit(griffe.Extension):
    """Give each exported attrs class without an ``__init__`` in its source the one attrs
    made."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for cls in _exported(pkg).values():
            if "__init__" not in cls.members and _by_attrs(cls):
                runtime = _runtime(cls)
                if "__init__" in vars(runtime):  # not attrs.define(init=False)
                    _set_init(cls, runtime)
