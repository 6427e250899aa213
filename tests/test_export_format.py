"""Exports infer their format from the output's extension when none is given, as the CLI does."""

from __future__ import annotations

import csv
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

import omsclient
from omsclient.export import ExportProgress, check_output, export_orders, export_products
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


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
async def test_a_parquet_export_reports_its_conversion_as_it_goes(
    oms: omsclient.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    # The last batch was the last report: a conversion of a million rows then said nothing
    # for a minute or more, and the command's bar stood at its end, its clock stopped.
    import omsclient.export._exporter as exporter
    import omsclient.export._parquet as parquet

    monkeypatch.setattr(exporter, "CONVERTING_EVERY", 0.05)
    slowly = parquet.jsonl_to_parquet

    def converting(*args: Any, **options: Any) -> None:
        time.sleep(0.3)  # a conversion long enough to be reported more than once
        *given, counted = args

        def each_pass_slowly(rows: int) -> None:
            counted(rows)
            time.sleep(0.2)  # the share after each pass is seen too

        slowly(*given, each_pass_slowly, **options)

    monkeypatch.setattr(exporter, "jsonl_to_parquet", converting)
    seen: list[ExportProgress] = []
    summary = await export_orders(oms, tmp_path / f"o.{fmt}", progress=seen.append)
    assert summary.exported == 40
    reading = [p for p in seen if not p.converting]
    converted = [p for p in seen if p.converting]
    assert reading
    assert reading[-1].exported == 40
    if fmt == "jsonl":
        assert converted == []
        return
    assert len(converted) >= 3
    assert seen[-len(converted) :] == converted  # after every row was read
    assert {p.exported for p in converted} == {40}
    assert [p.elapsed for p in converted] == sorted(p.elapsed for p in converted)
    # It reads the rows twice (their types, then the file): half done after the first pass,
    # never all done before it ends. It said no share for minutes on a large export.
    shares = [p.converted for p in converted]
    assert shares == sorted(shares)  # type: ignore[type-var]
    assert shares[0] == 0.0
    assert 0.5 in shares
    assert max(shares) == 0.99  # type: ignore[type-var]
    assert all(p.converted is None for p in reading)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
@pytest.mark.parametrize(
    "error", [TimeoutError("my webhook timed out"), PermissionError(13, "Permission denied")]
)
async def test_a_progress_callbacks_own_os_error_is_raised_as_itself(
    oms: omsclient.AsyncClient, tmp_path: Path, fmt: str, error: OSError
) -> None:
    # A webhook's timeout, a log file it cannot open: taken for the output's, it came back as
    # an ExportError "cannot write the export", which `except TimeoutError` let through.
    def progress(where: ExportProgress) -> None:
        if where.converting or fmt == "jsonl":
            raise error

    out = tmp_path / f"o.{fmt}"
    with pytest.raises(type(error), match=str(error.args[-1])) as caught:
        await export_orders(oms, out, progress=progress)
    assert caught.value is error
    assert (await export_orders(oms, out, resume=True)).exported == 40


async def test_a_progress_callback_failing_during_the_conversion_raises_its_own_error(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    class Stop(Exception):
        pass

    def progress(where: ExportProgress) -> None:
        if where.converting:
            raise Stop("enough")

    out = tmp_path / "o.parquet"
    with pytest.raises(Stop, match="enough"):  # itself, not inside an exception group
        await export_orders(oms, out, progress=progress)
    assert not out.exists()
    summary = await export_orders(oms, out, resume=True)
    assert summary.exported == 40
