"""OMS_LOG=debug|info: attempts logged on stderr with no code, never a secret."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import omsclient
from omsclient.sandbox import SandboxInfo

SRC = str(Path(omsclient.__file__).parent.parent)
SCRIPT = textwrap.dedent(
    """
    from datetime import datetime
    import omsclient
    from omsclient.legacy import Condition, Op, OrderField

    condition = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
    with omsclient.Client() as oms:
        print(oms.legacy.orders.search(condition, limit=1).total)
    with omsclient.Client(password="wrong-password-9", max_retries=0) as oms:
        try:
            oms.legacy.orders.search(condition, limit=1)
        except omsclient.AuthenticationError:
            print("refused")
    """
)


def run_script(sandbox: SandboxInfo, level: str | None) -> subprocess.CompletedProcess[str]:
    kwargs = sandbox.client_kwargs()
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "OMS_LEGACY_URL": str(kwargs["legacy_url"]),
        "OMS_USERNAME": str(kwargs["username"]),
        "OMS_PASSWORD": str(kwargs["password"]),
    }
    env.pop("OMS_LOG", None)
    if level is not None:
        env["OMS_LOG"] = level
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("level", ["debug", "INFO"])
def test_oms_log_prints_the_request_lines_on_stderr(oms_sandbox: SandboxInfo, level: str) -> None:
    done = run_script(oms_sandbox, level)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["300", "refused"]
    assert "POST /api/json/manage_orders/find -> 200 (attempt 1" in done.stderr
    assert "legacy.orders.search" in done.stderr
    assert oms_sandbox.password not in done.stderr
    assert "wrong-password-9" not in done.stderr


def test_without_oms_log_nothing_is_printed(oms_sandbox: SandboxInfo) -> None:
    done = run_script(oms_sandbox, None)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_bad_oms_log_value_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, client_kwargs: dict[str, object]
) -> None:
    monkeypatch.setenv("OMS_LOG", "verbose")
    with pytest.raises(omsclient.ConfigurationError, match="OMS_LOG must be debug or info"):
        omsclient.AsyncClient(**client_kwargs)  # type: ignore[arg-type]


APP_LOGGING = textwrap.dedent(
    """
    import logging, sys
    logging.basicConfig(stream=sys.stderr, format="app: %(message)s")
    """
)


@pytest.mark.parametrize("app_level", ["NOTSET", "WARNING"])
def test_oms_log_lines_are_written_once_when_the_application_logs_too(
    oms_sandbox: SandboxInfo, app_level: str
) -> None:
    # An application that configures logging (basicConfig: a root handler on stderr) and runs
    # with OMS_LOG=info gets each record once: from its own handler when that handler takes
    # the record, else from OMS_LOG's.
    kwargs = oms_sandbox.client_kwargs()
    script = (
        APP_LOGGING + f"logging.getLogger().handlers[0].setLevel(logging.{app_level})\n" + SCRIPT
    )
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "OMS_LEGACY_URL": str(kwargs["legacy_url"]),
        "OMS_USERNAME": str(kwargs["username"]),
        "OMS_PASSWORD": str(kwargs["password"]),
        "OMS_LOG": "info",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "manage_orders/find -> 200" in line]
    assert len(lines) == 2, done.stderr  # the script's two searches
    assert all(line.startswith("app: ") == (app_level == "NOTSET") for line in lines)
