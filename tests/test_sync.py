"""The blocking Client: same surface, many threads, early exits."""

from __future__ import annotations

import inspect
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import anyio
import httpx
import pytest

import omsclient
import omsclient.rest
from omsclient._sync_scan import SyncOrderScan
from omsclient.export import export_orders, export_products
from omsclient.legacy import Condition, Op, OrderField, StatusChange
from omsclient.legacy.models import Order
from omsclient.sandbox import SandboxInfo

from .conftest import form_of, ok

SAMPLE = json.loads((Path(__file__).parent / "data" / "sample_order.json").read_text())
COND = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2020, 1, 1))


class FakeServer:
    def __init__(self, total: int) -> None:
        self.total = total
        self.requests = 0
        self.lock = threading.Lock()
        self.updates: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests += 1
        form = form_of(request)
        if request.url.path.endswith("update_order_status"):
            self.updates.append(form)
            return httpx.Response(200, json=ok())
        offset, limit = int(form["offset"]), int(form["limit"])
        rows = [
            dict(SAMPLE, order_id=f"INV{i}") for i in range(offset, min(offset + limit, self.total))
        ]
        return httpx.Response(200, json=ok(orders=rows, total=self.total))


@pytest.fixture
def server() -> FakeServer:
    return FakeServer(730)


@pytest.fixture
def client(client_kwargs: dict[str, object], server: FakeServer) -> omsclient.Client:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    with omsclient.Client(**client_kwargs, http_client=http) as oms:
        yield oms


def test_search_iterate_and_update_block(client: omsclient.Client, server: FakeServer) -> None:
    page = client.legacy.orders.search(COND, limit=10)
    assert isinstance(page, omsclient.Page)
    assert [o.order_id for o in page.items] == [f"INV{i}" for i in range(10)]

    it = client.legacy.orders.iterate(COND, concurrency=4)
    assert isinstance(it, omsclient.SyncPageIterator)
    assert [o.order_id for o in it] == [f"INV{i}" for i in range(730)]
    assert it.total == 730

    sent = client.legacy.orders.update_status(StatusChange(order_id="INV3", new_status=3))
    assert server.updates[-1]["order_id"] == "INV3"
    assert sent.format == "single"


def test_breaking_out_stops_fetching(client: omsclient.Client, server: FakeServer) -> None:
    before = server.requests
    for order in client.legacy.orders.iterate(COND):
        if order.order_id == "INV150":
            break
    # Pages 0 and 100, page 200 fetched while page 100 was in hand, and page 300 if page 200
    # came in first (at most 2 x concurrency pages are held); none after.
    assert server.requests - before in (3, 4)


def test_breaking_out_has_ended_the_fetches_in_flight_when_the_loop_is_left(
    client_kwargs: dict[str, object],
) -> None:
    started, ended = threading.Event(), []

    async def answer(request: httpx.Request) -> httpx.Response:
        offset = int(form_of(request)["offset"])
        if offset == 0:
            rows = [dict(SAMPLE, order_id=f"INV{i}") for i in range(100)]
            return httpx.Response(200, json=ok(orders=rows, total=730))
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            ended.append(offset)
        raise AssertionError("unreachable")

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    with omsclient.Client(**client_kwargs, http_client=http) as oms:
        for _ in oms.legacy.orders.iterate(COND, concurrency=4):
            assert started.wait(5)
            break
        # Stopped before the loop is left, not whenever the dropped iterator is collected.
        assert ended


def test_errors_and_validation_surface_unchanged(client: omsclient.Client) -> None:
    with pytest.raises(omsclient.ValidationError):
        client.legacy.orders.search(COND, limit=1000)


def test_many_threads_share_one_client(client: omsclient.Client) -> None:
    def work(n: int) -> list[str]:
        return [o.order_id for o in client.legacy.orders.search(COND, offset=n, limit=5).items]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(0, 400, 10)))
    assert results == [[f"INV{i}" for i in range(n, n + 5)] for n in range(0, 400, 10)]


def test_with_options_and_repr_hide_secrets(client: omsclient.Client) -> None:
    quick = client.with_options(max_retries=0, timeout=1)
    assert quick.legacy.orders.search(COND, limit=1).total == 730
    assert "secret" not in repr(client)


def test_close_is_idempotent(client_kwargs: dict[str, object]) -> None:
    oms = omsclient.Client(**client_kwargs)
    oms.close()
    oms.close()


def test_stable_scans_work_from_blocking_code(client_kwargs: dict[str, object]) -> None:
    from omsclient.sandbox import SandboxConfig, serve

    with (
        serve(SandboxConfig(orders=350, products=120)) as info,
        omsclient.Client(**info.client_kwargs()) as oms,
    ):
        scan = oms.legacy.orders.scan(raw=True, windows=2)
        assert len(scan.plan().windows) == 2
        assert (scan.count(), scan.requests) == (350, 2)  # the count came with the plan
        ids = [o["order_id"] for o in scan]
        assert sorted(ids) == sorted(r.order_id for r in info.state.orders)
        assert scan.state.done
        assert scan.count() == 350
        product_scan = oms.legacy.products.scan()
        assert (product_scan.plan().after, product_scan.requests) == (0, 0)
        products = list(product_scan)
        assert [p["product_id"] for p in products] == sorted(p.id for p in info.state.products)


