"""The opening examples of README.md and docs/index.md run against a default sandbox.

Every id they use (invoice numbers, product ids, order items) must exist there, so a reader who
starts the sandbox and pastes an example gets answers, not a 404.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import re
from pathlib import Path

import pytest

from omsclient.sandbox import SandboxConfig, serve

ROOT = Path(__file__).parent.parent


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
    status = names["status"]
    assert getattr(status, "ecommerce_order_item_id", None) == "ORD-001-1"
    products = names["products"]
    assert isinstance(products, list)
    assert len(products) == 3
    assert all(p.product_name and p.skus for p in products)
    assert printed.getvalue().strip()
