"""What the command shows while it runs: progress lines in a log, and what it waits for."""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from pathlib import Path

import anyio
import anyio.abc
import pytest

import omsclient
from omsclient import cli
from omsclient._commands import _running, _waiting
from omsclient.dbsync import SyncProgress
from omsclient.export import ExportProgress

from .conftest import PASSWORD
from .hostile import Request, hostile_server, write_response


def test_a_log_gets_a_plain_progress_line_every_so_often(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # stderr is not a terminal here, as in a CI log: the bar is drawn only when it stops, so a
    # long export showed nothing until its end.
    every = _running.LOG_EVERY
    display = _running.Display("orders", quiet=False)
    with display.progress:
        display.update(ExportProgress(100, 1000, 100, 1.0))  # too soon for a line
        display.update(ExportProgress(300, 1000, 300, every))
        display.update(ExportProgress(400, 1000, 400, every + 1))  # too soon after it
        display.update(ExportProgress(900, 1000, 900, 2 * every + 5))
        display.update(ExportProgress(999, 1000, 999, 3 * every + 5))
        lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("omsclient: exporting orders: 300/1,000 (30%)")
    assert lines[1].startswith("omsclient: exporting orders: 900/1,000 (90%)")
    # One order short is not done: 100% is for the end alone.
    assert lines[2].startswith("omsclient: exporting orders: 999/1,000 (99%)")
    assert f"{900 / (2 * every + 5):,.0f} orders/s" in lines[1]
    for line in lines:
        assert line.isprintable()  # no terminal codes


def test_a_sync_in_a_log_gets_them_too(capsys: pytest.CaptureFixture[str]) -> None:
    display = _running.Display("products", quiet=False, verb="syncing")
    with display.progress:
        display.update_sync(SyncProgress(50, 200, 50, 0, 0, _running.LOG_EVERY))
        lines = capsys.readouterr().err.splitlines()
    assert lines == [lines[0]]
    assert lines[0].startswith("omsclient: syncing products: 50/200 (25%)")


@pytest.mark.parametrize("ended", ["finished", "interrupted"])
def test_a_log_gets_where_the_run_ended_whole_whatever_columns_says(
    ended: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # rich drew the bar once as it stopped, cut to the width COLUMNS set: "exporting o… 5000…".
    monkeypatch.setenv("COLUMNS", "30")
    display = _running.Display("orders", quiet=False)
    with contextlib.suppress(KeyboardInterrupt), display.showing():
        display.update(ExportProgress(4000, 5000, 4000, 2.0))
        if ended == "interrupted":
            raise KeyboardInterrupt
        display.update(ExportProgress(5000, 5000, 5000, 2.5))
        display.finished()
    lines = capsys.readouterr().err.splitlines()
    if ended == "interrupted":
        assert lines == [
            "omsclient: exporting orders: 4,000/5,000 (80%), 2,000 orders/s, 0:02 elapsed"
        ]
    else:
        assert lines == ["omsclient: exporting orders: 5,000/5,000 (100%), 2,000 orders/s"]


def test_the_last_line_is_not_said_twice_and_a_conversion_says_where_it_got_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    every = _running.LOG_EVERY
    display = _running.Display("orders", quiet=False)
    with contextlib.suppress(KeyboardInterrupt), display.showing():
        display.update(ExportProgress(4000, 50000, 4000, every + 1))
        raise KeyboardInterrupt  # before another batch: the same line again said nothing new
    assert capsys.readouterr().err.splitlines() == [
        "omsclient: exporting orders: 4,000/50,000 (8%), 129 orders/s, 0:31 elapsed"
    ]
    # Interrupted while converting to Parquet: its end line was the reading's, at 100%.
    display = _running.Display("orders", quiet=False)
    with contextlib.suppress(KeyboardInterrupt), display.showing():
        display.update(ExportProgress(1000, 1000, 1000, 5.0))
        display.update(ExportProgress(1000, 1000, 1000, 9.0, True, 0.437))
        raise KeyboardInterrupt
    assert capsys.readouterr().err.splitlines() == [
        "omsclient: converting orders to Parquet: 1,000 orders (43%), 0:09 elapsed"
    ]


def test_a_run_ended_long_after_its_last_batch_says_its_whole_time(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server that stopped answering, then Ctrl-C a minute on: the last line was the last
    # batch's, "2,000 orders/s, 0:02 elapsed", as if the run had gone on reading.
    clock = [1000.0]
    monkeypatch.setattr(_running.time, "monotonic", lambda: clock[0])
    display = _running.Display("orders", quiet=False)
    with contextlib.suppress(KeyboardInterrupt), display.showing():
        display.update(ExportProgress(4000, 5000, 4000, 2.0))
        clock[0] += 58.0
        raise KeyboardInterrupt
    assert capsys.readouterr().err.splitlines() == [
        "omsclient: exporting orders: 4,000/5,000 (80%), 67 orders/s, 1:00 elapsed"
    ]


def test_a_run_failing_before_its_first_batch_leaves_no_progress_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A sync whose database could not be opened drew an empty bar in the log before its error.
    display = _running.Display("orders", quiet=False, verb="syncing")
    with pytest.raises(OSError, match="cannot connect"), display.showing():
        raise OSError("cannot connect")
    assert capsys.readouterr().err == ""


def test_rows_past_the_count_taken_at_the_start_show_no_share(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A later sync of a shop whose orders kept changing read past its count: every line for
    # four minutes said 100% (the total raised to the rows read), and the bar ETA 0:00:00.
    every = _running.LOG_EVERY
    display = _running.Display("orders", quiet=False, verb="syncing")
    with display.progress:
        display.update_sync(SyncProgress(3424, 3423, 3424, 0, 0, every))
        display.update_sync(SyncProgress(5000, 3423, 5000, 0, 0, 2 * every))
        assert display.progress.tasks[0].total is None  # the bar runs without an end
        display.finished()
        assert display.progress.tasks[0].total == 5000
        lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("omsclient: syncing orders: 3,424 (past the 3,423 counted at the")
    assert lines[1].startswith("omsclient: syncing orders: 5,000 (past the 3,423 counted at the")
    assert not any("%" in line for line in lines)


@pytest.mark.parametrize("terminal", [False, True])
def test_no_progress_lines_when_quiet_or_on_a_terminal(
    terminal: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if terminal:
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    display = _running.Display("orders", quiet=not terminal)
    for elapsed in range(1, 10):
        display.update(ExportProgress(elapsed, 10, elapsed, elapsed * _running.LOG_EVERY))
    assert "orders/s" not in capsys.readouterr().err


def test_force_color_in_a_log_keeps_the_plain_lines_and_no_redraws(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # FORCE_COLOR asks for colours; rich took it for a terminal and redrew the bar in the log
    # many times a second (7 MB an hour), in place of the lines saying where the job stood.
    monkeypatch.setenv("FORCE_COLOR", "1")
    display = _running.Display("orders", quiet=False)
    with display.progress:
        for elapsed in range(1, 4):
            display.update(ExportProgress(elapsed, 10, elapsed, elapsed * _running.LOG_EVERY))
    err = capsys.readouterr().err
    assert err.count("omsclient: exporting orders: ") == 3
    assert "\r" not in err
    assert "\x1b[?25l" not in err  # rich hides the cursor of a terminal it animates in


@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_server_that_takes_the_connection_and_never_answers_is_named_while_waited_for(
    command: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # The bar sat at 0/? with no word for minutes: a read timeout of 60 s on each of 4 attempts.
    async def never(request: Request, stream: object) -> None:
        await anyio.sleep_forever()

    retry = omsclient.RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01)
    short = functools.partial(omsclient.AsyncClient, retry=retry, timeout=0.5)
    monkeypatch.setattr(omsclient, "AsyncClient", short)
    # Said at once, not after seconds of waiting: each new attempt then gets its line.
    monkeypatch.setattr(_waiting, "WAIT_NOTICE", 0.0)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)
    if command == "export":
        argv = ["export", "orders", "--out", str(tmp_path / "o.jsonl")]
    else:
        argv = ["sync", "orders", "--db", f"sqlite:///{tmp_path / 'o.db'}"]
    with hostile_server() as server:
        server.handler = never
        monkeypatch.setenv("OMS_LEGACY_URL", server.url)
        assert cli.main([*argv, "--transport", "httpx"]) == 1
    err = capsys.readouterr().err
    assert len(server.requests) == 3
    for attempt in (2, 3):
        assert f"omsclient: waiting for {server.url} to answer (attempt {attempt} of 3)" in err
    # The give-up says what to check.
    assert f"{server.url} took the connection but did not answer in time" in err
    assert "check that OMS_LEGACY_URL is the site's address" in err
    assert PASSWORD not in err


def test_a_pause_the_server_asked_for_is_not_called_waiting_for_an_answer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The server answers at once; what the command waits out is the Retry-After it sent.
    async def slow_down(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, b"{}", status=429, headers={"retry-after": "1"})

    retry = omsclient.RetryPolicy(max_retries=1)
    monkeypatch.setattr(
        omsclient, "AsyncClient", functools.partial(omsclient.AsyncClient, retry=retry)
    )
    monkeypatch.setattr(_waiting, "WAIT_NOTICE", 0.0)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)
    with hostile_server() as server:
        server.handler = slow_down
        monkeypatch.setenv("OMS_LEGACY_URL", server.url)
        argv = ["export", "orders", "--out", str(tmp_path / "o.jsonl"), "--transport", "httpx"]
        assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert len(server.requests) == 2
    assert f"omsclient: {server.url} asked to slow down: waiting 1 s before attempt 2 of 2" in err
    assert "to answer" not in err


def test_no_waiting_line_when_quiet(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async def never(request: Request, stream: object) -> None:
        await anyio.sleep_forever()

    retry = omsclient.RetryPolicy(max_retries=1, initial_delay=0.001, max_delay=0.01)
    short = functools.partial(omsclient.AsyncClient, retry=retry, timeout=0.5)
    monkeypatch.setattr(omsclient, "AsyncClient", short)
    monkeypatch.setattr(_waiting, "WAIT_NOTICE", 0.0)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)
    with hostile_server() as server:
        server.handler = never
        monkeypatch.setenv("OMS_LEGACY_URL", server.url)
        argv = ["export", "orders", "--out", str(tmp_path / "o.jsonl"), "--quiet"]
        assert cli.main([*argv, "--transport", "httpx"]) == 1
    err = capsys.readouterr().err
    assert len(server.requests) == 2
    assert "waiting" not in err
    assert "did not answer in time" in err


_WARN_WHILE_WATCHING = """
import asyncio, logging
import omsclient
from omsclient._commands import _running, _waiting

async def main():
    async with omsclient.AsyncClient(
        legacy_url="http://127.0.0.1:9", username="u", password="p"
    ) as oms:
        async with _waiting.waiting(oms, _running.Display("orders", quiet=QUIET), quiet=QUIET):
            logging.getLogger("omsclient.legacy").warning("a warning of the run")
            logging.getLogger("omsclient").info("a record below the warnings")

asyncio.run(main())
"""


@pytest.mark.parametrize("quiet", [False, True])
def test_the_clients_warnings_still_reach_stderr_while_the_command_watches_its_log(
    quiet: bool,
) -> None:
    # With no handler of its own, a process shows a warning through Python's last resort;
    # the command's handler for the retry records must not take that away. With --quiet the
    # command added none, and the warning came bare.
    import subprocess
    import sys

    script = f"QUIET = {quiet}\n{_WARN_WHILE_WATCHING}"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # Said as the command's other lines are: Python's last resort wrote it bare.
    assert "omsclient: warning: a warning of the run" in done.stderr.splitlines()
    assert "a record below the warnings" not in done.stderr


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_program_running_the_command_gets_no_records_below_its_level() -> None:
    # cli.main() in a program logging at WARNING: the command turns INFO on to watch the
    # retries, and the program's handlers got every retry record of the run.
    kept = _Kept()
    root, logger = logging.getLogger(), logging.getLogger("omsclient")
    level = root.level
    root.addHandler(kept)
    root.setLevel(logging.WARNING)
    try:
        async with omsclient.AsyncClient(
            legacy_url="http://127.0.0.1:9", username="u", password="p"
        ) as oms:
            display = _running.Display("orders", quiet=False)
            async with _waiting.waiting(oms, display, quiet=False):
                assert logger.isEnabledFor(logging.INFO)  # the retries are watched
                retry = {"next_attempt": 2, "max_attempts": 4, "pause": 0.0}
                logger.info("retrying POST /find", extra=retry)
                logger.warning("a warning of the run")
    finally:
        root.removeHandler(kept)
        root.setLevel(level)
    assert [r.getMessage() for r in kept.records] == ["a warning of the run"]
    assert not logger.isEnabledFor(logging.INFO)


class _Rows:
    """A display whose row count the test moves: other windows' rows arriving."""

    moved = 0.0


def _watch(monkeypatch: pytest.MonkeyPatch) -> tuple[_waiting._Watch, _Rows, list[str]]:
    said: list[str] = []
    monkeypatch.setattr(_waiting, "note", said.append)
    monkeypatch.setattr(_waiting, "WAIT_NOTICE", 0.0)
    oms = omsclient.AsyncClient(legacy_url="http://oms.test", username="u", password="p")
    rows = _Rows()
    watch = _waiting._Watch(oms, rows)  # type: ignore[arg-type]
    oms._session.lifecycle._calls.add(object())  # type: ignore[arg-type] # a call in flight
    return watch, rows, said


def _retry(
    watch: _waiting._Watch, attempt: int, pause: float = 0.0, status: int | None = None
) -> None:
    record = logging.LogRecord("omsclient", logging.INFO, "", 0, "retrying", None, None)
    record.next_attempt, record.max_attempts, record.pause = attempt, 4, pause
    record.status_code = status
    watch.filter(record)


def test_a_retry_after_an_answer_says_the_server_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 503s answered at once were reported as "waiting for ... to answer (attempt 3 of 4)":
    # a server that hangs, to whoever read the log.
    watch, _, said = _watch(monkeypatch)
    _retry(watch, 2, status=503)
    _retry(watch, 3)  # the second attempt's connection dropped: no answer
    assert said == [
        "http://oms.test answered HTTP 503: trying again (attempt 2 of 4)",
        "waiting for http://oms.test to answer (attempt 3 of 4)",
    ]


def test_rows_of_other_windows_do_not_make_a_held_retry_the_first_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "waiting 6 s before attempt 1 of 4": the retry's number was reset by rows that came
    # meanwhile, while every request waited out the pause.
    watch, rows, said = _watch(monkeypatch)
    _retry(watch, 2, pause=60)
    rows.moved = 1.0
    watch.check()
    assert said[-1] == "http://oms.test asked to slow down: waiting 60 s before attempt 2 of 4"
    assert not any("attempt 1 of" in line for line in said)


def test_a_slow_server_is_said_to_be_waited_for_once_not_at_every_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every page of a server slower than the notice got its line: hundreds in a healthy run.
    watch, rows, said = _watch(monkeypatch)
    for page in range(1, 6):
        watch.check()
        rows.moved = float(page)
    assert said == ["waiting for http://oms.test to answer (attempt 1 of 4)"]
    _retry(watch, 2)  # a real retry is still said
    assert said[-1] == "waiting for http://oms.test to answer (attempt 2 of 4)"


def test_the_command_run_as_a_function_leaves_the_clients_log_level_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command turns on the client's retry records while it watches them; a program
    # calling cli.main() would otherwise keep INFO records it never asked for.
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    logger = logging.getLogger("omsclient")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        argv = ["export", "orders", "--out", str(tmp_path / "o.jsonl"), "--sandbox"]
        assert cli.main([*argv, "--sandbox-orders", "20", "--sandbox-latency", "0"]) == 0
        assert logger.level == logging.WARNING
    finally:
        logger.setLevel(level)


def test_a_conversion_to_parquet_gets_its_own_lines_and_a_running_clock(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The bar stood at 50000/50000 with its clock stopped, and a log got no line, for the
    # 46 s the conversion of 50,000 orders took.
    every = _running.LOG_EVERY
    display = _running.Display("orders", quiet=False)
    with display.progress:
        display.update(ExportProgress(1000, 1000, 1000, every))
        display.update(ExportProgress(1000, 1000, 1000, 2 * every + 1, True, 0.437))
        reading, converting = display.progress.tasks
        assert converting.description == "converting orders to Parquet"
        assert not converting.finished  # its clock runs
        # Four minutes of it for 300,000 orders said no share.
        assert converting.percentage == pytest.approx(43.7)
        # Rows done of the total for the reading; none for the conversion ("0/?" read as
        # nothing converted).
        assert (reading.fields["count"], converting.fields["count"]) == ("1000/1000", "")
        display.finished()
        assert display.progress.tasks == [reading]
        lines = capsys.readouterr().err.splitlines()
    minutes, seconds = divmod(int(2 * every + 1), 60)
    assert lines[:2] == [
        lines[0],
        f"omsclient: converting orders to Parquet: 1,000 orders (43%), {minutes}:{seconds:02d} "
        "elapsed",
    ]
    # Padded to the total's width, as rich's own column does, so the columns after it hold still.
    assert (_running._count(5, 1000), _running._count(5, None)) == ("   5/1000", "5/?")
