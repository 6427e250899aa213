"""What the command shows while it runs: progress lines in a log, and what it waits for."""

from __future__ import annotations

import pytest

from omsclient._commands import _running
from omsclient.dbsync import SyncProgress
from omsclient.export import ExportProgress


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
        lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("omsclient: exporting orders: 300/1,000 (30%)")
    assert lines[1].startswith("omsclient: exporting orders: 900/1,000 (90%)")
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


@pytest.mark.parametrize("terminal", [False, True])
def test_no_progress_lines_when_quiet_or_on_a_terminal(
    terminal: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if terminal:
        monkeypatch.setenv("FORCE_COLOR", "1")  # rich takes stderr for a terminal
    display = _running.Display("orders", quiet=not terminal)
    for elapsed in range(1, 10):
        display.update(ExportProgress(elapsed, 10, elapsed, elapsed * _running.LOG_EVERY))
    assert "orders/s" not in capsys.readouterr().err
