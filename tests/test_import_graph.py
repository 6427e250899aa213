"""The blocking client's modules import each other in one direction only."""

from __future__ import annotations

import ast
from pathlib import Path

import omsclient

PACKAGE = Path(omsclient.__file__).parent


def imported_modules(relative: str) -> set[str]:
    """Every omsclient module a file imports, at the top or inside a function."""
    tree = ast.parse((PACKAGE / relative).read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("omsclient")}


def test_the_blocking_rest_surface_does_not_import_the_client_module() -> None:
    assert "omsclient._sync" not in imported_modules("_sync_rest.py")
    assert "omsclient._sync" not in imported_modules("_blocking.py")
    assert "omsclient._sync_rest" not in imported_modules("_blocking.py")