def test_the_state_read_in_another_thread_counts_every_row_handed_out(
    oms_sandbox: SandboxInfo,
) -> None:
    # A checkpointing thread reads scan.state while this thread's for loop hands out rows:
    # rows handed out while the read folds the earlier ones into the state are counted too.
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        scan = oms.legacy.orders.scan(raw=True)
        orders = scan._orders
        commit_row = orders._commit_row
        consumer = threading.current_thread()
        reading, handed = threading.Event(), threading.Event()

        def commit_row_in_step(index: int, key: tuple[int, str]) -> None:
            if threading.current_thread() is not consumer and not reading.is_set():
                reading.set()  # the reader has begun folding the rows handed out so far
                handed.wait(5)
            commit_row(index, key)

        orders._commit_row = commit_row_in_step  # type: ignore[method-assign]
        rows = iter(scan)
        seen = [next(rows)["order_id"] for _ in range(2)]
        reader = threading.Thread(target=lambda: scan.state)
        reader.start()
        assert reading.wait(5)
        seen += [next(rows)["order_id"] for _ in range(3)]  # meanwhile, in the same batch
        handed.set()
        reader.join()
        state = scan.state
        rows.close()
        rest = [o["order_id"] for o in oms.legacy.orders.scan(raw=True, state=state)]
    assert not set(seen) & set(rest)
    assert sorted(seen + rest) == sorted(o.order_id for o in oms_sandbox.state.orders)


def test_with_options_view_shares_the_client_and_closing_it_does_nothing(
    client: omsclient.Client, server: FakeServer
) -> None:
    view = client.with_options(max_retries=0)
    assert isinstance(view.legacy, omsclient.SyncLegacy)
    assert view.async_client.retry_policy.max_retries == 0
    view.close()
    # The original client and its event loop are still alive after the view is closed.
    assert client.legacy.orders.search(COND, limit=2).total == 730
    assert view.legacy.orders.search(COND, limit=2).total == 730


def test_rest_resources_block_too() -> None:
    from omsclient.sandbox import SandboxConfig, serve

    with (
        serve(SandboxConfig(orders=5, products=5)) as info,
        omsclient.Client(**info.client_kwargs()) as oms,
    ):
        category = oms.rest.categories.create(name="Mugs")
        assert oms.rest.categories.get(category.id).name == "Mugs"
        updated = oms.rest.categories.update(category.id, description="Ceramic")
        assert updated.description == "Ceramic"
        with pytest.raises(omsclient.NotFoundError):
            oms.rest.order_items.print_file("NO-SUCH-ITEM")
        with pytest.raises(omsclient.NotFoundError):
            oms.rest.categories.get("no-such-category")
        oms.rest.categories.delete(category.id)
        with pytest.raises(omsclient.NotFoundError):
            oms.rest.categories.get(category.id)


def test_the_blocking_rest_resources_are_of_the_exported_classes(
    client: omsclient.Client,
) -> None:
    """A helper taking ``client.rest.orders`` can be annotated with its class."""
    resources = {
        omsclient.rest.SyncOrders: client.rest.orders,
        omsclient.rest.SyncOrderItems: client.rest.order_items,
        omsclient.rest.SyncCategories: client.rest.categories,
        omsclient.rest.SyncProducts: client.rest.products,
        omsclient.rest.SyncVariants: client.rest.variants,
        omsclient.rest.SyncBatchOrders: client.rest.batch_orders,
    }
    assert all(isinstance(resource, cls) for cls, resource in resources.items())


def test_each_blocking_request_method_takes_its_async_twins_parameters(
    client: omsclient.Client,
) -> None:
    rest, legacy = client.async_client.rest, client.async_client.legacy
    views = [
        (client.rest.orders, rest.orders),
        (client.rest.order_items, rest.order_items),
        (client.rest.categories, rest.categories),
        (client.rest.products, rest.products),
        (client.rest.variants, rest.variants),
        (client.rest.batch_orders, rest.batch_orders),
    ]
    views += [(view.with_raw_response, twin.with_raw_response) for view, twin in views]
    views += [
        (client.legacy.orders.with_raw_response, legacy.orders.with_raw_response),
        (client.legacy.products.with_raw_response, legacy.products.with_raw_response),
    ]
    for view, twin in views:
        methods = {
            name: getattr(view, name)
            for name, member in vars(type(view)).items()
            if inspect.isfunction(member) and not name.startswith("_")
        }
        assert methods
        for name, method in methods.items():
            assert method.__name__ == name
            assert inspect.signature(method) == inspect.signature(getattr(twin, name)), name


