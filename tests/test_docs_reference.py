"""Every public package has an API reference page, listed in the site's navigation."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import inspect
import itertools
import pkgutil
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import ParamSpec, TypeVar

import attrs
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


def rendered_objects() -> set[int]:
    """The objects the reference renders under a public name (by id)."""
    return {
        id(getattr(module, name))
        for page_module in rendered_modules()
        if "._" not in page_module
        for module in [importlib.import_module(page_module)]
        for name in module.__all__
    }


def internal_types(function: object, rendered: set[int]) -> list[str]:
    """The names in ``function``'s annotations of the package's classes no page renders."""
    signature = inspect.signature(function)  # type: ignore[arg-type]
    namespace = getattr(inspect.unwrap(function), "__globals__", {})  # type: ignore[arg-type]
    annotations = [p.annotation for p in signature.parameters.values()]
    annotations.append(signature.return_annotation)
    return [
        name
        for annotation in annotations
        if isinstance(annotation, str)
        for name in re.findall(r"\b[A-Za-z_]\w*", annotation)
        if inspect.isclass(cls := namespace.get(name))
        and cls.__module__.startswith("omsclient")
        and id(cls) not in rendered
    ]


# Constructors of objects users get from the client rather than make: the client passes them
# its internals.
BUILT_BY_THE_CLIENT = {"__init__"}


@pytest.mark.parametrize("module", [m for m in rendered_modules() if "._" not in m])
def test_no_public_method_takes_or_returns_a_type_the_reference_hides(module: str) -> None:
    """A user reading the reference can follow every type of a public method; one that takes
    an internal object (a ``Redactor``...) is not for users and is private."""
    rendered = rendered_objects()
    found = {}
    for name in importlib.import_module(module).__all__:
        obj = getattr(importlib.import_module(module), name)
        if not inspect.isclass(obj):
            members = {name: obj} if callable(obj) else {}
        else:
            members = {
                f"{name}.{attr}": getattr(value, "__func__", getattr(value, "fget", value))
                for attr, value in vars(obj).items()
                if not attr.startswith("_") and attr not in BUILT_BY_THE_CLIENT
            }
        for qualname, member in members.items():
            types = internal_types(member, rendered) if callable(member) else []
            if types:
                found[qualname] = types
    assert not found, f"{module}: these show types the reference does not: {found}"


def documented_assignments() -> set[str]:
    """Names assigned at the top of a module of the package with a docstring below them (the
    reference renders a constant only with one)."""
    names = set()
    for path in (ROOT / "src" / "omsclient").rglob("*.py"):
        body = ast.parse(path.read_text()).body
        for statement, following in itertools.pairwise(body):
            documented = isinstance(following, ast.Expr) and isinstance(
                following.value, ast.Constant
            )
            if documented and isinstance(statement, ast.Assign):
                names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
            if documented and isinstance(statement, ast.AnnAssign):
                names.add(ast.unparse(statement.target))
    return names


@pytest.mark.parametrize("module", [m for m in rendered_modules() if "._" not in m])
def test_every_public_name_has_a_docstring_so_the_reference_shows_it(module: str) -> None:
    documented = documented_assignments()
    undocumented = []
    for name in importlib.import_module(module).__all__:
        obj = getattr(importlib.import_module(module), name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            if not obj.__doc__:
                undocumented.append(name)
        elif name not in documented and name != "__version__":
            undocumented.append(name)
    assert not undocumented, f"{module}: {undocumented} have no docstring, so no entry"


def test_no_docstring_has_a_literal_block_marker_on_a_line_of_its_own() -> None:
    """The reference reads a paragraph ending in ``::`` as one ending in ``:`` before a code
    block; a ``::`` alone on its line would be printed as it is."""
    alone = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "src").rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.strip() == "::"
    ]
    assert not alone


def test_methods_a_public_class_inherits_from_a_private_base_are_on_its_page() -> None:
    """The reference leaves out private classes, and with them the members a public class
    inherits from one (the blocking scans' ``count``, ``remaining``, ``pages``), unless the
    page renders inherited members."""
    pages = rendered_modules()
    missing = []
    for module in [m for m in pages if "._" not in m]:
        page = (REFERENCE / pages[module]).read_text()
        inherits = "inherited_members: true" in page
        for name in importlib.import_module(module).__all__:
            obj = getattr(importlib.import_module(module), name)
            if not inspect.isclass(obj) or inherits:
                continue
            for base in obj.__mro__[1:]:
                documented = [
                    attr
                    for attr, value in vars(base).items()
                    if not attr.startswith("_")
                    and getattr(getattr(value, "fget", value), "__doc__", None)
                    and attr not in vars(obj)
                ]
                if base.__name__.startswith("_") and documented:
                    missing.append(f"{module}.{name}: {documented} of {base.__name__}")
    assert not missing


def constructors_left_out() -> set[str]:
    """The classes whose constructor the reference leaves out: the griffe extension's list."""
    source = (ROOT / "docs" / "_mkdocs" / "griffe_client_built.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "BUILT_BY_THE_CLIENT":
            return set(ast.literal_eval(node.value))
    raise AssertionError("griffe_client_built.py has no BUILT_BY_THE_CLIENT")


def names_in_scope(module_name: str) -> dict[str, tuple[object, str]]:
    """Name -> (object, module it comes from) for what the module's annotations can name: its
    globals, and what it imports for type checking only (the reference reads those too)."""
    module = importlib.import_module(module_name)
    scope: dict[str, tuple[object, str]] = {
        # A type alias's __module__ is typing's: it comes from where it is assigned.
        name: (value, value.__module__ if inspect.isclass(value) else module_name)
        for name, value in vars(module).items()
    }
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = importlib.util.resolve_name(
            "." * node.level + (node.module or ""), module.__package__
        )
        for alias in node.names:
            try:
                value = getattr(importlib.import_module(source), alias.name)
            except AttributeError:
                value = importlib.import_module(f"{source}.{alias.name}")
            scope[alias.asname or alias.name] = (value, source)
    return scope


def hidden_names(texts: list[tuple[str, str]], rendered: set[int]) -> list[str]:
    """The names in ``texts`` (annotations, values, each with the module that reads them) of
    the package's objects no page renders."""
    return [
        name
        for text, home in texts
        for scope in [names_in_scope(home)]
        for name in re.findall(r"\b[A-Za-z_]\w*", text)
        if name in scope
        for value, origin in [scope[name]]
        if origin.startswith("omsclient")
        and id(value) not in rendered
        and not inspect.ismodule(value)
        and not isinstance(value, (TypeVar, ParamSpec))
    ]


def class_source(cls: type) -> tuple[ast.ClassDef, str]:
    """A class's definition and the module it is written in."""
    home = cls.__module__
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except OSError:
        # The legacy models say they are of ``models``, which imports them from beside it.
        home = names_in_scope(home)[cls.__name__][1]
        source = inspect.getsource(importlib.import_module(home))
    (node,) = [
        n
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.ClassDef) and n.name == cls.__name__
    ]
    return node, home


def path_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def constructor_shown(cls: type, left_out: set[str]) -> type | None:
    """The class whose constructor the entry of ``cls`` shows: the nearest in its MRO with one,
    past its own and its private bases' when the extension leaves them out."""
    for base in cls.__mro__:
        if not base.__module__.startswith("omsclient"):
            return None
        private = any(part.startswith("_") for part in path_of(base).split("."))
        if path_of(cls) in left_out and (base is cls or private):
            continue
        node, _ = class_source(base)
        inits = [f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"]
        if inits or dataclasses.is_dataclass(base) or _attrs_made_init(base):
            return base
    return None


def _attrs_made_init(cls: type) -> bool:
    """Whether attrs wrote ``cls``'s ``__init__``, which the reference shows from its fields
    (docs/_mkdocs/griffe_attrs.py)."""
    return attrs.has(cls) and "__init__" in vars(cls)


def package_classes(module: str) -> list[tuple[str, type]]:
    """The classes of omsclient's own that ``module`` exports, with their exported names."""
    exported = importlib.import_module(module)
    return [
        (name, cls)
        for name in exported.__all__
        if inspect.isclass(cls := getattr(exported, name))
        and cls.__module__.startswith("omsclient")
    ]


def shown_by_the_class_entry(cls: type, left_out: set[str]) -> list[tuple[str, str]]:
    """The annotations and values a class's entry prints, each with its module: its
    constructor's parameters (every overload; a dataclass's fields), and each documented
    ``self.x`` its ``__init__`` sets, with the value when the constructor is shown."""
    shown = []
    if (init_class := constructor_shown(cls, left_out)) is not None:
        node, home = class_source(init_class)
        if dataclasses.is_dataclass(init_class) or _attrs_made_init(init_class):
            shown += [
                (ast.unparse(s.annotation), home) for s in node.body if isinstance(s, ast.AnnAssign)
            ]
        for init in node.body:
            if isinstance(init, ast.FunctionDef) and init.name == "__init__":
                arguments = init.args
                every = [*arguments.posonlyargs, *arguments.args[1:], *arguments.kwonlyargs]
                every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
                shown += [(ast.unparse(a.annotation), home) for a in every if a.annotation]
    node, home = class_source(cls)
    for init in node.body:
        if not isinstance(init, ast.FunctionDef) or init.name != "__init__":
            continue
        for statement, following in itertools.pairwise(init.body):
            documented = isinstance(following, ast.Expr) and isinstance(
                following.value, ast.Constant
            )
            if not documented or not isinstance(statement, (ast.Assign, ast.AnnAssign)):
                continue
            if isinstance(statement, ast.AnnAssign):
                shown.append((ast.unparse(statement.annotation), home))
            if path_of(cls) not in left_out and statement.value is not None:
                shown.append((ast.unparse(statement.value), home))
    return shown


@pytest.mark.parametrize("module", [m for m in rendered_modules() if "._" not in m])
def test_no_class_entry_shows_a_type_the_reference_hides(module: str) -> None:
    """A class users make shows its constructor, whose types must be on the reference; one the
    client makes for them (``oms.legacy.orders``, a scan, a page iterator) takes the client's
    internals, and the reference leaves its constructor out."""
    rendered = rendered_objects()
    left_out = constructors_left_out()
    found = {}
    for name, cls in package_classes(module):
        if hidden := hidden_names(shown_by_the_class_entry(cls, left_out), rendered):
            found[name] = hidden
    assert not found, f"{module}: these entries show types the reference does not: {found}"


def test_the_constructors_left_out_are_of_public_classes() -> None:
    rendered = rendered_objects()
    for path in constructors_left_out():
        module, _, name = path.rpartition(".")
        assert id(getattr(importlib.import_module(module), name)) in rendered, path


def assigned_with_docstrings(body: list[ast.stmt]) -> Iterator[tuple[ast.expr, str | None]]:
    """Each target assigned in ``body`` (plain or annotated) -> the docstring right below its
    assignment (None without one)."""
    for statement, following in itertools.pairwise([*body, ast.Pass()]):
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        docstring = None
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            docstring = str(following.value.value)
        for target in targets:
            yield target, docstring


def attributes_set_by_init(node: ast.ClassDef) -> dict[str, str | None]:
    """Public ``self.x`` an ``__init__`` sets -> the docstring below it (None without one)."""
    found: dict[str, str | None] = {}
    for init in node.body:
        if not isinstance(init, ast.FunctionDef) or init.name != "__init__":
            continue
        for target, docstring in assigned_with_docstrings(init.body):
            if (
                isinstance(target, ast.Attribute)
                and ast.unparse(target.value) == "self"
                and not target.attr.startswith("_")
            ):
                found[target.attr] = found.get(target.attr) or docstring
    return found


def makes_a_method(value: ast.expr, scope: dict[str, tuple[object, str]]) -> bool:
    """Whether ``value`` calls a function of the package that returns a callable (the blocking
    wrappers ``blocking(orders.search, portal)``...)."""
    if not isinstance(value, ast.Call) or ast.unparse(value.func) not in scope:
        return False
    function, origin = scope[ast.unparse(value.func)]
    returns = inspect.signature(function).return_annotation if inspect.isfunction(function) else ""
    return origin.startswith("omsclient") and str(returns).startswith("Callable")


@pytest.mark.parametrize("module", [m for m in rendered_modules() if "._" not in m])
def test_every_method_an_init_sets_has_a_reference_entry(module: str) -> None:
    """The reference shows an instance attribute only with a docstring: the blocking
    ``oms.legacy.orders.search`` and the like, set in ``__init__``, need one to be listed."""
    missing = []
    for name, cls in package_classes(module):
        node, home = class_source(cls)
        scope = names_in_scope(home)
        documented = attributes_set_by_init(node)
        for init in node.body:
            if isinstance(init, ast.FunctionDef) and init.name == "__init__":
                missing += [
                    f"{name}.{attr}"
                    for statement in init.body
                    if isinstance(statement, ast.Assign) and makes_a_method(statement.value, scope)
                    for attr in [ast.unparse(statement.targets[0]).removeprefix("self.")]
                    if attr in documented and documented[attr] is None
                ]
    assert not missing, f"{module}: {missing} have no entry in the reference"


def assignment_docstrings(body: list[ast.stmt]) -> dict[str, str]:
    """Public names assigned in ``body`` (a class's or a module's) -> the docstring below the
    assignment, which the reference shows as the name's entry."""
    found = {}
    for target, docstring in assigned_with_docstrings(body):
        if docstring is not None and isinstance(target, ast.Name) and not target.id.startswith("_"):
            found[target.id] = docstring
    return found


# A private module (``omsclient._runaway``) or helper (``_reach``) named in an entry.
PRIVATE_NAME = re.compile(r"\bomsclient(?:\.\w+)*\._\w+|``_\w+")


@pytest.mark.parametrize("module", [m for m in rendered_modules() if "._" not in m])
def test_no_reference_entry_sends_the_reader_to_a_private_name(module: str) -> None:
    """An entry is written for users: a private module or helper it names has no page to
    follow, and tells how the package works inside rather than what to do with the object."""
    left_out = constructors_left_out()
    found = {}
    package = importlib.import_module(module)
    texts = {module: package.__doc__ or ""}
    scope = names_in_scope(module)
    for name in package.__all__:
        obj = getattr(package, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            home = importlib.import_module(scope[name][1])
            constants = assignment_docstrings(ast.parse(inspect.getsource(home)).body)
            texts[name] = constants.get(name, "")
            continue
        texts[name] = obj.__doc__ or ""
        if not inspect.isclass(obj) or not obj.__module__.startswith("omsclient"):
            continue
        for attr, value in vars(obj).items():
            shown = not attr.startswith("_") or (
                attr == "__init__" and path_of(obj) not in left_out
            )
            member = getattr(value, "__func__", getattr(value, "fget", value))
            if shown and inspect.isfunction(member):
                texts[f"{name}.{attr}"] = member.__doc__ or ""
        for attr, docstring in attributes_set_by_init(class_source(obj)[0]).items():
            texts[f"{name}.{attr}"] = docstring or ""
        for attr, docstring in assignment_docstrings(class_source(obj)[0].body).items():
            texts[f"{name}.{attr}"] = docstring
    for entry, text in texts.items():
        if names := [match.group(0) for match in PRIVATE_NAME.finditer(text)]:
            found[entry] = names
    assert not found, f"{module}: these entries name private objects: {found}"


def attributes_section(docstring: str) -> set[str]:
    """The names an ``Attributes:`` section of a Google-style docstring describes (``a, b:``
    describes both)."""
    names: set[str] = set()
    section = re.search(
        r"^(?P<indent>[ ]*)Attributes:\n(?P<body>(?:(?P=indent)[ ]+.*\n?|\n)*)",
        docstring,
        re.MULTILINE,
    )
    if section is None:
        return names
    body = textwrap.dedent(section["body"])
    for entry in re.findall(r"^(\w+(?:, \w+)*)(?: \([^)]*\))?:", body, re.MULTILINE):
        names.update(entry.split(", "))
    return names


def documented_attributes(cls: type) -> set[str]:
    """The attributes of ``cls`` its entry, or a base's, describes: in an ``Attributes:``
    section, or with a docstring below the assignment (in the class or in ``__init__``)."""
    names: set[str] = set()
    for base in cls.__mro__:
        if not base.__module__.startswith("omsclient"):
            continue
        names |= attributes_section(inspect.cleandoc(base.__doc__ or ""))
        node, _ = class_source(base)
        names |= {attr for attr, doc in attributes_set_by_init(node).items() if doc}
        for statement, following in itertools.pairwise(node.body):
            documented = isinstance(following, ast.Expr) and isinstance(
                following.value, ast.Constant
            )
            if documented and isinstance(statement, ast.AnnAssign):
                names.add(ast.unparse(statement.target))
    return names


def annotated_attributes(cls: type) -> set[str]:
    """The attributes of ``cls`` declared with a type, in the class or a base, or as
    ``self.x: T = ...`` in an ``__init__``: the reference's tables show no other's type."""
    names: set[str] = set()
    for base in cls.__mro__:
        if not base.__module__.startswith("omsclient"):
            continue
        for statement in ast.walk(class_source(base)[0]):
            if isinstance(statement, ast.AnnAssign):
                names.add(ast.unparse(statement.target).removeprefix("self."))
    return names


@pytest.mark.parametrize("module", [m for m in rendered_modules() if "._" not in m])
def test_every_public_attribute_of_an_error_is_described(module: str) -> None:
    """A handler reads an error's attributes (``status_code``, ``field_errors``, ``pending``):
    the reference shows each only where a docstring describes it, and its type only where the
    code declares one."""
    missing = {}
    for name in importlib.import_module(module).__all__:
        cls = getattr(importlib.import_module(module), name)
        if not (inspect.isclass(cls) and issubclass(cls, BaseException)):
            continue
        if not cls.__module__.startswith("omsclient"):
            continue
        node, _ = class_source(cls)
        public = set(attributes_set_by_init(node))
        public |= {
            ast.unparse(s.target)
            for s in node.body
            if isinstance(s, ast.AnnAssign) and not ast.unparse(s.target).startswith("_")
        }
        if undescribed := sorted(public - documented_attributes(cls)):
            missing[name] = undescribed
        if untyped := sorted(public - annotated_attributes(cls)):
            missing[f"{name} (no type)"] = untyped
    assert not missing, (
        f"{module}: these errors' attributes lack a description or a type: {missing}"
    )


def classes_made_for_attributes(cls: type) -> dict[str, type]:
    """Public ``self.x = SomeClass(...)`` in ``cls.__init__`` -> the package class made."""
    node, home = class_source(cls)
    scope = names_in_scope(home)
    made = {}
    for init in node.body:
        if not isinstance(init, ast.FunctionDef) or init.name != "__init__":
            continue
        for statement in init.body:
            if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)):
                continue
            value, origin = scope.get(ast.unparse(statement.value.func), (None, ""))
            for target in statement.targets:
                attr = ast.unparse(target).removeprefix("self.")
                public = ast.unparse(target).startswith("self.") and not attr.startswith("_")
                if public and inspect.isclass(value) and origin.startswith("omsclient"):
                    made[attr] = value
    return made


def test_every_class_a_public_attribute_holds_has_an_entry() -> None:
    """``oms.legacy.orders.with_raw_response`` of the blocking client is an object the user
    keeps and passes around: to annotate it, its class needs a public name and an entry."""
    rendered = rendered_objects()
    to_check = [
        named
        for module in rendered_modules()
        if "._" not in module
        for named in package_classes(module)
    ]
    hidden = [
        f"{name}.{attr}: {made.__qualname__}"
        for name, cls in to_check
        for attr, made in classes_made_for_attributes(cls).items()
        if id(made) not in rendered
    ]
    assert not hidden, f"public attributes of classes with no entry: {sorted(hidden)}"


def public_attribute_annotations(cls: type) -> dict[str, tuple[str, str]]:
    """Public attribute -> (its annotation, the module that reads it): declared in the class
    body (a dataclass's or attrs class's fields) or as ``self.x: T`` in ``__init__``,
    documented or not, for the class and its bases in the package."""
    found: dict[str, tuple[str, str]] = {}
    for base in reversed(cls.__mro__):
        if not base.__module__.startswith("omsclient"):
            continue
        node, home = class_source(base)
        inits = [f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"]
        for statement in [*node.body, *(s for init in inits for s in ast.walk(init))]:
            if not isinstance(statement, ast.AnnAssign):
                continue
            attr = ast.unparse(statement.target)
            if statement in node.body or attr.startswith("self."):
                attr = attr.removeprefix("self.")
                if not attr.startswith("_"):
                    found[attr] = (ast.unparse(statement.annotation), home)
    return found


@pytest.mark.parametrize("module", [m for m in rendered_modules() if "._" not in m])
def test_no_public_attribute_is_annotated_with_a_type_the_reference_hides(module: str) -> None:
    """``SandboxState.products`` is a ``list[ProductRecord]``: a test reading it follows the
    type to its entry, so the type needs one; a type kept internal is on no public attribute."""
    rendered = rendered_objects()
    found = {}
    for name, cls in package_classes(module):
        for attr, (annotation, home) in public_attribute_annotations(cls).items():
            scope = names_in_scope(home)
            hidden = [
                type_name
                for type_name in hidden_names([(annotation, home)], rendered)
                if inspect.isclass(scope[type_name][0])
            ]
            if hidden:
                found[f"{name}.{attr}"] = hidden
    assert not found, f"{module}: these attributes have types with no entry: {found}"


def test_every_public_attribute_of_the_clients_has_a_reference_entry() -> None:
    # legacy and rest, set outside __init__ (a with_options view sets them too), had none: the
    # reference named neither, nor their types.
    clients = [
        omsclient.AsyncClient(legacy_url="http://127.0.0.1:1", username="u", password="p"),
        omsclient.Client(legacy_url="http://127.0.0.1:1", username="u", password="p"),
    ]
    try:
        for client in clients:
            node, _ = class_source(type(client))
            documented = {
                *assignment_docstrings(node.body),
                *(name for name, doc in attributes_set_by_init(node).items() if doc),
            }
            public = {name for name in vars(client) if not name.startswith("_")}
            assert public
            assert public <= documented, (type(client).__name__, public - documented)
    finally:
        clients[1].close()
