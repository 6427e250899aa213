"""Every public package has an API reference page, listed in the site's navigation."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest

import omsclient

ROOT = Path(__file__).parent.parent
REFERENCE = ROOT / "docs" / "reference"
PACKAGES = [
    "omsclient",
    "omsclient.errors",
    "omsclient.legacy",
    "omsclient.rest",
    "omsclient.export",
    "omsclient.dbsync",
    "omsclient.sandbox",
]


def rendered_modules() -> dict[str, str]:
    """Module -> the reference page that renders it with a ``::: module`` block."""
    pages = {}
    for page in REFERENCE.glob("*.md"):
        for module in re.findall(r"^::: ([\w.]+)\s*$", page.read_text(), re.MULTILINE):
            pages[module] = page.name
    return pages


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_package_has_a_reference_page_in_the_nav(package: str) -> None:
    page = rendered_modules().get(package)
    assert page is not None, f"no page in docs/reference renders {package}"
    nav = (ROOT / "mkdocs.yml").read_text()
    assert f"- {package}: reference/{page}" in nav
    assert f"]({page})" in (REFERENCE / "index.md").read_text()


# The command and the pytest plugin are documented in docs/cli.md and docs/sandbox.md.
NOT_API = {"omsclient.cli", "omsclient.sandbox.pytest_plugin"}


def public_modules() -> list[str]:
    return [
        module.name
        for module in pkgutil.walk_packages(omsclient.__path__, "omsclient.")
        if not any(part.startswith("_") for part in module.name.split("."))
        and module.name not in NOT_API
    ]


def public_names(target: str) -> list[str]:
    """The names a ``::: target`` block renders: a module's ``__all__``, or one object."""
    try:
        return list(importlib.import_module(target).__all__)
    except ModuleNotFoundError:
        return [target.rpartition(".")[2]]


@pytest.mark.parametrize("module", public_modules())
def test_every_public_name_is_on_a_reference_page(module: str) -> None:
    rendered = rendered_modules()
    shown = {name for page_module in rendered for name in public_names(page_module)}
    names = importlib.import_module(module).__all__
    missing = [name for name in names if module not in rendered and name not in shown]
    assert not missing, f"{module}: {missing} are on no page of docs/reference"


def init_parameters_in_source(cls: type) -> str:
    """The parameters of ``cls.__init__`` as its source spells them out: the reference is
    read from the source, not from the running code, so ``inspect.signature`` following a
    ``__wrapped__`` does not tell what it shows."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    (init,) = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "__init__"
    ]
    return ast.unparse(init.args)


def test_the_blocking_clients_reference_shows_the_async_clients_parameters() -> None:
    assert init_parameters_in_source(omsclient.Client) == init_parameters_in_source(
        omsclient.AsyncClient
    )
