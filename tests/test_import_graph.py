"""The package's modules import each other in one direction only.

Every module of ``src/omsclient`` is read with :mod:`ast`, and every import in it counts: at
the top, inside a function, and under ``if TYPE_CHECKING:``. A deferred import still means the
two modules know each other, and a type-checking import is a dependency the type checker
follows: a cycle through either is the same tangle for a reader, only hidden. An import of a
package counts as an import of its ``__init__``; the implicit import of a module's parent
packages that Python performs does not count (it is no choice of the importing module).
"""

from __future__ import annotations

import ast
from pathlib import Path

import omsclient

PACKAGE = Path(omsclient.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``import from`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    is_package = MODULES[importer].name == "__init__.py"
    base = importer.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def imported_modules(name: str) -> set[str]:
    """Every omsclient module the module ``name`` imports, at any depth of its code."""
    tree = ast.parse(MODULES[name].read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = resolve(name, node)
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in MODULES else module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in MODULES}


GRAPH: dict[str, set[str]] = {name: imported_modules(name) for name in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or of one importing itself
    (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_reads_every_module_and_their_deferred_imports() -> None:
    assert {"omsclient._sync", "omsclient.legacy._scan", "omsclient.cli"} <= set(GRAPH)
    # cli.py imports the package itself inside a function: deferred imports are read.
    assert "omsclient" in GRAPH["omsclient.cli"]
    # A relative import under TYPE_CHECKING in the sandbox is read too.
    assert "omsclient.sandbox._orders" in GRAPH["omsclient.sandbox"]


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"], ["e"]]


def test_no_module_of_the_package_is_part_of_an_import_cycle() -> None:
    assert cycles(GRAPH) == []


def test_the_blocking_rest_surface_does_not_import_the_client_module() -> None:
    assert "omsclient._sync" not in GRAPH["omsclient._sync_rest"]
    assert "omsclient._sync" not in GRAPH["omsclient._blocking"]
    assert "omsclient._sync_rest" not in GRAPH["omsclient._blocking"]


def test_no_module_imports_a_private_name_of_another_module() -> None:
    # Private modules of a package (``_scan``) are its parts; their underscore names are not.
    borrowed = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = resolve(name, node)
                borrowed += [
                    f"{name} <- {module}.{alias.name}"
                    for alias in node.names
                    if module in MODULES
                    and alias.name.startswith("_")
                    and alias.name != "__version__"
                    and f"{module}.{alias.name}" not in MODULES
                ]
    assert borrowed == []


def test_the_decoding_package_is_used_through_its_surface_only() -> None:
    for name, path in MODULES.items():
        if name.startswith("omsclient._decoding"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "omsclient._decoding"
            ):
                assert node.module == "omsclient._decoding", (name, node.module)
