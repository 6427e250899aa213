"""The ``omsclient`` command: arguments, exit codes, and the export end to end."""

from __future__ import annotations

import csv
import datetime
import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx
from rich.cells import cell_len

import omsclient
from omsclient import cli
from omsclient._commands import _arguments, _export, _running
from omsclient.export import ExportSummary
from omsclient.sandbox import Quirks, SandboxConfig, serve

from .conftest import LEGACY, PASSWORD, RESPX_TRANSPORT, form_of, legacy_error, ok
from .test_scan import conditions_of

FIND = f"{LEGACY}/api/json/manage_orders/find"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMS_LEGACY_URL", LEGACY)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)


@pytest.fixture
def server() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock.route(url__startswith=LEGACY)


def test_help_says_why_credentials_are_not_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export", "orders", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "OMS_PASSWORD" in out
    assert "shell" in out
    assert "history" in out
    assert "--sandbox" in out
    assert "130 interrupted" in out


@pytest.mark.parametrize("argv", [[], ["export", "orders"], ["sync", "orders"]])
def test_help_says_what_each_exit_code_covers(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Exit 1 is also a write that failed: the export's output, the sync's database.
    assert cli.main([*argv, "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "1 the server, the network, the output file or the database failed" in out


def test_the_product_commands_help_promises_what_products_get(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Products are read by Product Id, and each sync reads the whole catalogue again.
    assert cli.main(["export", "products", "--help"]) == 0
    assert "Date Ordered" not in capsys.readouterr().out
    assert cli.main(["export", "orders", "--help"]) == 0
    assert "as long as no order's Date Ordered does" in " ".join(capsys.readouterr().out.split())
    assert cli.main(["sync", "--help"]) == 0
    assert "the whole catalogue of products again" in capsys.readouterr().out.replace("\n", " ")
    # A product's --since and --until filter on the date it was modified, which it says.
    for command in ("export", "sync"):
        assert cli.main([command, "products", "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "--since DATE modified from this date (UTC)" in out
        assert "--until DATE modified up to this date, inclusive" in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["export"],
        ["sync"],
        ["sandbox"],
        *([command, kind] for command in ("export", "sync") for kind in ("orders", "products")),
    ],
)
def test_every_help_page_fits_the_terminal(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Descriptions were written as lines of about 96 characters and shown as they were: on an
    # 80-column terminal they broke mid-word, and the caveat of export orders made one of 122.
    for columns in (80, 120):
        monkeypatch.setenv("COLUMNS", str(columns))
        assert cli.main([*argv, "--help"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [line for line in lines if len(line) >= columns] == []
    # The examples are kept whole, to be copied.
    if argv[1:]:
        assert f"  omsclient {argv[0]} {argv[1]} --sandbox " in "\n".join(lines)


def test_help_describes_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    description = capsys.readouterr().out.split("positional arguments")[0]
    assert "export" in description
    assert "sync" in description


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required: COMMAND"),
        (["export", "orders"], "required: --out"),
        (
            ["export", "orders", "--out", "o.jsonl", "--where", "status:eq"],
            "FIELD:OP:VALUE, e.g. status:eq:1",
        ),
        # Products have no status.
        (["export", "products", "--out", "p.jsonl", "--where", "code:eq:"], "e.g. id:gt:100"),
        (
            ["export", "orders", "--out", "o.jsonl", "--where", "colour:eq:1"],
            "unknown field 'colour'",
        ),
        (["export", "orders", "--out", "o.jsonl", "--where", "status:like:1"], "unknown operator"),
        (
            ["export", "orders", "--out", "o.jsonl", "--where", "ordered:between:2024-01-01"],
            "DATE1..DATE2",
        ),
        (
            ["export", "orders", "--out", "o.jsonl", "--where", "modified:ge:soon"],
            "'soon' is not a date like 2024-01-31",
        ),
        (["export", "orders", "--out", "o.jsonl", "--since", "yesterday"], "not a date"),
        # In the form asked for, it was said not to be: its year is what is wrong.
        (
            ["export", "orders", "--out", "o.jsonl", "--since", "0999-12-31"],
            "--since: '0999-12-31' is outside the years the API stores (1000..9999 in UTC)",
        ),
        # Year 10000 in UTC.
        (
            ["export", "orders", "--out", "o.jsonl", "--since", "9999-12-31T23:00:00-05:00"],
            "'9999-12-31T23:00:00-05:00' is outside the years the API stores (1000..9999 in UTC)",
        ),
        (
            ["export", "orders", "--out", "o.jsonl", "--until", "2024-02-30"],
            "--until: '2024-02-30' is no real date and time (a month, day",
        ),
        (
            ["export", "orders", "--out", "o.jsonl", "--where", "modified:ge:2024-01-31T24:00"],
            "'2024-01-31T24:00' is no real date and time (a month, day, hour",
        ),
        (
            [
                "export",
                "orders",
                "--out",
                "o.jsonl",
                "--since",
                "2024-02-01",
                "--until",
                "2024-01-01",
            ],
            "--until is before --since",
        ),
        (["export", "orders", "--out", "o.jsonl", "--status", "ready"], "not a status number"),
        (["export", "orders", "--out", "o.jsonl", "--where", "status:eq:1.5"], "whole numbers"),
        (["export", "products", "--out", "p.jsonl", "--where", "id:gt:x"], "whole numbers"),
        # --where dates take the forms --since takes, on every Python, not a midnight of another.
        (["export", "orders", "--out", "o.jsonl", "--where", "modified:ge:20240131"], "not a date"),
        (
            ["export", "orders", "--out", "o.jsonl", "--where", "modified:ge:2024-W05-3"],
            "not a date",
        ),
        (
            ["export", "orders", "--out", "o.jsonl", "--where", "shipped:between:2024-01-01..x"],
            "--where 'shipped:between:2024-01-01..x': 'x' is not a date",
        ),
        (
            ["export", "orders", "--out", "o.jsonl", "--where", "status:eq:abc"],
            "--where 'status:eq:abc': status holds whole numbers",
        ),
        (
            ["export", "orders", "--out", "o.jsonl", "--where", "invoice:between:1..2"],
            "between works on date fields only, not invoice",
        ),
        (["export", "orders", "--out", "o.jsonl", "--include", "everything"], "unknown part"),
        (["export", "orders", "--out", "o.jsonl", "--include", ","], "unknown part ','"),
        (["export", "orders", "--out", "o.jsonl", "--concurrency", "0"], "not a whole number >= 1"),
        (["export", "orders", "--out", "o.jsonl", "--concurrency", "65"], "at most 64"),
        (["export", "orders", "--out", "o.jsonl", "--format", "xml"], "invalid choice: 'xml'"),
        (["export", "orders", "--out", "orders.txt"], "cannot tell the format"),
        (["export", "orders", "--out", "missing/o.jsonl"], "missing does not exist"),
        (
            ["export", "products", "--out", "p.jsonl", "--status", "1"],
            "unrecognized arguments: --status",
        ),
        (
            ["export", "products", "--out", "p.jsonl", "--where", "status:eq:1"],
            "unknown field 'status'",
        ),
        (["export", "orders", "--out", "o.jsonl", "--sandbox-latency", "-1"], "seconds >= 0"),
        # An endless wait, not a latency.
        (["export", "orders", "--out", "o.jsonl", "--sandbox-latency", "inf"], "seconds >= 0"),
        (["sync", "orders", "--db", "sqlite:///o.db", "--overlap", "inf"], "seconds >= 0"),
        # It drew the progress bar, then named the function's parameter, with no usage line.
        (
            ["sync", "orders", "--db", "sqlite:///o.db", "--overlap", "40000000"],
            "argument --overlap: '40000000' is more than a year (31622400 seconds)",
        ),
        (["sandbox", "--latency", "slow"], "SECONDS or MIN,MAX"),
        (["sandbox", "--latency", "inf"], "SECONDS or MIN,MAX"),
        (["sandbox", "--latency", "0.5,0.1"], "MIN <= MAX"),
        (["sandbox", "--port", "65536"], "not a port (0..65535)"),
        (["sandbox", "--port", "99999"], "not a port (0..65535)"),
        (["sandbox", "--port", "-1"], "not a port (0..65535)"),
        # A typo's extra digits took memory until the machine ran out, saying nothing.
        (["sandbox", "--orders", "99999999999"], "'99999999999' is not a whole number 0..10,0"),
        (["sandbox", "--products", "-1"], "'-1' is not a whole number 0..10,000,000"),
        # Said of the setting behind it: "new_orders must be >= 0, got -1".
        (["sandbox", "--churn-new", "-1"], "argument --churn-new: '-1' is not a whole number 0"),
        (["sandbox", "--churn-changed", "x"], "argument --churn-changed: 'x' is not a whole"),
        # Said of the Quirks field: "condition_zone: no time zone is named ...".
        (
            ["sandbox", "--condition-zone", "Mars/Base"],
            "argument --condition-zone: no time zone is named 'Mars/Base'",
        ),
        (
            [
                "export",
                "orders",
                "--out",
                "o.jsonl",
                "--sandbox",
                "--sandbox-orders",
                "1" + "0" * 8,
            ],
            "argument --sandbox-orders: at most 10,000,000",
        ),
        # "-" is stdout to a command-line user; an export is a file renamed into place when
        # complete, with its checkpoint beside it, which stdout cannot be.
        (["export", "orders", "--out", "-"], "--out: '-' (stdout) cannot take an export"),
        # Path("new/") is Path("new"): a file named new was written.
        (
            ["export", "orders", "--out", "new/", "--format", "jsonl"],
            "--out: new/ names a folder; name a file in it",
        ),
        (["export", "orders", "--out", "new/."], "--out: new/. names a folder"),
        # Path("") is Path("."): an unset $OUT said "cannot tell the format from '.'".
        (["export", "orders", "--out", "", "--format", "jsonl"], "--out: is empty: name a file"),
        (["export", "orders", "--out", "-", "--format", "jsonl"], "(a file named '-': --out ./-)"),
    ],
)
@pytest.mark.usefixtures("env")
def test_bad_arguments_exit_2_and_send_nothing(
    argv: list[str],
    message: str,
    server: respx.Route,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err
    assert not server.called

    assert list(tmp_path.iterdir()) == []
    assert not server.called


def test_missing_credentials_exit_2_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in ("OMS_LEGACY_URL", "OMS_USERNAME", "OMS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    assert cli.main(["export", "orders", "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "OMS_LEGACY_URL, OMS_PASSWORD" in err
    assert "--sandbox" in err


@pytest.mark.usefixtures("env")
def test_filters_become_conditions(server: respx.Route, tmp_path: Path) -> None:
    server.mock(return_value=httpx.Response(200, json=ok(orders=[], total=0)))
    out = tmp_path / "o.jsonl"
    argv = ["export", "orders", "--out", str(out), "--date-field", "due", "--since", "2024-01-01"]
    argv += [
        "--status",
        "1",
        "--invoice",
        "INV77",
        "--where",
        "modified:between:2024-05-01..2024-06-01T12:00:00",
    ]
    argv += ["--include", "workflow,shipments", "--concurrency", "1", "--quiet"]
    argv += RESPX_TRANSPORT
    assert cli.main(argv) == 0
    assert out.read_bytes() == b""
    form = form_of(server.calls[-1].request)
    assert conditions_of(form) == [
        ("5", "6", "2024-01-01T00:00:00"),
        ("4", "1", "1"),
        ("3", "1", "INV77"),
        ("8", "7", "2024-05-01T00:00:00"),
        ("1", "6", "1000-01-01T00:00:00"),
    ]
    assert form["conditions[4][date2]"] == "2024-06-01T12:00:00"
    assert form["include_workflow_data"] == form["include_shipments"] == "1"
    assert "include_po_data" not in form


@pytest.mark.usefixtures("env")
def test_server_errors_exit_1_without_the_password(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server.mock(return_value=httpx.Response(200, json=legacy_error(30001, "Authentication failed")))
    assert cli.main(["export", "orders", "--out", str(tmp_path / "o.jsonl"), *RESPX_TRANSPORT]) == 1
    err = capsys.readouterr().err
    assert "Authentication failed" in err
    assert PASSWORD not in err


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("checkpointed", [True, False])
def test_ctrl_c_exits_130_and_points_to_resume_only_with_a_checkpoint(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    checkpointed: bool,
) -> None:
    out = tmp_path / "o.jsonl"

    async def interrupted(*args: Any, **kwargs: Any) -> None:
        if checkpointed:
            out.with_name("o.jsonl.checkpoint").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(_export, "export_orders", interrupted)
    assert cli.main(["export", "orders", "--out", str(out)]) == 130
    assert ("--resume" in capsys.readouterr().err) is checkpointed


@pytest.mark.usefixtures("env")
def test_a_failed_first_request_does_not_suggest_resume(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server.mock(return_value=httpx.Response(200, json=legacy_error(30001, "Authentication failed")))
    out = tmp_path / "o.jsonl"
    assert cli.main(["export", "orders", "--out", str(out), *RESPX_TRANSPORT]) == 1
    err = capsys.readouterr().err
    assert "Authentication failed" in err
    assert "--resume" not in err
    assert not out.with_name("o.jsonl.checkpoint").exists()


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("outcome", ["done", "interrupted"])
def test_the_export_runs_with_start_up_frozen_and_unfreezes_after(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, outcome: str
) -> None:
    frozen: list[int] = []

    async def export(*args: Any, **kwargs: Any) -> ExportSummary:
        frozen.append(gc.get_freeze_count())
        if outcome == "interrupted":
            raise KeyboardInterrupt
        return ExportSummary(tmp_path / "o.jsonl", "orders", "jsonl", 0, 0, 0, False, 0.1, 1, 1)

    monkeypatch.setattr(_export, "export_orders", export)
    before = gc.get_freeze_count()
    code = cli.main(["export", "orders", "--quiet", "--out", str(tmp_path / "o.jsonl")])
    assert code == (0 if outcome == "done" else 130)
    assert frozen
    assert frozen[0] > before
    assert gc.get_freeze_count() == before


def sandbox_argv(out: Path, *extra: str) -> list[str]:
    return [
        "export",
        "orders",
        "--sandbox",
        "--sandbox-orders",
        "400",
        "--sandbox-latency",
        "0",
        "--out",
        str(out),
        *extra,
    ]


def test_a_resume_with_every_row_written_before_ends_with_a_full_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The conversion to Parquet failed (a full disk) after every row was staged: the resume
    # read no page, reported no progress, and its bar ended at "0/?".
    from omsclient.export import _exporter

    convert = _exporter.jsonl_to_parquet

    def full(*args: Any, **options: Any) -> None:
        raise OSError(28, "No space left on device")

    out = tmp_path / "o.parquet"
    monkeypatch.setattr(_exporter, "jsonl_to_parquet", full)
    assert cli.main(sandbox_argv(out, "--quiet")) == 1
    monkeypatch.setattr(_exporter, "jsonl_to_parquet", convert)
    bars: list[tuple[float, float | None]] = []
    finished = _running.Display.finished

    def seen(self: _running.Display, done: float | None = None) -> None:
        finished(self, done)
        (task,) = self.progress.tasks
        bars.append((task.completed, task.total))

    monkeypatch.setattr(_running.Display, "finished", seen)
    assert cli.main(sandbox_argv(out, "--quiet", "--resume")) == 0
    assert bars == [(400, 400)]


def test_an_interrupt_as_the_summary_is_printed_leaves_a_complete_job_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A SIGTERM (taken as a Ctrl-C) as the table was written ended the finished export with a
    # traceback and no line.
    from rich.console import Console
    from rich.table import Table

    print_ = Console.print

    def interrupted(self: Console, *objects: Any, **kwargs: Any) -> None:
        if objects and isinstance(objects[0], Table):  # the summary
            raise KeyboardInterrupt
        print_(self, *objects, **kwargs)

    monkeypatch.setattr(Console, "print", interrupted)
    assert cli.main(sandbox_argv(tmp_path / "o.jsonl")) == 0
    assert "interrupted as the summary was printed; the job was complete" in capsys.readouterr().err
    assert len((tmp_path / "o.jsonl").read_bytes().splitlines()) == 400


def test_a_sandbox_export_is_not_sent_through_the_environments_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sandbox is on this machine: through a corporate proxy (here one that refuses every
    # connection) the command that needs no credentials failed.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("no_proxy", "internal.example")
    out = tmp_path / "orders.jsonl"
    assert cli.main([*sandbox_argv(out), "--quiet", "--transport", "httpx"]) == 0
    assert len(out.read_text().splitlines()) == 400
    assert os.environ["no_proxy"] == "internal.example"  # as it was, once the command is over
    assert "NO_PROXY" not in os.environ


def test_export_orders_from_the_sandbox_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    out = tmp_path / "orders.csv"
    assert cli.main(sandbox_argv(out, "--concurrency", "3")) == 0
    with out.open(newline="") as f:
        ids = [row["order_id"] for row in csv.DictReader(f)]
    assert sorted(ids) == [f"INV{10001 + i}" for i in range(400)]
    summary = capsys.readouterr().out
    assert "Orders exported" in summary
    assert "400" in summary
    assert "over 3 window(s)" in summary


@pytest.mark.parametrize(("argv", "transport"), [((), "aiohttp"), (RESPX_TRANSPORT, "httpx")])
def test_bulk_commands_send_through_aiohttp_when_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...], transport: str
) -> None:
    made: list[Any] = []
    client = omsclient.AsyncClient

    def recording(**kwargs: Any) -> omsclient.AsyncClient:
        made.append(kwargs["transport"])
        return client(**kwargs)

    monkeypatch.setattr(omsclient, "AsyncClient", recording)
    out = tmp_path / "orders.jsonl"
    assert cli.main(sandbox_argv(out, "--quiet", *argv)) == 0
    assert len(out.read_bytes().splitlines()) == 400
    assert made == [transport]
    # Without httpx-aiohttp, httpx.
    monkeypatch.setattr(_arguments.importlib.util, "find_spec", lambda name: None)
    assert _arguments.bulk_transport() == "httpx"


def test_interrupted_sandbox_export_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "orders.jsonl"
    real_update = _running.Display.update
    calls = 0

    def update(self: Any, done: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        real_update(self, done)

    monkeypatch.setattr(_running.Display, "update", update)
    assert cli.main(sandbox_argv(out)) == 130
    assert not out.exists()
    monkeypatch.setattr(_running.Display, "update", real_update)
    assert cli.main(sandbox_argv(out, "--resume")) == 0
    ids = [orjson.loads(line)["order_id"] for line in out.read_bytes().splitlines()]
    assert sorted(ids) == [f"INV{10001 + i}" for i in range(400)]
    assert "(resumed)" in capsys.readouterr().out


def test_resume_with_other_filters_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "orders.jsonl"

    def update(self: Any, done: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_running.Display, "update", update)
    assert cli.main(sandbox_argv(out)) == 130
    assert cli.main(sandbox_argv(out, "--resume", "--status", "1")) == 2
    err = capsys.readouterr().err
    assert "other filters" in err
    # The sandbox's size is not what differs: no line sends the user after it.
    assert "--sandbox-orders" not in err
    assert cli.main(sandbox_argv(out, "--resume", "--format", "csv")) == 2
    err = capsys.readouterr().err
    assert "not csv of orders" in err
    assert "--sandbox-orders" not in err


def interrupted_at_its_first_batch(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a sandbox export to ``out``, stopped by a Ctrl-C at its first progress update."""
    real_update = _running.Display.update

    def update(self: Any, done: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_running.Display, "update", update)
    assert cli.main(sandbox_argv(out)) == 130
    monkeypatch.setattr(_running.Display, "update", real_update)


def test_an_export_that_cannot_resume_names_the_option_that_starts_it_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # It said "start again without resume", and without --resume the command refused the
    # checkpoint left: the user met a second refusal before --overwrite was named.
    out = tmp_path / "orders.jsonl"
    interrupted_at_its_first_batch(out, monkeypatch)
    (tmp_path / "orders.jsonl.partial").unlink()
    capsys.readouterr()
    assert cli.main(sandbox_argv(out, "--resume")) == 2
    err = capsys.readouterr().err
    assert "is missing; add --overwrite to start again" in err
    assert "overwrite=True" not in err
    assert cli.main(sandbox_argv(out, "--overwrite")) == 0
    assert len(out.read_bytes().splitlines()) == 400


def test_until_the_apis_last_day_is_no_bound_on_another_date_either(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Sent as "Date Shipped <= 9999-12-31T23:59:59", it left out every order never shipped,
    # where cli.md calls it no bound at all.
    def exported(*extra: str) -> int:
        out = tmp_path / f"o{len(list(tmp_path.iterdir()))}.jsonl"
        assert cli.main(sandbox_argv(out, "--quiet", "--date-field", "shipped", *extra)) == 0
        return len(out.read_bytes().splitlines())

    everything = exported()
    assert everything == 400
    assert exported("--until", "9999-12-31") == everything
    assert exported("--until", "9999-12-31T23:59:59") == everything
    # A bound past every date the sandbox holds still leaves the unshipped ones out.
    assert exported("--until", "9999-12-30") < everything
    assert capsys.readouterr().err == ""


def test_a_sandbox_export_resumes_only_from_a_sandbox_of_the_same_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "orders.jsonl"
    interrupted_at_its_first_batch(out, monkeypatch)
    partial = tmp_path / "orders.jsonl.partial"
    written = partial.read_bytes()
    capsys.readouterr()
    # Another --sandbox-orders generates other orders under the same invoice numbers: their
    # rows appended to these would make one file of two datasets.
    assert cli.main(sandbox_argv(out, "--resume", "--sandbox-orders", "600")) == 2
    err = capsys.readouterr().err
    assert "cannot resume" in err
    assert "127.0.0.1" in err
    assert "--sandbox-orders" in err
    assert partial.read_bytes() == written
    assert not out.exists()
    # The same data resumes; the latency is not the data.
    assert cli.main(sandbox_argv(out, "--resume", "--sandbox-latency", "0.001")) == 0
    ids = [orjson.loads(line)["order_id"] for line in out.read_bytes().splitlines()]
    assert sorted(ids) == [f"INV{10001 + i}" for i in range(400)]
    assert "(resumed)" in capsys.readouterr().out


def test_sandbox_subcommand_mounts_the_sandbox_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sandbox", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--churn-new" in out
    assert "--latency" in out


def _last_day(tmp_path: Path) -> tuple[str, list[str]]:
    """The sandbox's last day with orders (some of them late in the day) and its orders."""
    everything = tmp_path / "all.csv"
    assert cli.main(sandbox_argv(everything, "--quiet")) == 0
    with everything.open(newline="") as f:
        dates = {row["order_id"]: row["date_ordered"] for row in csv.DictReader(f)}
    day = max(dates.values())[:10]
    assert any(when[11:] > "00:00:00" for when in dates.values() if when.startswith(day))
    return day, sorted(order for order, when in dates.items() if when.startswith(day))


def test_until_a_date_takes_in_the_whole_of_that_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    day, expected = _last_day(tmp_path)
    one_day = tmp_path / "day.csv"
    argv = sandbox_argv(one_day, "--since", day, "--until", day, "--quiet")
    assert cli.main(argv) == 0
    with one_day.open(newline="") as f:
        assert sorted(row["order_id"] for row in csv.DictReader(f)) == expected


def test_until_the_last_day_the_api_can_name_exports_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Until forever": its end of day plus a second is a year no date can be written in.
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    out = tmp_path / "all.csv"
    assert cli.main(sandbox_argv(out, "--until", "9999-12-31", "--quiet")) == 0
    with out.open(newline="") as f:
        assert len(list(csv.DictReader(f))) == 400
    db = f"sqlite:///{tmp_path / 'orders.db'}"
    argv = ["sync", "orders", "--sandbox", "--sandbox-orders", "50", "--sandbox-latency", "0"]
    assert cli.main([*argv, "--db", db, "--until", "9999-12-31", "--quiet"]) == 0


@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_blank_credential_variable_counts_as_unset(
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    server: respx.Route,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OMS_LEGACY_URL", "  ")
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)
    target = ["--out", str(tmp_path / "o.jsonl")] if command == "export" else []
    target += ["--db", f"sqlite:///{tmp_path / 'o.db'}"] if command == "sync" else []
    assert cli.main([command, "orders", *target]) == 2
    err = capsys.readouterr().err
    assert "set OMS_LEGACY_URL in the environment" in err
    assert f"see omsclient {command} --help" in err
    assert not server.called


def test_a_sync_whose_orders_left_meanwhile_ends_with_a_full_bar_of_what_it_read() -> None:
    from omsclient.dbsync import SyncProgress

    display = _running.Display("orders", quiet=True, verb="syncing")
    # 5,000 orders counted at the start, 7 of them left the filter before they were read.
    display.update_sync(SyncProgress(4993, 5000, 4993, 0, 0, 1.0))
    display.finished()
    (task,) = display.progress.tasks
    assert (task.completed, task.total) == (4993, 4993)


@pytest.mark.parametrize(
    "where",
    [
        ["ordered:between:{day}..{day}"],
        ["ordered:ge:{day}", "ordered:le:{day}"],
        ["ordered:eq:{day}"],
        ["ordered:gt:{before}", "ordered:lt:{after}"],
    ],
)
def test_a_date_alone_in_where_is_the_whole_of_that_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: list[str]
) -> None:
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    day, expected = _last_day(tmp_path)
    when = datetime.date.fromisoformat(day)
    days = {
        "day": day,
        "before": (when - datetime.timedelta(days=1)).isoformat(),
        "after": (when + datetime.timedelta(days=1)).isoformat(),
    }
    one_day = tmp_path / "day.csv"
    options = [part for text in where for part in ("--where", text.format(**days))]
    assert cli.main(sandbox_argv(one_day, *options, "--quiet")) == 0
    with one_day.open(newline="") as f:
        assert sorted(row["order_id"] for row in csv.DictReader(f)) == expected


def test_ne_on_a_date_alone_is_refused_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    argv = sandbox_argv(tmp_path / "o.csv", "--where", "shipped:ne:2024-01-31", "--quiet")
    assert cli.main(argv) == 2
    assert "shipped:ne:2024-01-31" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("numbering", "shipped", "invoiced"), [("api", "6", "7"), ("blueprint", "7", "6")]
)
def test_field_numbering_picks_the_numbers_of_shipped_and_invoiced(
    server: respx.Route, tmp_path: Path, numbering: str, shipped: str, invoiced: str
) -> None:
    # The two order documents swap fields 6 and 7; a server that follows the blueprint must be
    # reachable from the command too, or --date-field shipped filters on Date Invoiced.
    server.mock(return_value=httpx.Response(200, json=ok(orders=[], total=0)))
    argv = ["export", "orders", "--out", str(tmp_path / "o.jsonl"), "--quiet"]
    argv += ["--date-field", "shipped", "--since", "2024-01-01"]
    argv += ["--where", "invoiced:ge:2024-02-01", "--field-numbering", numbering]
    assert cli.main([*argv, *RESPX_TRANSPORT]) == 0
    form = form_of(server.calls[-1].request)
    assert conditions_of(form)[:2] == [
        (shipped, "6", "2024-01-01T00:00:00"),
        (invoiced, "6", "2024-02-01T00:00:00"),
    ]


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("where", "condition"),
    [
        # A date alone is the whole day: below it means before its first second, above it
        # after its last one.
        ("modified:lt:2024-01-31", ("8", "3", "2024-01-31T00:00:00")),
        ("modified:ge:2024-01-31", ("8", "6", "2024-01-31T00:00:00")),
        ("modified:gt:2024-01-31", ("8", "4", "2024-01-31T23:59:59")),
        ("modified:le:2024-01-31", ("8", "5", "2024-01-31T23:59:59")),
        # The field as the API reference names it, "8: Date Modified".
        ("Date Modified:ge:2024-01-31", ("8", "6", "2024-01-31T00:00:00")),
        ("date-modified:lt:2024-01-31", ("8", "3", "2024-01-31T00:00:00")),
    ],
)
def test_a_date_alone_in_where_is_sent_as_the_edge_of_its_day(
    server: respx.Route, tmp_path: Path, where: str, condition: tuple[str, str, str]
) -> None:
    server.mock(return_value=httpx.Response(200, json=ok(orders=[], total=0)))
    argv = ["export", "orders", "--out", str(tmp_path / "o.jsonl"), "--quiet", "--where", where]
    assert cli.main([*argv, *RESPX_TRANSPORT]) == 0
    assert conditions_of(form_of(server.calls[-1].request))[0] == condition


@pytest.mark.usefixtures("env")
def test_product_dates_bound_date_modified_from_since_to_the_end_of_until(
    server: respx.Route, tmp_path: Path
) -> None:
    server.mock(return_value=httpx.Response(200, json=ok(products=[], total=0)))
    argv = ["export", "products", "--out", str(tmp_path / "p.jsonl"), "--quiet"]
    argv += ["--since", "2024-01-01", "--until", "2024-01-31"]
    assert cli.main([*argv, *RESPX_TRANSPORT]) == 0
    # Product field 5 is Date Modified; 6 is >=, 5 is <=.
    assert conditions_of(form_of(server.calls[-1].request))[:2] == [
        ("5", "6", "2024-01-01T00:00:00"),
        ("5", "5", "2024-01-31T23:59:59"),
    ]


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("name", ["o.JSONL", "o.Csv"])
def test_the_format_is_told_from_an_extension_in_any_case(
    server: respx.Route, tmp_path: Path, name: str
) -> None:
    server.mock(return_value=httpx.Response(200, json=ok(orders=[], total=0)))
    out = tmp_path / name
    assert cli.main(["export", "orders", "--out", str(out), "--quiet", *RESPX_TRANSPORT]) == 0
    assert out.exists()


def test_a_sandbox_churn_of_zero_is_a_sandbox_whose_orders_stay_put(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    out = tmp_path / "orders.jsonl"
    assert cli.main(sandbox_argv(out, "--sandbox-churn", "0", "--quiet")) == 0
    assert len(out.read_bytes().splitlines()) == 400


_FOURS = (4, 4, 4, False, 1.0, 1, 1)  # exported, server total, this run... of a small export


def _summary_of(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], summary: ExportSummary
) -> str:
    """What the command prints on stdout for an export that ends with ``summary``."""

    async def exported(*args: Any, **kwargs: Any) -> ExportSummary:
        return summary

    monkeypatch.setattr(_export, "export_orders", exported)
    assert cli.main(["export", "orders", "--out", str(summary.path)]) == 0
    return capsys.readouterr().out


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("name", "shown"),
    [
        # The escape sequences reached the terminal, and the line break split the table's row.
        ("a\x1b[31mRED\x1b]0;title\x07\nb.jsonl", "a\\x1b[31mRED\\x1b]0;title\\x07\\nb.jsonl"),
        # Not these (escaped once): every space but ASCII's, and the joiner of an emoji.
        ("注文\u3000一覧 v\xa02 👩\u200d💻.jsonl", "注文\u3000一覧 v\xa02 👩\u200d💻.jsonl"),
        # What shows nothing: "zw.jsonl" to the eye.
        ("zw\u200b\ufeff\u2063\u180e.jsonl", "zw\\u200b\\ufeff\\u2063\\u180e.jsonl"),
        # A byte that was no UTF-8: one cell to rich, written as six by the stream, the table's
        # border five short.
        ("bad\udcffname.jsonl", "bad\\udcffname.jsonl"),
    ],
    ids=["controls", "other-scripts", "invisible", "no-utf8"],
)
def test_the_summary_escapes_in_a_path_only_what_a_terminal_acts_on(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    shown: str,
) -> None:
    out = tmp_path / name
    monkeypatch.setenv("COLUMNS", "400")
    printed = _summary_of(monkeypatch, capsys, ExportSummary(out, "orders", "jsonl", *_FOURS))
    assert "\x1b" not in printed
    assert "\x07" not in printed
    assert f"{tmp_path}/{shown} (jsonl)" in printed
    table = [line for line in printed.splitlines() if line[:1] in "┏┃┡│└┌├"]
    assert len({cell_len(line) for line in table}) == 1, table  # the borders meet


@pytest.mark.usefixtures("env")
def test_the_summary_on_a_narrow_terminal_wraps_names_and_values_and_cuts_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The names were kept on one line: at 20 columns they took the table's width, every value
    # was left out, and "Server total now" was cut to "Server total n…".
    out = tmp_path / "orders.jsonl"
    monkeypatch.setenv("COLUMNS", "20")
    printed = _summary_of(monkeypatch, capsys, ExportSummary(out, "orders", "jsonl", *_FOURS))
    table = [line for line in printed.splitlines() if line[:1] in "┌│└"]
    assert {cell_len(line) for line in table} == {20}
    cells = [line.split("│")[1:3] for line in table if line.startswith("│")]
    names = "".join(name.strip() for name, _ in cells)
    values = "".join(value.strip() for _, value in cells)
    assert "ServertotalnowDifference" in names.replace(" ", "")
    assert f"{out}(jsonl)" in values.replace(" ", "")
    assert "…" not in names + values


def test_an_error_line_shows_the_control_characters_of_a_path_as_escapes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "a\x1b[31mRED\x1b]0;title\x07\nb.jsonl"
    out.write_text("{}\n")
    assert cli.main(["export", "orders", "--sandbox", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\x07" not in err
    assert "a\\x1b[31mRED\\x1b]0;title\\x07\nb.jsonl already exists" in err


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (
            ["--out", "o.jsonl", "\x1b[31mHELLO\u202e"],
            "unrecognized arguments: \\x1b[31mHELLO\\u202e",
        ),
        (["--out", "dir\x1b[31m/"], "argument --out: dir\\x1b[31m/ names a folder"),
    ],
)
def test_a_usage_error_shows_the_control_characters_of_an_argument_as_escapes(
    argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # argparse quotes an argument as given: its escape sequences reached the terminal.
    assert cli.main(["export", "orders", *argv]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert shown in err


@pytest.mark.usefixtures("env")
def test_the_summary_shows_the_servers_last_count_beside_the_rows_exported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    three_arrived_meanwhile = (400, 403, 400, False, 2.0, 9, 4)
    out = tmp_path / "o.jsonl"
    printed = _summary_of(
        monkeypatch, capsys, ExportSummary(out, "orders", "jsonl", *three_arrived_meanwhile)
    )
    rows = {
        cells[1].strip(): cells[2].strip()
        for cells in (line.split("│") for line in printed.splitlines())
        if len(cells) == 4
    }
    assert rows["Difference"].startswith("-3 (orders arrived, left or changed")
    # An order re-dated after it was read is written twice: no promise the file is exact.
    assert "exactly once" not in printed
    assert rows["Orders exported"] == "400"
    assert rows["Server total now"] == "403"


def _summary_table(printed: str) -> dict[str, str]:
    return {
        cells[1].strip(): cells[2].strip()
        for cells in (line.split("│") for line in printed.splitlines())
        if len(cells) == 4
    }


def new_york_server(orders: int) -> SandboxConfig:
    """A server comparing date conditions in New York's time, read as UTC: every next page
    starts hours later than asked and the orders in between are never read, nothing having
    changed. Its ``orders`` over three days."""
    return SandboxConfig(
        orders=orders,
        products=5,
        start=datetime.datetime(2024, 10, 30),
        days=3,
        username="fred",
        password=PASSWORD,
        quirks=Quirks(condition_zone="America/New_York"),
    )


def _read_as_utc(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The command ``args`` run against :func:`new_york_server` of 300 orders, read as UTC."""
    monkeypatch.delenv("OMS_LEGACY_TIMEZONE", raising=False)
    with serve(new_york_server(300)) as sandbox:
        monkeypatch.setenv("OMS_LEGACY_URL", sandbox.url)
        monkeypatch.setenv("OMS_USERNAME", "fred")
        monkeypatch.setenv("OMS_PASSWORD", PASSWORD)
        return cli.main(list(args))


def test_a_difference_from_a_server_comparing_dates_in_another_zone_names_the_warning(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The summary put the difference down to orders that "arrived, left or changed".
    assert _read_as_utc(monkeypatch, "export", "orders", "--out", str(tmp_path / "o.jsonl")) == 0
    assert "another time zone than the client's legacy_timezone (UTC when unset)" in caplog.text
    rows = _summary_table(capsys.readouterr().out)
    # Fewer orders read than the server holds, as the warning said of the zone.
    assert rows["Difference"] == "-2 (see the warning above: the server's time zone)"


def test_a_sync_whose_scan_may_have_skipped_orders_says_so_and_keeps_the_watermark(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The summary said "every matching row", and the watermark saved past the orders skipped
    # left them out of every later run.
    monkeypatch.setenv("COLUMNS", "250")  # each row on one line
    db = f"sqlite:///{tmp_path / 'orders.db'}"
    assert _read_as_utc(monkeypatch, "sync", "orders", "--db", db) == 0
    assert "another time zone than the client's legacy_timezone (UTC when unset)" in caplog.text
    rows = _summary_table(capsys.readouterr().out)
    assert rows["Read"] == "298 (every matching row; the scan may have skipped some)"
    assert rows["Watermark"] == (
        "none, kept (see the warning above: the server's time zone): the next run reads these "
        "orders again"
    )


class _Interrupted(Exception):
    pass


async def test_a_resumed_export_names_what_the_run_it_resumed_warned_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Only the warnings of the run the summary closed were known: an export resumed after the
    # one that warned put the difference down to orders that "arrived, left or changed".
    monkeypatch.delenv("OMS_LEGACY_TIMEZONE", raising=False)
    out = tmp_path / "o.jsonl"
    reports: list[omsclient.export.ExportProgress] = []

    def stop_at_the_second_batch(progress: omsclient.export.ExportProgress) -> None:
        reports.append(progress)
        if len(reports) == 2:
            raise _Interrupted

    # Two pages: the second skips 12 orders, and the run stops as it is written.
    with serve(new_york_server(200)) as sandbox:
        async with omsclient.AsyncClient(
            legacy_url=sandbox.url, username="fred", password=PASSWORD
        ) as oms:
            with pytest.raises(_Interrupted):
                await omsclient.export.export_orders(
                    oms, out, windows=1, progress=stop_at_the_second_batch
                )
            assert (
                "another time zone than the client's legacy_timezone (UTC when unset)"
                in caplog.text
            )
            caplog.clear()
            summary = await omsclient.export.export_orders(oms, out, windows=1, resume=True)
    # The resumed run found nothing after the second page, and warned of nothing.
    assert [report.exported for report in reports] == [100, 188]
    assert (summary.resumed, summary.this_run, summary.exported) == (True, 0, 188)
    assert "another time zone" not in caplog.text
    assert summary.missed_because == ("the server's time zone",)
    assert dict(_export.summary_rows(summary))["Difference"] == (
        "-12 (see the scan's warning in this run or the one it resumed: the server's time zone)"
    )


def test_a_difference_names_every_cause_the_scan_warned_of(tmp_path: Path) -> None:
    misses = ("orders of a second not sent", "the server's time zone")
    summary = ExportSummary(
        tmp_path / "o.jsonl", "orders", "jsonl", 397, 400, 397, False, 1, 9, 4, misses
    )
    difference = dict(_export.summary_rows(summary))["Difference"]
    assert difference == (
        "-3 (see the warnings above: orders of a second not sent; the server's time zone)"
    )
    # Without a difference, a warning is no note's business.
    exact = ExportSummary(tmp_path / "o.jsonl", "orders", "jsonl", 4, 4, 4, False, 1, 1, 1, misses)
    assert dict(_export.summary_rows(exact))["Difference"] == "0"


def test_a_difference_from_orders_arriving_during_the_export_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The sandbox's churn adds orders at every search, the final count's too.
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    assert cli.main(sandbox_argv(tmp_path / "o.jsonl", "--sandbox-churn", "3")) == 0
    assert not [record for record in caplog.records if record.levelname == "WARNING"]
    difference = _summary_table(capsys.readouterr().out)["Difference"]
    assert difference == "-3 (orders arrived, left or changed during the export)"


def test_the_version_said_is_the_installed_package_s() -> None:
    # __version__ (what --version and the User-Agent say) is written apart from pyproject.toml's
    # version, and would drift from it at the next release without this.
    import importlib.metadata

    assert omsclient.__version__ == importlib.metadata.version("omsclient")
