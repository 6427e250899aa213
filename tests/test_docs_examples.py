"""The opening examples of README.md and docs/index.md run against a default sandbox.

Every id they use (invoice numbers, product ids, order items) must exist there, so a reader who
starts the sandbox and pastes an example gets answers, not a 404.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import omsclient
from omsclient.sandbox import SandboxConfig, serve

ROOT = Path(__file__).parent.parent
SRC = str(Path(omsclient.__file__).parent.parent)


def first_python_block(page: str) -> str:
    found = re.search(r"```python\n(.*?)```", (ROOT / page).read_text(), re.DOTALL)
    assert found is not None, f"{page} has no python example"
    return found.group(1)


@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_the_opening_example_runs_against_a_default_sandbox(
    page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = first_python_block(page)
    assert "print_file(" in source
    with serve(SandboxConfig()) as info:
        settings = info.client_kwargs()
        for name in ("legacy_url", "username", "password", "rest_url", "api_token", "store_id"):
            monkeypatch.setenv(f"OMS_{name.upper()}", str(settings[name]))
        # The examples await at top level, as in a notebook or `python -m asyncio`.
        code = compile(source, page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        names: dict[str, object] = {}
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            asyncio.run(eval(code, names))
        # The status update changed an order (a shipped one's would change nothing).
        record = info.state.order(names["order"].order_id)  # type: ignore[attr-defined]
        assert record is not None
        assert record.status == 2
    status = names["status"]
    assert getattr(status, "ecommerce_order_item_id", None) == "ORD-001-1"
    products = names["products"]
    assert isinstance(products, list)
    assert len(products) == 3
    assert all(p.product_name and p.skus for p in products)
    assert printed.getvalue().strip()


def python_block_with(page: str, marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), re.DOTALL)
    found = [block for block in blocks if marker in block]
    assert len(found) == 1, f"{page}: {len(found)} python examples hold {marker!r}"
    return found[0]


def passing_tests_of_a_project_of_their_own(project: Path, test_file: str) -> str:
    """What pytest prints of ``test_file`` run in ``project``: no conftest of ours, no pytest
    settings, only the fixtures the package's pytest plugin registers."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), SRC])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped" not in done.stdout
    return done.stdout


def test_the_sandbox_test_examples_pass_in_a_project_of_their_own(tmp_path: Path) -> None:
    # A user copies the examples into a test file of a fresh project.
    source = python_block_with("docs/sandbox.md", "def test_marks_orders_produced")
    (tmp_path / "my_app.py").write_text(
        "from omsclient.legacy import StatusChange\n\n\n"
        "async def mark_produced(oms, order_id):\n"
        "    await oms.legacy.orders.update_status(StatusChange(order_id=order_id, new_status=2))\n"
    )
    (tmp_path / "test_integration.py").write_text("import my_app\n" + source)
    printed = passing_tests_of_a_project_of_their_own(tmp_path, "test_integration.py")
    # Three tests, each once per event loop the anyio mark finds installed (asyncio, trio).
    assert re.search(r"\b(3|6) passed", printed), printed


def test_the_autospec_examples_pass_in_a_project_of_their_own(tmp_path: Path) -> None:
    # create_autospec(omsclient.Client, instance=True) had no legacy nor rest: the client's
    # namespaces, resources and blocking methods were set in __init__, not on the classes.
    source = python_block_with("docs/sandbox.md", "create_autospec(omsclient.Client")
    (tmp_path / "test_unit.py").write_text(source)
    printed = passing_tests_of_a_project_of_their_own(tmp_path, "test_unit.py")
    # The blocking test, and the async one once per event loop anyio finds (asyncio, trio).
    assert re.search(r"\b(2|3) passed", printed), printed


class _StopPolling(Exception):
    pass


def test_the_polling_worker_example_runs_a_pass_against_the_sandbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import anyio

    source = python_block_with("docs/export.md", "save_state(scan.state.to_dict())")
    produced: list[str] = []
    saved: list[dict[str, object]] = []

    async def end_of_pass(seconds: float) -> None:
        raise _StopPolling  # the example's wait between passes: one pass is enough here

    monkeypatch.setattr(anyio, "sleep", end_of_pass)
    with serve(SandboxConfig(orders=500)) as info:
        ready = sum(1 for record in info.state.orders if record.status == 1)

        async def main(state: dict[str, object] | None) -> None:
            async with omsclient.AsyncClient(**info.client_kwargs()) as oms:

                async def produce(order: object) -> None:
                    produced.append(order.order_id)  # type: ignore[attr-defined]

                names: dict[str, object] = {
                    "oms": oms,
                    "load_state": lambda: state,
                    "produce": produce,
                    "save_state": saved.append,
                }
                code = compile(source, "docs/export.md", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
                with contextlib.suppress(_StopPolling):
                    await eval(code, names)

        asyncio.run(main(None))
        assert ready > 0
        assert len(produced) == len(set(produced)) == ready
        assert len(saved) == ready
        # A restart, from the state the first run saved (the dict it was given): nothing again.
        asyncio.run(main(json.loads(json.dumps(saved[-1]))))
    assert len(produced) == ready


def test_the_product_example_makes_models_of_the_rows_a_product_scan_yields() -> None:
    from omsclient.legacy.models import Product

    source = python_block_with("docs/legacy.md", "oms.legacy.products.scan()")
    names: dict[str, object] = {}
    with serve(SandboxConfig()) as info:

        async def main() -> None:
            async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
                names["oms"] = oms
                code = compile(source, "docs/legacy.md", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
                with contextlib.redirect_stdout(io.StringIO()):
                    await eval(code, names)

        asyncio.run(main())
    # The scan hands out what the server sent; the example's last row became a model.
    assert isinstance(names["row"], dict)
    product = names["product"]
    assert isinstance(product, Product)
    assert product.product_id == names["row"]["product_id"]  # type: ignore[index]


@pytest.mark.parametrize(("fault", "created"), [("drop", True), ("error:503", False)])
def test_the_lost_create_example_tells_whether_the_order_was_created(
    fault: str, created: bool
) -> None:
    # A dropped connection comes after the sandbox stored the order; its 503 comes before.
    source = python_block_with("docs/rest.md", 'print_file("ORD-002-1")')
    names: dict[str, object] = {"omsclient": omsclient}
    with serve(SandboxConfig(orders=10)) as info:

        async def main() -> None:
            async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
                names["oms"] = oms
                info.state.queue_faults(fault)
                code = compile(source, "docs/rest.md", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
                await eval(code, names)

        asyncio.run(main())
        stored = [
            o for o in info.state.rest.orders.values() if o["ecommerce_order_id"] == "ORD-002"
        ]
    assert names["created"] is created
    assert len(stored) == int(created)