def test_exports_and_scans_run_from_the_blocking_client(
    oms_sandbox: SandboxInfo, tmp_path: Path
) -> None:
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        orders = export_orders(oms, tmp_path / "orders.jsonl", windows=3)
        products = export_products(oms, tmp_path / "products.csv", format="csv")
        scan = oms.legacy.orders.scan(windows=2)
        typed = list(scan)
        raw = [row["order_id"] for row in oms.legacy.orders.scan(raw=True)]
        product_scan = oms.legacy.products.scan()
        product_ids = [row["product_id"] for row in product_scan]
        # Run on the client's own loop, any async code gets its AsyncClient.
        total = oms.run(lambda a: a.legacy.orders.search(COND, limit=1)).total
    assert isinstance(scan, SyncOrderScan)
    assert all(isinstance(o, Order) for o in typed)
    assert sorted(o.order_id for o in typed) == sorted(raw)
    assert len(typed) == orders.exported == total == 300
    assert scan.state is not None
    assert scan.state.done
    assert scan.requests > 2
    lines = (tmp_path / "orders.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["order_id"] for line in lines) == sorted(raw)
    assert products.exported == len(product_ids) == 60
    assert product_scan.state.done
    assert (tmp_path / "products.csv").read_text().count("\n") >= 61


def test_a_blocking_scan_counts_what_lies_ahead_of_its_position(oms_sandbox: SandboxInfo) -> None:
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        scan = oms.legacy.orders.scan(windows=1)
        pages = scan.pages()
        first = next(pages)
        ahead, total = scan.remaining(), scan.count()
        pages.close()
    assert (len(first.items), ahead, total) == (100, 200, 300)


def test_client_kwargs_unpack_into_either_client_for_a_type_checker() -> None:
    """``AsyncClient(**info.client_kwargs())``, as docs/sandbox.md shows it, passes a type
    checker: a ``dict[str, str]`` unpacked into the client is checked against every parameter,
    ``max_in_flight: int`` too, and refused."""
    import typing

    from omsclient.sandbox import SandboxInfo

    returned = typing.get_type_hints(SandboxInfo.client_kwargs)["return"]
    assert returned == dict[str, typing.Any]


def test_the_blocking_client_takes_the_async_clients_parameters() -> None:
    """``Client(...)`` is typed with ``AsyncClient``'s parameters (type checkers read the same
    signature): a misspelt or mistyped argument is caught before the program runs, and editors
    complete the names."""
    assert inspect.signature(omsclient.Client) == inspect.signature(omsclient.AsyncClient)


def test_run_given_a_coroutine_instead_of_a_function_says_what_to_pass() -> None:
    """``oms.run(export_orders(oms.async_client, ...))`` is an easy slip: ``run`` calls what
    it is given with the ``AsyncClient``, on the client's loop."""

    async def job(client: omsclient.AsyncClient) -> int:
        return 1

    with omsclient.Client(legacy_url="https://shop.example.com") as oms:
        coroutine = job(oms.async_client)
        try:
            with pytest.raises(TypeError) as caught:
                oms.run(coroutine)  # type: ignore[arg-type]
        finally:
            coroutine.close()
        message = str(caught.value)
        assert message.startswith("run() takes a function called with the AsyncClient")
        assert "lambda a:" in message
        assert "coroutine" in message
        with pytest.raises(TypeError, match=r"^run\(\) takes a function .* not NoneType$"):
            oms.run(None)  # type: ignore[arg-type]
        assert oms.run(job) == 1


def test_a_blocking_iterator_has_only_its_own_attributes(client: omsclient.Client) -> None:
    """A ``SyncPageIterator`` shows what it has (``total``, ``pages()``): a misspelt name
    is an error of its own class, which a type checker catches too, and copying it says why
    it cannot be (a copy would share the client's loop, and pickled the error named a lock)."""
    import copy

    it = client.legacy.orders.iterate(COND)
    with pytest.raises(AttributeError, match="'SyncPageIterator' object has no attribute 'totl'"):
        it.totl  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(TypeError, match=r"^SyncPageIterator objects cannot be pickled or copied"):
        copy.copy(it)


def test_the_blocking_client_shows_its_settings_retry_policy_and_timeout() -> None:
    # "Same surface as AsyncClient", but only oms.async_client.settings gave them.
    with omsclient.Client(
        legacy_url="https://shop.test", username="u", password="pw", max_retries=5, timeout=7
    ) as oms:
        assert oms.settings.legacy_url == "https://shop.test"
        assert "pw" not in repr(oms.settings)
        assert oms.retry_policy.max_retries == 5
        assert oms.timeout.read == 7
        view = oms.with_options(max_retries=1, timeout=3)
        assert (view.retry_policy.max_retries, view.timeout.read) == (1, 3)
        gentle = oms.with_options(retry=omsclient.RetryPolicy(max_retries=5, initial_delay=2))
        once = gentle.with_options(max_retries=1)
        assert once.retry_policy == omsclient.RetryPolicy(max_retries=1, initial_delay=2)
        assert view.settings == oms.settings
