"""Exports infer their format from the output's extension when none is given, as the CLI does."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

import omsclient
from omsclient.export import check_output, export_orders, export_products
from omsclient.sandbox import SandboxConfig, asgi_transport


@pytest.fixture
async def oms() -> AsyncIterator[omsclient.AsyncClient]:
    transport, info = asgi_transport(SandboxConfig(orders=40, products=30, seed=5))
    async with omsclient.AsyncClient(
        **info.client_kwargs(), http_client=httpx.AsyncClient(transport=transport)
    ) as client:
        yield client


async def test_a_csv_name_without_a_format_writes_csv(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    out = tmp_path / "orders.csv"
    summary = await export_orders(oms, out, windows=2)
    assert summary.format == "csv"
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == summary.exported == 40
    assert rows[0]["order_id"].startswith("INV")
    assert not out.read_bytes().startswith(b"{")


async def test_an_upper_case_parquet_name_writes_parquet(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "products.PARQUET"
    summary = await export_products(oms, out)
    assert summary.format == "parquet"
    assert pq.read_table(out).num_rows == summary.exported == 30


@pytest.mark.parametrize("name", ["orders.jsonl", "orders.ndjson"])
async def test_json_lines_names_write_json_lines(
    oms: omsclient.AsyncClient, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name
    summary = await export_orders(oms, out, windows=1)
    assert summary.format == "jsonl"
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(rows) == 40


async def test_a_format_given_wins_over_the_extension(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    out = tmp_path / "orders.csv"
    summary = await export_orders(oms, out, format="jsonl", windows=1)
    assert summary.format == "jsonl"
    assert orjson.loads(out.read_bytes().splitlines()[0])["order_id"].startswith("INV")


@pytest.mark.parametrize("name", ["orders.txt", "orders", "orders.json", "orders.csv.gz"])
async def test_an_unknown_extension_without_a_format_is_refused_before_sending(
    tmp_path: Path, name: str
) -> None:
    transport, info = asgi_transport(SandboxConfig(orders=5, products=5, seed=5))
    async with omsclient.AsyncClient(
        **info.client_kwargs(), http_client=httpx.AsyncClient(transport=transport)
    ) as client:
        with pytest.raises(omsclient.ValidationError, match="cannot tell the format from"):
            await export_orders(client, tmp_path / name)
        with pytest.raises(omsclient.ValidationError, match=r"\.jsonl, \.csv or \.parquet"):
            await export_products(client, tmp_path / name)
    assert info.state.requests == []
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 (a test's tmp folder)


def test_check_output_infers_the_format_too(tmp_path: Path) -> None:
    assert check_output(tmp_path / "o.csv") == tmp_path / "o.csv"
    with pytest.raises(omsclient.ValidationError, match="cannot tell the format"):
        check_output(tmp_path / "o.xml")


@pytest.mark.parametrize(
    ("depth", "opening", "closing"),
    [
        # Past what a Parquet reader opens (pyarrow 26: 100 levels; 25: about 150), within
        # Python's stack.
        (300, '{"a":', "}"),
        (150, "[", "]"),  # an array takes two levels of the Parquet schema
        (600, '{"a":', "}"),
        (1000, '{"a":', "}"),  # past Python's stack on every version
    ],
)
def test_parquet_of_rows_nested_past_what_a_reader_opens_is_an_export_error(
    tmp_path: Path, depth: int, opening: str, closing: str
) -> None:
    # Past Python's stack, a bare RecursionError escaped, and every resume met it again.
    # Short of it (from Python 3.12 the conversion takes fewer frames a level), pyarrow wrote a
    # file no reader opens, the export said it was complete, and its JSON lines were gone.
    # JSON lines and CSV export such rows.
    from omsclient.export import ExportError
    from omsclient.export._parquet import jsonl_to_parquet

    source = tmp_path / "rows.jsonl"
    nested = opening * depth + "1" + closing * depth
    source.write_text(f'{{"order_id": "INV1", "deep": {nested}}}\n')
    with pytest.raises(ExportError, match="nests its objects deeper") as caught:
        jsonl_to_parquet(source, tmp_path / "rows.parquet")
    assert str(source) in str(caught.value)
    assert source.read_text().startswith('{"order_id": "INV1"')
    assert not (tmp_path / "rows.parquet").exists()


def test_parquet_of_rows_nested_as_deep_as_a_reader_opens_is_written(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from omsclient.export._parquet import jsonl_to_parquet

    source = tmp_path / "rows.jsonl"
    source.write_text('{"order_id": "INV1", "deep": ' + '{"a":' * 98 + "1" + "}" * 98 + "}\n")
    assert jsonl_to_parquet(source, tmp_path / "rows.parquet") == 1
    assert pq.read_table(tmp_path / "rows.parquet").num_rows == 1
