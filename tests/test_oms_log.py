"""omsclient's log lines, and OMS_LOG=debug|info to see them on stderr with no code, never a
secret."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import respx

import omsclient
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

from .conftest import FAST_RETRY, LEGACY, ok

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


def run_script(
    sandbox: SandboxInfo, level: str | None, script: str = SCRIPT
) -> subprocess.CompletedProcess[str]:
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
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("level", ["debug", "DEBUG"])
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


def test_oms_log_info_prints_the_retries_not_the_requests(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=10, faults=Faults(error_rate=1.0)))
    script = textwrap.dedent(
        """
        from datetime import datetime
        import omsclient
        from omsclient.legacy import Condition, Op, OrderField

        condition = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
        retry = omsclient.RetryPolicy(max_retries=1, initial_delay=0.01, max_delay=0.01)
        with omsclient.Client(retry=retry) as oms:
            try:
                oms.legacy.orders.search(condition, limit=1)
            except omsclient.ServerError:
                print("failed")
        """
    )
    done = run_script(info, "info", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["failed"]
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    assert " INFO omsclient: retrying POST /api/json/manage_orders/find " in lines[0]
    assert " after attempt 1: ServerError: " in lines[0]
    assert " INFO omsclient: giving up on POST /api/json/manage_orders/find " in lines[1]


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
    # with OMS_LOG=debug gets each record once: from its own handler when that handler takes
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
        "OMS_LOG": "debug",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "manage_orders/find -> 200" in line]
    assert len(lines) == 2, done.stderr  # the script's two searches
    assert all(line.startswith("app: ") == (app_level == "NOTSET") for line in lines)


def test_oms_log_lines_show_when_the_application_keeps_omsclient_from_its_handlers(
    oms_sandbox: SandboxInfo,
) -> None:
    # The root handler on stderr never sees omsclient's records: OMS_LOG's handler writes them.
    script = APP_LOGGING + "logging.getLogger('omsclient').propagate = False\n" + SCRIPT
    done = run_script(oms_sandbox, "debug", script)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "manage_orders/find -> 200" in line]
    assert len(lines) == 2, done.stderr  # the script's two searches
    assert not any(line.startswith("app: ") for line in lines)


@pytest.mark.parametrize(
    "handler",
    [
        "logging.StreamHandler(open(2, 'w', closefd=False))",
        "RichHandler(console=Console(stderr=True, width=500))",
        "logging.StreamHandler(sys.stderr)",
        "logging.FileHandler('/dev/stderr')",
        "logging.StreamHandler(os.fdopen(os.dup(2), 'w'))",
    ],
    ids=["fd-2-opened-again", "rich-on-stderr", "stderr", "dev-stderr", "dup-of-fd-2"],
)
@pytest.mark.parametrize("app_filter", [False, True], ids=["all", "filtered"])
def test_oms_log_lines_are_written_once_beside_any_handler_on_stderr(
    oms_sandbox: SandboxInfo, handler: str, app_filter: bool
) -> None:
    # Only a StreamHandler on the sys.stderr object itself was recognised: a stream of its own
    # on fd 2, or rich's handler on a stderr console, had every line twice; and a handler whose
    # filter keeps omsclient's records out was taken for one that writes them: none showed.
    script = (
        "import logging, os, sys\n"
        "from rich.console import Console\n"
        "from rich.logging import RichHandler\n"
        f"handler = {handler}\n"
        + ("handler.addFilter(lambda r: r.name.startswith('myapp'))\n" if app_filter else "")
        + "logging.basicConfig(handlers=[handler], format='app: %(message)s')\n"
        + SCRIPT
    )
    done = run_script(oms_sandbox, "debug", script)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "manage_orders/find -> 200" in line]
    assert len(lines) == 2, done.stderr  # the script's two searches


def test_oms_log_lines_show_on_stderr_beside_a_handler_on_stdout(
    oms_sandbox: SandboxInfo,
) -> None:
    # Another file than stderr: the application's lines go there, OMS_LOG's still to stderr.
    script = "import logging, sys\nlogging.basicConfig(stream=sys.stdout, level=logging.DEBUG)\n"
    done = run_script(oms_sandbox, "debug", script + SCRIPT)
    assert done.returncode == 0, done.stderr
    for printed in (done.stdout, done.stderr):
        lines = [line for line in printed.splitlines() if "manage_orders/find -> 200" in line]
        assert len(lines) == 2, printed


def test_oms_log_lines_go_where_stderr_is_when_they_are_written(
    oms_sandbox: SandboxInfo,
) -> None:
    # The handler kept the stderr of the moment the client was made: the CLI's progress
    # display, which takes stderr over to print lines above its bar, had them written across it.
    script = (
        SCRIPT.replace(
            "with omsclient.Client() as oms:",
            "import io, sys\n"
            "oms = omsclient.Client()\n"
            "real, sys.stderr = sys.stderr, io.StringIO()\n"
            "with oms:",
        )
        + "taken, sys.stderr = sys.stderr.getvalue(), real\nprint(taken, end='')\n"
    )
    done = run_script(oms_sandbox, "debug", script)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "manage_orders/find -> 200" in line]
    assert len(lines) == 2, done.stdout
    assert "manage_orders/find" not in done.stderr


def test_a_closed_stderr_loses_the_lines_not_the_calls(oms_sandbox: SandboxInfo) -> None:
    # Writing to it failed, and logging's report of that, written to the same closed stderr,
    # raised a ValueError out of every search.
    script = "import logging, sys\nlogging.basicConfig(stream=sys.stdout)\nsys.stderr.close()\n"
    done = run_script(oms_sandbox, "debug", script + SCRIPT)
    assert done.returncode == 0, done.stdout
    printed = [line for line in done.stdout.splitlines() if line in ("300", "refused")]
    assert printed == ["300", "refused"], done.stdout


ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
FIND = f"{LEGACY}/api/json/manage_orders/find"


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "omsclient"]


@respx.mock
async def test_retries_and_the_give_up_are_info_each_attempt_debug(
    oms: omsclient.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # An application logging at INFO sees what the client decided (each wait and why, and
    # that it stopped), not a line per request: httpx writes that one at INFO already.
    caplog.set_level(logging.DEBUG, logger="omsclient")
    respx.post(FIND).mock(return_value=httpx.Response(503, text="busy"))
    with pytest.raises(omsclient.ServerError):
        await oms.legacy.orders.search(ALL)
    lines = _lines(caplog)
    attempts = [text for level, text in lines if "-> 503" in text]
    assert len(attempts) == FAST_RETRY.max_retries + 1
    assert all(level == logging.DEBUG for level, text in lines if "-> 503" in text)
    info = [text for level, text in lines if level >= logging.INFO]
    assert len(info) == FAST_RETRY.max_retries + 1, info  # each retry, then the give-up
    for number, text in enumerate(info[:-1], start=1):
        assert text.startswith(
            "retrying POST /api/json/manage_orders/find (legacy.orders.search) in "
        ), text
        assert f" s after attempt {number}: ServerError: " in text, text
    assert info[-1].startswith(
        "giving up on POST /api/json/manage_orders/find (legacy.orders.search) after "
        f"attempt {FAST_RETRY.max_retries + 1}: ServerError: "
    ), info[-1]
    retries = [r for r in caplog.records if r.getMessage().startswith("retrying ")]
    # What a handler reads without parsing the message (the command's "answered HTTP 503").
    assert [(r.next_attempt, r.max_attempts, r.status_code, r.pause) for r in retries] == [  # type: ignore[attr-defined]
        (n, FAST_RETRY.max_retries + 1, 503, None) for n in range(2, FAST_RETRY.max_retries + 2)
    ]


@respx.mock
async def test_at_info_a_retry_is_logged_not_the_requests_or_a_refusal(
    oms: omsclient.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="omsclient")
    respx.post(FIND).mock(
        side_effect=[
            httpx.Response(503, text="busy"),
            httpx.Response(200, json=ok(orders=[], total=0)),
            httpx.Response(401, json={"message": "no"}),
        ]
    )
    await oms.legacy.orders.search(ALL)
    with pytest.raises(omsclient.AuthenticationError):
        await oms.legacy.orders.search(ALL)
    (retry,) = _lines(caplog)  # the one retry; a refusal is the caller's to report
    assert retry[0] == logging.INFO
    assert " after attempt 1: ServerError: " in retry[1]


@respx.mock
async def test_a_retried_call_ended_by_an_error_no_retry_changes_is_not_a_give_up(
    oms: omsclient.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # "Giving up" said the retries ran out, where the second answer was a refusal.
    caplog.set_level(logging.INFO, logger="omsclient")
    refusal = {"response_status": {"code": 50003, "severity": "ERROR", "description": "bad"}}
    respx.post(FIND).mock(
        side_effect=[httpx.Response(503, text="busy"), httpx.Response(200, json=refusal)]
    )
    with pytest.raises(omsclient.InvalidConditionError):
        await oms.legacy.orders.search(ALL)
    info = [text for level, text in _lines(caplog) if level >= logging.INFO]
    assert len(info) == 2, info
    assert info[0].startswith("retrying POST "), info
    assert info[1].startswith(
        "not retrying POST /api/json/manage_orders/find (legacy.orders.search) after attempt 2: "
        "InvalidConditionError: "
    ), info
