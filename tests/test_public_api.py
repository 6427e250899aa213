"""Everything public is documented: a docstring on the object and a mention in docs/."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

DOCS = "\n".join(p.read_text() for p in (Path(__file__).parent.parent / "docs").glob("*.md"))
MODULES = [
    "omsclient",
    "omsclient.errors",
    "omsclient.legacy",
    "omsclient.legacy.models",
    "omsclient.rest",
    "omsclient.sandbox",
    "omsclient.export",
    "omsclient.dbsync",
]


def public_names() -> list[tuple[str, str]]:
    names = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        names.extend((module_name, name) for name in module.__all__)
    return names


@pytest.mark.parametrize(("module_name", "name"), public_names())
def test_public_name_is_documented(module_name: str, name: str) -> None:
    obj = getattr(importlib.import_module(module_name), name)
    # As a word of its own: SyncOrders is not mentioned by SyncOrdersWithRawResponse.
    mentioned = re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", DOCS)
    assert mentioned, f"{module_name}.{name} is not mentioned in docs/"
    if inspect.isclass(obj) or inspect.isfunction(obj):
        assert (obj.__doc__ or "").strip(), f"{module_name}.{name} has no docstring"
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not callable(member):
                    continue
                assert (getattr(member, "__doc__", "") or "").strip(), (
                    f"{name}.{attr} has no docstring"
                )


@pytest.mark.parametrize(
    ("module_name", "name"),
    [
        (module_name, name)
        for module_name, name in public_names()
        if isinstance(obj := getattr(importlib.import_module(module_name), name), type)
        and issubclass(obj, BaseException)
    ],
)
def test_a_public_error_is_named_where_it_is_imported_from(module_name: str, name: str) -> None:
    # A traceback printed omsclient.export._checkpoint.ExportError: a module no one imports.
    error = getattr(importlib.import_module(module_name), name)
    assert not any(part.startswith("_") for part in error.__module__.split("."))
    assert getattr(importlib.import_module(error.__module__), error.__qualname__) is error
