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


def test_help_on_a_blocking_method_says_it_blocks_and_what_it_returns() -> None:
    # It showed the async method's text and signature: "async for order in ..." and a
    # PageIterator, where the blocking call returns a SyncPageIterator to read with for.
    import omsclient

    with omsclient.Client(legacy_url="http://127.0.0.1:1", username="u", password="p") as oms:
        iterate, search = oms.legacy.orders.iterate, oms.legacy.orders.search
    assert inspect.signature(iterate).return_annotation == "SyncPageIterator[Order]"
    assert (iterate.__doc__ or "").startswith(
        "Blocking: the client's ``legacy.orders.iterate``, with the same arguments; returns a "
        "``SyncPageIterator`` to read with ``for``, no awaitable."
    )
    assert (search.__doc__ or "").startswith("Blocking: the client's ``legacy.orders.search``")
    # The async method's own text follows, whole.
    assert (omsclient.legacy.Orders.search.__doc__ or "").split("\n")[0] in (search.__doc__ or "")


def test_help_on_a_blocking_scan_gives_the_async_scans_documentation() -> None:
    # It gave one line, where every other blocking method gives the async one's text whole.
    import omsclient

    for blocking, scan in [
        (omsclient.SyncOrders.scan, omsclient.legacy.Orders.scan),
        (omsclient.SyncProducts.scan, omsclient.legacy.Products.scan),
    ]:
        assert (blocking.__doc__ or "").startswith("Blocking: the client's ``legacy.")
        assert inspect.cleandoc(scan.__doc__ or "") in (blocking.__doc__ or "")


async def test_help_on_a_raw_response_twin_says_it_returns_a_raw_response() -> None:
    # help() and inspect.signature() showed the method's own result and text.
    import omsclient

    async with omsclient.AsyncClient(
        legacy_url="http://127.0.0.1:1", username="u", password="p"
    ) as oms:
        raw = oms.legacy.orders.with_raw_response.search
        plain = inspect.signature(oms.legacy.orders.search)
    assert inspect.signature(raw) == plain.replace(return_annotation="RawResponse[Page[Order]]")
    assert (raw.__doc__ or "").startswith("The client's ``legacy.orders.search``, with the same")
    assert (omsclient.legacy.Orders.search.__doc__ or "").split("\n")[0] in (raw.__doc__ or "")
    with omsclient.Client(rest_url="http://127.0.0.1:1", api_token="t") as blocking:
        get = blocking.rest.orders.with_raw_response.get
    assert inspect.signature(get).return_annotation == "RawResponse[Order]"
    assert "returning a ``RawResponse``" in (get.__doc__ or "")


def test_the_blocking_scans_take_the_async_scans_parameters_by_name() -> None:
    # help() showed scan(*conditions, raw=False, **options): since, until and the rest hidden.
    import omsclient

    with omsclient.Client(legacy_url="http://127.0.0.1:1", username="u", password="p") as oms:
        blocking = inspect.signature(oms.legacy.orders.scan).parameters
    assert list(blocking) == list(inspect.signature(omsclient.legacy.Orders.scan).parameters)[1:]
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in blocking.values())


@pytest.mark.parametrize(
    ("async_scan", "blocking_scan"),
    [("OrderScan", "SyncOrderScan"), ("ProductScan", "SyncProductScan")],
)
def test_a_blocking_scan_has_every_public_name_of_its_async_scan(
    async_scan: str, blocking_scan: str
) -> None:
    # SyncProductScan had no missed_because, which code reading either scan reads.
    import omsclient

    names = {name for name in dir(getattr(omsclient.legacy, async_scan)) if name[0] != "_"}
    assert names - set(dir(getattr(omsclient, blocking_scan))) == set()


async def test_raw_response_takes_a_partial_of_a_request_method() -> None:
    # Its signature and help text were worked out from the method's name, which a partial has
    # not: AttributeError as it was wrapped.
    import functools

    import omsclient

    async with omsclient.AsyncClient(
        legacy_url="http://127.0.0.1:1", username="u", password="p"
    ) as oms:
        raw = omsclient.raw_response(functools.partial(oms.legacy.products.get_many))
        with pytest.raises(omsclient.ValidationError, match=r"^legacy\.products\.get_many: "):
            await raw([])


def test_help_on_the_clients_names_their_two_apis() -> None:
    # help() listed neither legacy nor rest: set on each instance, they were in no docstring.
    import pydoc

    import omsclient

    for client, legacy, rest in [
        (omsclient.AsyncClient, "LegacyApiNamespace", "RestApi"),
        (omsclient.Client, "SyncLegacy", "SyncRest"),
    ]:
        text = " ".join(pydoc.render_doc(client, renderer=pydoc.plaintext).split())
        assert f"``oms.legacy`` (a :class:`{legacy}`: ``orders``, ``products``)" in text
        assert "``oms.rest`` (a :class:" in text.replace("| ", "")
        assert f"{rest}`) are the two APIs" in text.replace("| ", "")
