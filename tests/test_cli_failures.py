"""The command's failures that a setting explains: each message names the setting to check."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
import pytest
import respx

import omsclient
from omsclient import cli
from omsclient.export import check_output
from omsclient.sandbox import SandboxConfig, serve

from .conftest import FAST_RETRY, LEGACY, PASSWORD, RESPX_TRANSPORT, form_of, legacy_error, ok

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "http://127.0.0.1:1"
"""A port nothing listens on: the connection is refused at once."""


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMS_LEGACY_URL", LEGACY)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)
    # The retries of a refused connection, without their seconds of backoff.
    fast = functools.partial(omsclient.AsyncClient, retry=FAST_RETRY)
    monkeypatch.setattr(omsclient, "AsyncClient", fast)


@pytest.fixture
def server() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as mock:
        mock.route(url__startswith=UNREACHABLE).pass_through()
        yield mock.route(url__startswith=LEGACY)


def target(command: str, tmp_path: Path) -> list[str]:
    if command == "export":
        return ["export", "orders", "--out", str(tmp_path / "o.jsonl")]
    return ["sync", "orders", "--db", f"sqlite:///{tmp_path / 'o.db'}"]


def test_a_sync_meeting_an_html_page_midway_is_told_to_run_again(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A maintenance page answers every request the same, but not the next run: it continues
    # where this one stopped.
    rows = [
        {"order_id": f"INV{n:04}", "date_ordered": f"2025-03-26T14:{n // 60:02}:{n % 60:02}"}
        for n in range(1000)
    ]
    answered: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        answered.append(1)
        if len(answered) > 3:
            return httpx.Response(200, content=b"<html>Under maintenance</html>")
        form = dict(httpx.QueryParams(request.content.decode()))
        offset, limit = int(form.get("offset", "0")), int(form.get("limit", "100"))
        return httpx.Response(200, json=ok(orders=rows[offset : offset + limit], total=1000))

    server.mock(side_effect=answer)
    argv = [*target("sync", tmp_path), "--quiet", "--concurrency", "1", *RESPX_TRANSPORT]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "an HTML page" in err
    assert "Run the same command again once the server answers with JSON" in err
    with contextlib.closing(sqlite3.connect(tmp_path / "o.db")) as db, db:
        assert db.execute("SELECT count(*) FROM orders").fetchone()[0] > 0


def test_a_sync_meeting_a_login_page_first_is_told_what_running_again_needs(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Bad credentials answered with a login page, or a maintenance page: the next run meets
    # the same page, or continues an interrupted run once the site is back.
    server.mock(return_value=httpx.Response(200, content=b"<html>Log in</html>"))
    assert cli.main([*target("sync", tmp_path), "--quiet", *RESPX_TRANSPORT]) == 1
    err = capsys.readouterr().err
    assert "an HTML page" in err
    assert "again to continue" not in err
    assert "once the server answers with JSON" in err


def test_a_sync_refusing_a_json_answer_is_told_to_run_again_not_to_wait_for_json(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = [{"order_id": f"INV{n}", "date_ordered": "2025-03-26T14:35:00"} for n in range(150)]
    server.mock(return_value=httpx.Response(200, json=ok(orders=rows, total=150)))
    assert cli.main([*target("sync", tmp_path), "--quiet", *RESPX_TRANSPORT]) == 1
    err = capsys.readouterr().err
    # The first search (the watermark's) asks for one order.
    assert "150 rows where at most 1 was asked for" in err
    assert "with JSON" not in err
    # The server ignores the limit: it would again.
    assert "again once the server sends it otherwise: as it is, the sync stops there" in err


def _products_with_a_bad_id_on_page_two(request: httpx.Request) -> httpx.Response:
    # Product 150.5, met after the first page: the rows before it are kept for a resume.
    if "manage_products" not in request.url.path:
        return httpx.Response(200, json=ok(orders=[], total=0))
    limit = int(form_of(request)["limit"])
    rows: list[dict[str, object]] = [
        {"product_id": n, "product_code": f"P{n}"} for n in range(1, 150)
    ]
    rows.insert(149, {"product_id": 150.5, "product_code": "BAD"})
    after = max(
        (int(v) for k, v in form_of(request).items() if k == "string" or k.endswith("[string]")),
        default=0,
    )
    ahead = [r for r in rows if not isinstance(r["product_id"], int) or r["product_id"] > after]
    return httpx.Response(200, json=ok(products=ahead[:limit], total=len(ahead)))


@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_product_the_scan_cannot_place_is_not_said_to_pass_on_a_resume(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    # It was marked transient: "Run the same command with --resume to continue", and every
    # resume stopped at the same product, which the message did not locate.
    server.mock(side_effect=_products_with_a_bad_id_on_page_two)
    argv = (
        ["export", "products", "--out", str(tmp_path / "p.jsonl")]
        if command == "export"
        else ["sync", "products", "--db", f"sqlite:///{tmp_path / 'p.db'}"]
    )
    for _ in range(2):
        assert cli.main([*argv, "--quiet", *RESPX_TRANSPORT]) == 1
        err = capsys.readouterr().err
        assert "the product after id 149 has no usable product_id (found 150.5)" in err
        assert "once the server sends it otherwise: as it is, the" in err
        assert "Run the same command with --resume to continue.\n" not in err
        assert "Run the same command again to continue." not in err
        argv += ["--resume"] if command == "export" and "--resume" not in argv else []


def test_a_product_the_scan_cannot_place_on_the_first_page_says_a_run_stops_there_again(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # With no checkpoint the export said nothing more, and the docs' "run it again" met the
    # same product.
    bad = [{"product_id": 150.5, "product_code": "BAD"}]
    server.mock(return_value=httpx.Response(200, json=ok(products=bad, total=1)))
    argv = ["export", "products", "--out", str(tmp_path / "p.jsonl"), "--quiet"]
    assert cli.main([*argv, *RESPX_TRANSPORT]) == 1
    err = capsys.readouterr().err
    assert "the first product has no usable product_id (found 150.5)" in err
    assert err.endswith(
        "Run the same command again once the server sends it otherwise: as it is, the export "
        "stops there again.\n"
    )


def test_an_answer_over_the_size_cap_names_the_option_that_raises_it(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The command had no way to read a page over 32 MiB, and said to run again as it was.
    rows = [{"order_id": f"INV{n}", "date_ordered": "2025-03-26T14:35:00"} for n in range(50)]
    big = {"order_id": "INV99", "date_ordered": "2025-03-26T14:35:00", "notes": "x" * 2**20}

    def answer(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        offset, limit = int(form.get("offset", "0")), int(form.get("limit", "100"))
        return httpx.Response(200, json=ok(orders=[*rows, big][offset : offset + limit], total=51))

    server.mock(side_effect=answer)
    argv = [*target("sync", tmp_path), "--quiet", *RESPX_TRANSPORT]
    assert cli.main([*argv, "--max-response-mib", "1"]) == 1
    err = capsys.readouterr().err
    assert "-byte cap" in err
    assert "run it again with a larger --max-response-mib" in err
    assert "Run the same command again to continue." not in err
    assert cli.main([*argv, "--max-response-mib", "2"]) == 0


def test_a_sync_of_an_order_no_key_can_hold_is_not_told_to_run_again(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The next run fails the same way until the server sends that order with another id.
    row = {"order_id": "INV-" + "x" * 3000, "date_ordered": "2025-03-26T14:35:00"}
    server.mock(return_value=httpx.Response(200, json=ok(orders=[row], total=1)))
    assert cli.main([*target("sync", tmp_path), "--quiet", *RESPX_TRANSPORT]) == 1
    err = capsys.readouterr().err
    assert "longer than the 2,048 bytes a key may be" in err
    assert "again" not in err


@pytest.mark.parametrize("command", ["export", "sync"])
@pytest.mark.parametrize(
    ("answer", "url", "names"),
    [
        # The server refused them: retrying is no use until they are corrected.
        (
            httpx.Response(200, json=legacy_error(30001, "Authentication failed")),
            LEGACY,
            ["check OMS_USERNAME and OMS_PASSWORD", LEGACY],
        ),
        (
            httpx.Response(200, json=legacy_error(31000, "API not enabled on your site")),
            LEGACY,
            ["not enabled", "administrator", LEGACY],
        ),
        (httpx.Response(403, text="Forbidden"), LEGACY, ["OMS_USERNAME", "administrator"]),
        # A URL with a path the site does not have (a folder it is not served under).
        (
            httpx.Response(404, text="Not Found"),
            LEGACY + "/oms",
            ["check that OMS_LEGACY_URL is the site's address", LEGACY],
        ),
        # Nothing listens there: which host it was, and where that came from.
        (None, UNREACHABLE, ["Could not connect to http://127.0.0.1:1", "check OMS_LEGACY_URL"]),
        # The filters refused: the sync said to run the same command again.
        (
            httpx.Response(200, json=legacy_error(50005, "'abc' is not an invoice number")),
            LEGACY,
            ["'abc' is not an invoice number"],
        ),
    ],
)
def test_a_failure_a_setting_explains_names_the_setting(
    command: str,
    answer: httpx.Response | None,
    url: str,
    names: list[str],
    server: respx.Route,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("OMS_LEGACY_URL", url)
    server.mock(return_value=answer)
    argv = [*target(command, tmp_path), "--quiet", *RESPX_TRANSPORT]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    for name in names:
        assert name in err
    assert PASSWORD not in err
    # Run again as it is, it would fail the same way: what to fix comes first.
    assert "again to continue" not in err
    assert "--resume" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_url_ending_in_the_apis_own_path_reaches_the_api(
    command: str,
    server: respx.Route,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Copied from the docs' endpoints: the client adds /api/json itself.
    monkeypatch.setenv("OMS_LEGACY_URL", LEGACY + "/api/json")
    server.mock(return_value=httpx.Response(200, json=ok(orders=[], total=0)))
    assert cli.main([*target(command, tmp_path), "--quiet", *RESPX_TRANSPORT]) == 0
    assert {call.request.url.path for call in server.calls} == {"/api/json/manage_orders/find"}
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("http_status", [200, 404])
@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_not_found_the_api_answered_does_not_blame_the_url(
    command: str,
    http_status: int,
    server: respx.Route,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # An ERROR 40004 is the API's own answer, in a 404 too: the URL reached it, and a user
    # told to check it would change a setting that is right.
    answer = legacy_error(40004, "Order not found")
    server.mock(return_value=httpx.Response(http_status, json=answer))
    assert cli.main([*target(command, tmp_path), "--quiet", *RESPX_TRANSPORT]) == 1
    err = capsys.readouterr().err
    assert "Order not found" in err
    assert "OMS_LEGACY_URL" not in err


def test_a_connection_a_proxy_failed_names_the_proxy_not_only_the_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The environment's proxy was down: the advice sent the user to check a correct URL.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy-user:Pr0xy-S3cret@127.0.0.1:1")
    monkeypatch.setenv("OMS_LEGACY_URL", "http://shop.invalid")
    argv = [*target("export", tmp_path), "--quiet", "--transport", "httpx"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "through the proxy HTTP_PROXY names (http://127.0.0.1:1)" in err
    assert "Pr0xy-S3cret" not in err
    assert "proxy-user" not in err


@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_failure_of_the_moment_only_says_to_run_again(
    command: str,
    server: respx.Route,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    server.mock(return_value=httpx.Response(503, text="busy"))
    argv = [*target(command, tmp_path), "--quiet", *RESPX_TRANSPORT]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    # Retried: said, as a user reading "failed with HTTP 503" alone thought it was not.
    assert re.search(r"HTTP 503\b.*\(after [2-9] attempts\)", err)
    assert "OMS_LEGACY_URL" not in err
    assert "OMS_PASSWORD" not in err


def _export_through(change: Callable[[int, httpx.Response], httpx.Response], tmp_path: Path) -> int:
    """``omsclient export orders`` from a sandbox whose n-th answer ``change`` may replace."""
    config = SandboxConfig(orders=300, products=5, username="fred", password=PASSWORD)
    with serve(config) as sandbox, respx.mock(assert_all_called=False) as mock:
        answered = 0

        def forward(request: httpx.Request) -> httpx.Response:
            nonlocal answered
            answered += 1
            headers = {"content-type": request.headers["content-type"]}
            page = httpx.post(
                sandbox.url + request.url.path, content=request.content, headers=headers
            )
            answer = httpx.Response(page.status_code, content=page.content, headers=page.headers)
            return change(answered, answer)

        mock.route(url__startswith=sandbox.url).pass_through()
        mock.route(url__startswith=LEGACY).mock(side_effect=forward)
        argv = ["export", "orders", "--out", str(tmp_path / "o.jsonl"), "--quiet"]
        return cli.main([*argv, "--concurrency", "1", *RESPX_TRANSPORT])


def test_a_server_failing_after_rows_were_written_says_to_resume(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def busy_from_the_third(answered: int, answer: httpx.Response) -> httpx.Response:
        return httpx.Response(503, text="busy") if answered > 2 else answer

    assert _export_through(busy_from_the_third, tmp_path) == 1
    err = capsys.readouterr().err
    assert "HTTP 503" in err
    assert "Run the same command with --resume to continue." in err


def test_an_order_the_scan_cannot_place_says_a_resume_stops_there_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # "Run the same command with --resume to continue": every resume met the same order and
    # failed alike. The checkpoint stays for the day the server sends it otherwise.
    def undated_from_the_third(answered: int, answer: httpx.Response) -> httpx.Response:
        body = orjson.loads(answer.content)
        if answered > 2 and body.get("orders"):
            body["orders"][-1]["date_ordered"] = None
        return httpx.Response(answer.status_code, content=orjson.dumps(body))

    assert _export_through(undated_from_the_third, tmp_path) == 1
    err = capsys.readouterr().err
    assert "matched a Date Ordered condition but has no date_ordered" in err
    assert err.endswith(
        "Run the same command with --resume to continue once the server sends it otherwise: "
        "as it is, the export stops there again.\n"
    )
    assert (tmp_path / "o.jsonl.checkpoint").exists()


def _disk_full_after(size: int) -> None:
    # Writes past ``size`` bytes fail (EFBIG, as ENOSPC would); Python ignores SIGXFSZ.
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_a_full_disk_says_to_resume_in_the_commands_words(tmp_path: Path) -> None:
    out = tmp_path / "orders.jsonl"
    argv = [sys.executable, "-m", "omsclient", "export", "orders", "--out", str(out), "--quiet"]
    argv += ["--sandbox", "--sandbox-orders", "300", "--sandbox-latency", "0", "--concurrency", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=300, env=env)
    full = run(argv, preexec_fn=functools.partial(_disk_full_after, 1_500_000))
    assert full.returncode == 1, full.stderr
    assert "File too large" in full.stderr
    # resume=True is the Python API's word; the user of the command types --resume.
    assert "resume=True" not in full.stderr
    assert "Run the same command with --resume to continue." in full.stderr
    resumed = run([*argv, "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    ids = [orjson.loads(line)["order_id"] for line in out.read_bytes().splitlines()]
    assert sorted(ids) == [f"INV{10001 + i}" for i in range(300)]


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_a_database_whose_disk_fills_exits_1_and_the_same_command_completes_it(
    tmp_path: Path,
) -> None:
    # Exit 2 says the arguments were wrong and nothing was written: here rows were stored.
    db = f"sqlite:///{tmp_path / 'orders.db'}"
    argv = [sys.executable, "-m", "omsclient", "sync", "orders", "--db", db, "--quiet"]
    argv += ["--sandbox", "--sandbox-orders", "300", "--sandbox-latency", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=300, env=env)
    full = run(argv, preexec_fn=functools.partial(_disk_full_after, 100_000))
    assert full.returncode == 1, full.stderr
    assert "Run the same command again to continue." in full.stderr
    assert run(argv).returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_a_disk_full_before_any_row_was_kept_does_not_speak_of_kept_rows(
    tmp_path: Path,
) -> None:
    # It said "the rows written before are kept, and a resume continues from them": there
    # were none, and no checkpoint to resume from.
    out = tmp_path / "orders.jsonl"
    argv = [sys.executable, "-m", "omsclient", "export", "orders", "--out", str(out), "--quiet"]
    argv += ["--sandbox", "--sandbox-orders", "300", "--sandbox-latency", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    full = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        preexec_fn=functools.partial(_disk_full_after, 10),
    )
    assert full.returncode == 1, full.stderr
    assert "no row was kept; run it again once it can be written" in full.stderr
    assert "kept, and a resume" not in full.stderr
    assert "--resume" not in full.stderr
    # Nor is the part written left to hold the room a full disk needs.
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("checkpointed", [False, True])
def test_an_export_running_on_the_same_out_says_to_wait_for_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: respx.Route, checkpointed: bool
) -> None:
    from omsclient.export._checkpoint import ExportPaths

    out = tmp_path / "o.jsonl"
    if checkpointed:  # the running export's, not this one's to resume
        out.with_name("o.jsonl.checkpoint").write_text("{}")
    with ExportPaths.for_output(out, staged=False).lock():
        assert cli.main(["export", "orders", "--out", str(out), *RESPX_TRANSPORT]) == 1
    err = capsys.readouterr().err
    assert f"another export is writing {out}" in err
    assert "run it once that one has finished" in err
    assert "--resume" not in err
    assert not server.called


def test_a_sqlite_url_of_three_slashes_and_an_absolute_path_says_four_slashes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: respx.Route
) -> None:
    # sqlite:///tmp/x.db is tmp/x.db in the current folder, which a user seldom means.
    url = f"sqlite://{tmp_path}/o.db"
    assert cli.main(["sync", "orders", "--db", url, *RESPX_TRANSPORT]) == 2
    err = capsys.readouterr().err
    assert f"sqlite:///{tmp_path}/o.db" in err
    assert "four slashes" in err
    assert not server.called


def test_a_sandbox_port_in_use_says_how_to_pick_another(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["sandbox", "--port", str(port), "--orders", "1"]) == 1
    err = capsys.readouterr().err
    # Begun as every other command's errors are (it was "error: cannot listen ...").
    assert err.startswith(f"omsclient: error: cannot listen on 127.0.0.1:{port}")
    assert "--port 0" in err


def test_a_sandbox_host_not_of_this_machine_says_what_host_takes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Quoted as given, an escape sequence in it reached the terminal.
    host = "nosuchhost\x1b[31m.invalid"
    assert cli.main(["sandbox", "--host", host, "--port", "0", "--orders", "1"]) == 1
    err = capsys.readouterr().err
    assert "cannot listen on nosuchhost\\x1b[31m.invalid:0" in err
    assert "--host takes an address of this machine" in err
    assert "--port" not in err


@pytest.mark.parametrize("command", ["export", "sync"])
def test_output_to_a_log_has_no_terminal_codes(command: str, tmp_path: Path) -> None:
    # A CI log: neither stream is a terminal. The bar is drawn once, at the end, as plain text.
    argv = [sys.executable, "-m", "omsclient", *target(command, tmp_path)]
    argv += ["--sandbox", "--sandbox-orders", "200", "--sandbox-latency", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TERM": "xterm-256color"}
    for forcing in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):  # what asks for codes
        env.pop(forcing, None)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout + done.stderr
    assert "\r" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert "200/200" in done.stderr


@pytest.mark.parametrize("earlier", [False, True])
def test_ctrl_c_after_the_export_is_complete_says_it_is(
    earlier: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ctrl-C while the client closes or the sandbox stops: the output is in place, its
    # checkpoint gone. It was reported as "interrupted before anything was written".
    from omsclient._commands import _export

    out = tmp_path / "orders.jsonl"
    if earlier:
        out.write_text("an earlier export\n")
    real = _export.export_orders

    async def then_interrupted(*args: object, **kwargs: object) -> object:
        await real(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(_export, "export_orders", then_interrupted)
    argv = ["export", "orders", "--out", str(out), "--sandbox", "--sandbox-orders", "50"]
    argv += ["--sandbox-latency", "0", *(["--overwrite"] if earlier else [])]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert "before anything was written" not in err
    assert f"the export was complete: {out}" in err
    assert len(out.read_bytes().splitlines()) == 50


def test_ctrl_c_after_the_sync_is_complete_says_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C while the sandbox stopped: the sync was done, but its line said "interrupted; the
    # 50 orders stored so far are kept: run the same command to continue", exit 130.
    from omsclient._commands import _sandbox

    real = _sandbox.sandbox

    @contextlib.contextmanager
    def interrupted_as_it_stops(args: object) -> Iterator[object]:
        with real(args) as info:  # type: ignore[arg-type]
            yield info
        raise KeyboardInterrupt

    monkeypatch.setattr(_sandbox, "sandbox", interrupted_as_it_stops)
    db = tmp_path / "o.db"
    argv = ["sync", "orders", "--db", f"sqlite:///{db}", "--sandbox", "--sandbox-orders", "50"]
    assert cli.main([*argv, "--sandbox-latency", "0"]) == 0
    err = capsys.readouterr().err
    assert f"interrupted after the sync was complete: sqlite:///{db} (table orders) holds" in err
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (50,)


@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_server_that_never_answers_is_a_timeout_not_a_write_failure(
    command: str, server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # RequestTimeoutError is a TimeoutError, so an OSError: the export took it for its output
    # failing ("cannot write the export ...: read timeout").
    server.mock(side_effect=httpx.ReadTimeout("timed out"))
    argv = [*target(command, tmp_path), "--quiet", *RESPX_TRANSPORT]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "read timeout" in err
    assert "cannot write" not in err


@pytest.mark.usefixtures("server")
@pytest.mark.parametrize("command", ["export", "sync"])
def test_transport_aiohttp_without_its_extra_is_refused_in_the_commands_words(
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from omsclient._commands import _sandbox

    def refuse(args: object) -> object:
        raise AssertionError("the sandbox started before the arguments were checked")

    monkeypatch.setattr(_sandbox, "sandbox", refuse)
    monkeypatch.setitem(sys.modules, "httpx_aiohttp", None)
    argv = [*target(command, tmp_path), "--sandbox", "--transport", "aiohttp"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "argument --transport: aiohttp needs httpx-aiohttp" in err
    assert "omsclient[aiohttp]" in err
    assert 'transport="aiohttp"' not in err


def test_a_sync_refused_for_another_running_says_only_to_wait_for_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A run of the same sync in another process, holding its lock: its server never answers,
    # so it holds the lock until it is killed. "Run the same command again to continue" followed
    # the refusal, though this run had nothing to continue.
    from .hostile import hostile_server

    async def never(request: object, stream: object) -> None:
        await anyio.sleep_forever()

    with hostile_server() as hostile:
        hostile.handler = never
        monkeypatch.setenv("OMS_LEGACY_URL", hostile.url)
        argv = [*target("sync", tmp_path), "--quiet", "--transport", "httpx"]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        first = subprocess.Popen([sys.executable, "-m", "omsclient", *argv], env=env)
        try:
            while not hostile.requests:  # it holds the lock before its first request
                assert first.poll() is None, "the first sync ended"
                threading.Event().wait(0.05)
            assert cli.main(argv) == 1
        finally:
            first.kill()
            first.wait()
    err = capsys.readouterr().err
    assert "another sync of these orders is running" in err
    assert "run it once that one has finished" in err
    assert "again" not in err


@pytest.mark.usefixtures("a_batch_a_page")
@pytest.mark.parametrize("stored", [False, True])
def test_an_interrupted_sync_says_what_it_stored(
    stored: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # "every batch stored so far is kept" was said also when none had been.
    from omsclient._commands import _sync

    real = _sync.sync_orders

    async def interrupted(oms: object, db: str, *args: object, **kwargs: Any) -> object:
        if not stored:
            raise KeyboardInterrupt
        shown = kwargs.pop("progress")

        def then_interrupt(done: object) -> None:
            shown(done)
            raise KeyboardInterrupt

        return await real(oms, db, *args, progress=then_interrupt, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_sync, "sync_orders", interrupted)
    argv = [*target("sync", tmp_path), "--sandbox", "--sandbox-orders", "300"]
    argv += ["--sandbox-latency", "0"]
    assert cli.main(argv) == 130
    err = capsys.readouterr().err
    assert "run the same command" in err
    if stored:
        assert "the 100 orders stored so far are kept" in err
    else:
        assert "kept" not in err
        assert "stored" not in err


@pytest.mark.parametrize("command", ["export", "sync"])
@pytest.mark.parametrize(
    "option", [["--sandbox-orders", "50"], ["--sandbox-latency", "0"], ["--sandbox-churn", "3"]]
)
def test_a_sandbox_option_without_sandbox_is_refused_before_sending(
    command: str,
    option: list[str],
    server: respx.Route,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Ignored, the command read from the server the OMS_* variables name, with no warning.
    assert cli.main([*target(command, tmp_path), *option, "--quiet"]) == 2
    assert f"{option[0]} needs --sandbox" in capsys.readouterr().err
    assert not server.called


@pytest.mark.parametrize("command", ["export", "sync"])
@pytest.mark.parametrize(
    ("options", "refused"),
    [
        # The second replaced the first without a word; --where adds conditions.
        (["--status", "1", "--status", "2"], "argument --status: given twice"),
        (["--invoice", "INV1", "--invoice", "INV2"], "argument --invoice: given twice"),
        (["--since", "2024-01-01", "--since", "2024-12-01"], "argument --since: given twice"),
        (["--until", "2024-01-01", "--until", "2024-12-01"], "argument --until: given twice"),
        (["--date-field", "due", "--date-field", "shipped"], "argument --date-field: given twice"),
        (
            ["--field-numbering", "api", "--field-numbering", "blueprint"],
            "argument --field-numbering: given twice",
        ),
        # The message named OrderField.INVOICE_NUMBER, no option.
        (["--invoice", " "], "argument --invoice: an invoice number, not a blank"),
        (["--invoice", "INV\udcff"], "error: --invoice holds a lone surrogate (U+DCFF) at 3"),
        # 0 is the default: the message said ">= 1".
        (["--sandbox", "--sandbox-churn", "-1"], "'-1' is not a whole number >= 0"),
    ],
)
def test_an_option_that_would_be_lost_or_misnamed_is_refused_by_its_name(
    command: str,
    options: list[str],
    refused: str,
    server: respx.Route,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert cli.main([*target(command, tmp_path), *options, "--quiet"]) == 2
    assert refused in capsys.readouterr().err
    assert not server.called


@pytest.mark.parametrize(
    ("command", "options"),
    [
        # The export wrote the second file, the sync the second database, nothing said.
        ("export", ["--out", "first.jsonl"]),
        ("export", ["--format", "csv", "--format", "jsonl"]),
        ("sync", ["--db", "sqlite:///first.db"]),
    ],
)
def test_an_output_given_twice_is_refused(
    command: str,
    options: list[str],
    server: respx.Route,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # the first output, a relative path, is never made here
    assert cli.main([*target(command, tmp_path), *options, "--quiet"]) == 2
    assert f"argument {options[0]}: given twice" in capsys.readouterr().err
    assert not server.called
    assert list(tmp_path.iterdir()) == []


def test_include_given_twice_adds_the_parts() -> None:
    args = cli.build_parser().parse_args(
        [
            "export",
            "orders",
            "--out",
            "o.jsonl",
            "--include",
            "shipments",
            "--include",
            "po,workflow",
        ]
    )
    assert args.include == ["shipments", "po", "workflow"]


@pytest.mark.parametrize("where", ["name", "folder"])
@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_name_longer_than_the_file_system_takes_is_refused_in_one_line(
    command: str,
    where: str,
    server: respx.Route,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # pathlib raised "File name too long" from its checks: a traceback, exit 1.
    long = "q" * 260
    path = tmp_path / (f"{long}.db" if where == "name" else f"{long}/o.db")
    argv = (
        ["export", "orders", "--out", str(path.with_suffix(".jsonl"))]
        if command == "export"
        else ["sync", "orders", "--db", f"sqlite:///{path}"]
    )
    assert cli.main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "File name too long" in err
    assert "Traceback" not in err
    assert not server.called


@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_proxy_the_transport_cannot_use_is_refused_in_the_commands_words(
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # It said 'transport="aiohttp" ... use transport="httpx"', arguments of the Python
    # client, to a user who typed --transport aiohttp, or left it to its default.
    for name, value in [
        ("OMS_LEGACY_URL", "http://shop.example.test"),
        ("OMS_USERNAME", "u"),
        ("OMS_PASSWORD", "p"),
        ("ALL_PROXY", "socks5://127.0.0.1:1"),
    ]:
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert cli.main([*target(command, tmp_path), "--quiet", "--transport", "aiohttp"]) == 2
    err = capsys.readouterr().err
    assert "which --transport aiohttp cannot send through: use --transport httpx" in err
    assert 'transport="' not in err


def test_an_export_stopped_midway_is_not_started_anew_without_a_word(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: respx.Route
) -> None:
    # The same command run again without --resume exported everything from the start, the
    # hour of rows before gone, and said nothing; a finished output was protected.
    server.mock(return_value=httpx.Response(200, json=ok(orders=[], total=0)))
    out = tmp_path / "o.jsonl"
    checkpoint = out.with_name("o.jsonl.checkpoint")
    checkpoint.write_text("{}")
    assert cli.main(["export", "orders", "--out", str(out), *RESPX_TRANSPORT]) == 2
    err = capsys.readouterr().err
    assert f"an earlier export to {out} stopped before it ended" in err
    assert "add --resume to continue it, or add --overwrite to start again" in err
    assert not server.called
    assert checkpoint.exists()
    with pytest.raises(omsclient.ValidationError, match="pass resume=True to continue it"):
        check_output(out, overwrite=False)
    argv = ["export", "orders", "--out", str(out), "--overwrite", "--quiet", *RESPX_TRANSPORT]
    assert cli.main(argv) == 0
    assert out.read_bytes() == b""
    assert not checkpoint.exists()
