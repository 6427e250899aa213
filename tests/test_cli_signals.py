"""SIGTERM (``kill``, ``timeout``, ``systemctl stop``, ``docker stop``) stops a command as a
Ctrl-C does, and no signal changes the exit code of a command that has ended."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest

import _omsclient_command
from omsclient import cli
from omsclient._commands._running import command_done, run_job, stop_job

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
T = TypeVar("T")

SANDBOX = ["--sandbox", "--sandbox-orders", "2000", "--sandbox-latency", "0.05"]


def _terminated_when(
    argv: list[str], ready: Callable[[], bool], *, ignore_ctrl_c: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``argv``, send it SIGTERM once ``ready()``, and return how it ended."""

    def start() -> None:
        if ignore_ctrl_c:  # as a shell script's background job runs
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    child = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, preexec_fn=start
    )
    deadline = time.monotonic() + 120
    while not ready():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=120)
    return subprocess.CompletedProcess(argv, child.returncode, out, err)


@pytest.mark.parametrize("ignore_ctrl_c", [False, True])
def test_a_sigterm_mid_export_stops_it_as_ctrl_c_does(tmp_path: Path, ignore_ctrl_c: bool) -> None:
    # It ended the process at once: exit status 143, not one line on stderr.
    out = tmp_path / "o.jsonl"
    argv = [sys.executable, "-m", "omsclient", "export", "orders", *SANDBOX, "--out", str(out)]
    checkpoint = tmp_path / "o.jsonl.checkpoint"
    done = _terminated_when(argv, checkpoint.exists, ignore_ctrl_c=ignore_ctrl_c)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert "interrupted; run the same command with --resume to continue" in done.stderr
    resumed = subprocess.run([*argv, "--resume", "--quiet"], env=ENV, timeout=120, check=False)
    assert resumed.returncode == 0
    ids = [orjson.loads(line)["order_id"] for line in out.read_bytes().splitlines()]
    assert sorted(ids) == [f"INV{10001 + i}" for i in range(2000)]


@contextlib.contextmanager
def _console_script_signals(ctrl_c: Any) -> Iterator[None]:
    """SIGTERM taken as the console script takes it, SIGINT's handler ``ctrl_c``."""
    _omsclient_command._last_term.clear()  # a SIGTERM of an earlier test is no repeat of one
    term = signal.signal(signal.SIGTERM, _omsclient_command._interrupt)
    sigint = signal.signal(signal.SIGINT, ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, term)
        signal.signal(signal.SIGINT, sigint)


@pytest.mark.parametrize(
    "argv",
    [["-m", "omsclient", "sandbox"], ["-m", "omsclient.sandbox"]],
    ids=["omsclient-sandbox", "python-m-omsclient.sandbox"],
)
def test_a_sigterm_stops_the_sandbox_as_ctrl_c_does(argv: list[str]) -> None:
    # cli.md: Ctrl-C or SIGTERM stops it with exit code 0. python -m omsclient.sandbox left
    # SIGTERM to its default and died by the signal (-15), where omsclient sandbox exits 0.
    child = subprocess.Popen(
        [sys.executable, *argv, "--orders", "10", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert child.stdout is not None
        assert "http://127.0.0.1:" in child.stdout.readline()  # serving
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert (child.returncode, err) == (0, "")


@pytest.mark.parametrize(
    ("ending", "ctrl_c"),
    [
        (signal.SIGTERM, signal.SIG_IGN),  # a background job of a script
        (signal.SIGTERM, signal.default_int_handler),
        (signal.SIGINT, signal.default_int_handler),
    ],
)
def test_a_signal_cancels_the_job_rather_than_raising_into_the_code_it_runs(
    ending: int, ctrl_c: Any
) -> None:
    # With SIGINT ignored, a SIGTERM raised KeyboardInterrupt wherever the loop was: in an
    # anyio task group's exit, the group then failed on a task that ended later, and the
    # command printed "'TaskGroup' object has no attribute '_exceptions'" and a traceback.
    ran: list[str] = []

    async def job() -> None:
        signal.raise_signal(ending)
        ran.append("the code after the signal")
        try:
            await asyncio.sleep(30)
        finally:
            await asyncio.sleep(0)  # the job's own cleanup can still wait
            ran.append("its cleanup")

    with _console_script_signals(ctrl_c), pytest.raises(KeyboardInterrupt):
        run_job(job())
    assert ran == ["the code after the signal", "its cleanup"]


def test_a_second_ctrl_c_in_a_program_calling_the_command_raises_at_once() -> None:
    # As asyncio.run's: Python's own handler was in place, the program's to handle it.
    ran: list[str] = []

    async def job() -> None:
        signal.raise_signal(signal.SIGINT)
        try:
            await asyncio.sleep(30)
        finally:
            try:
                signal.raise_signal(signal.SIGINT)
                ran.append("the code after the second signal")
            except KeyboardInterrupt:
                ran.append("interrupted")
                raise

    with _console_script_signals(signal.default_int_handler), pytest.raises(KeyboardInterrupt):
        run_job(job())
    assert ran == ["interrupted"]


_STOPPING_UNDER_A_PROGRESS_BAR = """
import asyncio, os, signal, _omsclient_command
from rich.console import Console
from rich.progress import Progress
from omsclient._commands._running import run_job

signal.signal(signal.SIGINT, _omsclient_command._interrupt)

async def job():
    with Progress(console=Console(stderr=True, force_terminal=True)) as bar:  # stderr proxied
        bar.add_task("exporting orders", total=10)
        await asyncio.sleep(0.3)
        os.kill(os.getpid(), signal.SIGINT)
        try:
            await asyncio.sleep(60)
        finally:
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(60)

run_job(job())
"""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminal")
def test_a_second_ctrl_c_on_a_terminal_says_so_and_shows_the_cursor_again() -> None:
    # Written through the progress bar's proxy of sys.stderr, the line was held back or drawn
    # over, and the cursor the bar hid stayed hidden in the user's shell.
    terminal, stderr = os.openpty()
    shown = bytearray()

    def read() -> None:
        with contextlib.suppress(OSError):  # EIO once the child's side is closed
            while chunk := os.read(terminal, 65536):
                shown.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _STOPPING_UNDER_A_PROGRESS_BAR],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            timeout=30,
            env={**ENV, "TERM": "xterm"},
            check=False,
        )
    finally:
        os.close(stderr)
        reader.join(10)
        os.close(terminal)
    assert done.returncode == 130
    assert b"omsclient: error: interrupted again: stopped at once" in shown
    assert shown.rindex(b"\x1b[?25h") > shown.rindex(b"\x1b[?25l")


def test_a_job_run_in_another_thread_is_left_to_its_program() -> None:
    # Signals are handled in the main thread: a Ctrl-C there cancelled another thread's job
    # (with Task.cancel() from the wrong thread), and not the main thread's own.
    started, release = threading.Event(), threading.Event()
    results: list[str] = []
    command_done(False)  # as a command begins: an earlier test's cli.main() marked it done

    async def job() -> str:
        started.set()
        await asyncio.to_thread(release.wait, 10)
        return "done"

    worker = threading.Thread(target=lambda: results.append(run_job(job())))
    worker.start()
    try:
        assert started.wait(10)
        assert stop_job() is None
    finally:
        release.set()
        worker.join(10)
    assert results == ["done"]


_STOPPING_FOR_EVER = """
import asyncio, os, signal, sys, _omsclient_command
from omsclient._commands._running import run_job

signal.signal(signal.{first}, _omsclient_command._interrupt)
signal.signal(signal.{second}, _omsclient_command._interrupt)

async def job():
    os.kill(os.getpid(), signal.{first})
    try:
        await asyncio.sleep(60)
    finally:  # a clean-up that waits (a statement a database holds, a server that never answers)
        await asyncio.sleep({gap})
        os.kill(os.getpid(), signal.{second})
        await asyncio.sleep({wait})

run_job(job())
"""


@pytest.mark.parametrize(("first", "second"), [("SIGTERM", "SIGTERM"), ("SIGINT", "SIGTERM")])
def test_a_second_signal_to_the_command_while_its_job_stops_ends_it_at_once(
    first: str, second: str
) -> None:
    # It raised KeyboardInterrupt into the clean-up: a SQLite connection closed under its
    # statement crashed the process (SIGSEGV), or a worker thread left waiting hung its exit.
    # Past the time within which a SIGTERM repeats the first (see the next test).
    gap = _omsclient_command.SAME_TERM_SECONDS + 0.2
    code = _STOPPING_FOR_EVER.format(first=first, second=second, gap=gap, wait=60)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=ENV
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == (
        "\nomsclient: error: interrupted again: stopped at once; run the same command to "
        "continue (an export with --resume)\n"
    )


@pytest.mark.parametrize("gap", [0, 0.02])
def test_a_sigterm_sent_twice_at_once_is_one_interrupt(gap: float) -> None:
    # coreutils' timeout signals the command, then its whole process group, the command
    # included: now and then the second came after the first had been handled, and the
    # command stopped at once ("interrupted again"), with no line on what to run next.
    code = _STOPPING_FOR_EVER.format(first="SIGTERM", second="SIGTERM", gap=gap, wait=1)
    code = code.replace(
        "run_job(job())", "try:\n    run_job(job())\nexcept KeyboardInterrupt:\n    sys.exit(7)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=ENV
    )
    # The job's clean-up ran to its end, the job stopped as by one Ctrl-C: the second
    # SIGTERM did not cut it short.
    assert done.returncode == 7, done.stderr
    assert "interrupted again" not in done.stderr


def test_the_command_starts_with_no_collector_callback_to_lose_a_signal_in() -> None:
    # A Ctrl-C or SIGTERM in the first tenths of a second was handled, now and then, inside the
    # client's gc callback: the collector dropped the interrupt ("Exception ignored in:
    # <function _note_collection>") and the export ran to its end. Only a blocking client,
    # whose finalisers need it, adds the callback.
    script = (
        "import gc, _omsclient_command, omsclient, omsclient.cli, omsclient.sandbox\n"
        "def ours():\n"
        "    return [c for c in gc.callbacks if c.__module__.startswith('omsclient')]\n"
        "assert ours() == [], ours()\n"
        "omsclient.Client(legacy_url='https://oms.test/', username='u', password='p').close()\n"
        "assert len(ours()) == 1, ours()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=ENV, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_a_signal_as_the_loop_starts_stops_the_job_before_it_begins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # It was raised inside asyncio's start: "Exception ignored in BaseEventLoop.__del__" and
    # a "coroutine was never awaited" warning after the command's line.
    started: list[str] = []
    real_run = asyncio.run

    def run_after_a_signal(main: Coroutine[Any, Any, T]) -> T:
        signal.raise_signal(signal.SIGTERM)
        return real_run(main)

    async def job() -> None:
        started.append("the job")

    monkeypatch.setattr(asyncio, "run", run_after_a_signal)
    with (
        warnings.catch_warnings(record=True) as warned,
        _console_script_signals(signal.SIG_IGN),
        pytest.raises(KeyboardInterrupt),
    ):
        warnings.simplefilter("always")
        run_job(job())
        gc.collect()
    assert started == []
    assert [str(w.message) for w in warned] == []


def test_a_signal_once_the_job_has_ended_lets_its_result_stand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Raised as asyncio closed the loop, it made a finished export or sync report itself
    # interrupted.
    real_run = asyncio.run

    def run_then_a_signal(main: Coroutine[Any, Any, T]) -> T:
        result = real_run(main)
        signal.raise_signal(signal.SIGTERM)
        return result

    async def job() -> str:
        return "the summary"

    monkeypatch.setattr(asyncio, "run", run_then_a_signal)
    with _console_script_signals(signal.SIG_IGN):
        assert run_job(job()) == "the summary"


def test_the_sandbox_says_its_url_once_uvicorn_handles_the_signals() -> None:
    # The test above read the URL line and sent SIGTERM: printed before the event loop was
    # made, the line let the signal cut into the loop's making, and the loop left half made
    # printed "Exception ignored in: <function BaseEventLoop.__del__>" as it was freed.
    import uvicorn

    from omsclient.sandbox._uvicorn import SandboxServer

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("no request is sent")

    server = SandboxServer(uvicorn.Config(app, lifespan="off", log_level="warning"))
    handlers: list[Any] = []

    class Banner(str):
        def __str__(self) -> str:
            handlers.append(signal.getsignal(signal.SIGTERM))
            server.should_exit = True
            return "serving"

    server.banner = Banner("serving")
    # Stops a server that never says it serves, for the assertion to say so.
    guard = threading.Timer(10, setattr, (server, "should_exit", True))
    guard.start()
    try:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            server.run(sockets=[sock])
    finally:
        guard.cancel()
    assert handlers == [server.handle_exit]


_DROPPED_IN_A_FINALIZER = """
import signal, sys, time, _omsclient_command
signal.signal(signal.SIGTERM, _omsclient_command._interrupt)
{hook}
class Freed:
    def __del__(self):
        signal.raise_signal(signal.SIGTERM)  # handled in here, as in a weak reference's callback
        for _ in range(1000):
            pass
try:
    Freed()
    time.sleep(3)
    print("served on")
except KeyboardInterrupt as exc:
    print("stopped", type(exc).__name__)
"""


@pytest.mark.parametrize("hooked", [True, False])
def test_an_interrupt_python_drops_in_a_finalizer_is_sent_again(hooked: bool) -> None:
    # A SIGTERM the sandbox took while a WeakValueDictionary's callback ran was printed
    # ("Exception ignored in: <function WeakValueDictionary.__init__.<locals>.remove>") and
    # dropped: the sandbox served on. Without the command's hook (False), that is what happens.
    hook = "sys.unraisablehook = _omsclient_command._raised_where_dropped" if hooked else ""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _DROPPED_IN_A_FINALIZER.format(hook=hook)],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    if hooked:
        assert (done.stdout, done.stderr) == ("stopped _Stop\n", "")
        assert time.monotonic() - started < 2.5  # not by the sleep's end
    else:
        assert done.stdout == "served on\n"
        assert "Exception ignored in" in done.stderr


def test_a_dropped_sigterm_sent_twice_at_once_is_still_taken() -> None:
    # coreutils' timeout sends a second SIGTERM right behind the first, taken as the same
    # request: with the first dropped, the second must not keep the first from being sent again.
    code = _DROPPED_IN_A_FINALIZER.format(
        hook="sys.unraisablehook = _omsclient_command._raised_where_dropped"
    ).replace("    time.sleep(3)", "    signal.raise_signal(signal.SIGTERM)\n    time.sleep(3)")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert (done.stdout, done.stderr) == ("stopped _Stop\n", "")


def test_the_command_takes_what_python_drops_while_it_runs() -> None:
    code = (
        "import sys, _omsclient_command as command\n"
        "before = sys.unraisablehook\n"
        "command.main(['--version'])\n"
        "print(sys.unraisablehook is command._raised_where_dropped)\n"
        "print(command._unraisable_before is before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert done.stdout.splitlines()[-2:] == ["True", "True"], done.stderr


def test_a_sigterm_caught_in_python_m_leaves_the_exit_code_to_the_command(tmp_path: Path) -> None:
    # Raised inside exec() of source text (starlette's dataclasses while the sandbox started),
    # the KeyboardInterrupt was caught and the command returned 130, but `python -m` then ended
    # the process by SIGINT: status -2.
    (tmp_path / "starting.py").write_text(
        "import signal, _omsclient_command\n"
        "signal.signal(signal.SIGTERM, _omsclient_command._interrupt)\n"
        "try:\n"
        "    exec('import os, signal; os.kill(os.getpid(), signal.SIGTERM)')\n"
        "except KeyboardInterrupt:\n"
        "    raise SystemExit(130) from None\n"
    )
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(tmp_path), ENV["PYTHONPATH"]])}
    done = subprocess.run(
        [sys.executable, "-m", "starting"], capture_output=True, text=True, timeout=60, env=env
    )
    assert (done.returncode, done.stderr) == (130, "")


def test_a_sigterm_mid_sync_stops_it_as_ctrl_c_does(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    argv = [
        sys.executable,
        "-m",
        "omsclient",
        "sync",
        "orders",
        *SANDBOX,
        "--db",
        f"sqlite:///{db}",
    ]
    wal = Path(f"{db}-wal")
    done = _terminated_when(argv, lambda: wal.exists() and wal.stat().st_size > 0)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    # Early or late in the sync, the line says to run it again.
    assert "omsclient: error: interrupted; " in done.stderr
    assert "run the same command" in done.stderr


@pytest.mark.parametrize("ending", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_once_the_command_has_ended_keeps_its_exit_code(ending: int) -> None:
    # Python tears down for a few tenths of a second after the summary: a Ctrl-C then ended
    # the process by that signal, with no line, though the job was done.
    code = (
        "import os, sys, _omsclient_command\n"
        "code = _omsclient_command.main()\n"
        f"os.kill(os.getpid(), {int(ending)})\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("omsclient ")


_PROGRAM_WITH_ITS_OWN_SIGTERM = """
import os, signal, sys, threading, time
from omsclient import cli

seen = []
signal.signal(signal.SIGTERM, lambda *_: seen.append("SIGTERM"))
out = sys.argv[1]

def terminate_once_rows_are_written():
    while not os.path.exists(out + ".checkpoint"):
        time.sleep(0.02)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=terminate_once_rows_are_written, daemon=True).start()
code = cli.main(["export", "orders", *sys.argv[2:], "--out", out, "--quiet"])
print(code, seen)
"""


def test_cli_main_called_by_a_program_leaves_its_sigterm_handler_alone(tmp_path: Path) -> None:
    # A program's "stop after this job" handler never ran: the command took SIGTERM over.
    out = str(tmp_path / "o.jsonl")
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM_WITH_ITS_OWN_SIGTERM, out, *SANDBOX],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "0 ['SIGTERM']\n"


# A SIGTERM as the command returned raised its KeyboardInterrupt in the console script.
_AS_IT_RETURNS = """
def run(argv=None):
    signal.raise_signal(signal.SIGTERM)
    return 0
"""
# Python 3.11 raises what __set_name__ raises as the cause of a RuntimeError: a SIGTERM as
# starlette defined its dataclasses, while the sandbox started, came out as a traceback.
_AS_AN_IMPORT_DEFINES_A_CLASS = """
class Field:
    def __set_name__(self, owner, name):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000): pass  # the handler runs here
def run(argv=None):
    class Options:
        width = Field()
    return 0
"""


@pytest.mark.parametrize(
    "run", [_AS_IT_RETURNS, _AS_AN_IMPORT_DEFINES_A_CLASS], ids=["returning", "defining a class"]
)
def test_an_interrupt_past_the_commands_own_handling_is_one_line_not_a_traceback(run: str) -> None:
    code = (
        "import os, signal, sys, _omsclient_command, omsclient.cli\n"
        f"{run}\n"
        "omsclient.cli.main = run\n"
        "sys.exit(_omsclient_command.main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=ENV
    )
    assert (done.returncode, done.stderr) == (130, "omsclient: interrupted\n")


_SIGNALLED_AS_PYTHON_FREES_ITS_MODULES = """
import os, signal, sys, types, _omsclient_command, omsclient.cli

class Freed:  # what it uses is bound now: the modules' names are gone by then
    def __del__(self, kill=os.kill, pid=os.getpid(), ending=signal.{ending}):
        kill(pid, ending)

late = types.ModuleType("late")
late.freed = Freed()
sys.modules["late"] = late
omsclient.cli.main = lambda argv=None: {code}
sys.exit(_omsclient_command.main())
"""


@pytest.mark.parametrize(("ending", "code"), [("SIGTERM", 130), ("SIGINT", 130), ("SIGINT", 1)])
def test_a_signal_as_python_frees_its_modules_keeps_the_exit_code(ending: str, code: int) -> None:
    # Python puts handlers back to the system's default then: the process ended by the signal
    # (143, or 130 for an exit code of 1), about the tenth of a second after the command's line.
    program = _SIGNALLED_AS_PYTHON_FREES_ITS_MODULES.format(ending=ending, code=code)
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert (done.returncode, done.stderr) == (code, "")


@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM"])
def test_after_an_interrupted_command_another_signal_ends_the_process_with_its_code(
    ending: str,
) -> None:
    # Signals were ignored once any command returned: after a double Ctrl-C a worker thread
    # left waiting held up Python's exit, and nothing but SIGKILL could end it. Then another
    # ended it by that signal (exit status -2 or -15), which the command's table does not list.
    code = (
        "import os, signal, threading, time, _omsclient_command, omsclient.cli\n"
        "omsclient.cli.main = lambda argv=None: 130\n"
        "code = _omsclient_command.main()\n"
        "threading.Thread(target=time.sleep, args=(60,)).start()  # left waiting\n"
        f"os.kill(os.getpid(), signal.{ending})\n"
        "time.sleep(60)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=ENV
    )
    assert (done.returncode, done.stderr) == (130, "")


def _interrupted_as_the_sandbox_starts(wrapped: bool) -> Any:
    def start(args: Any) -> Any:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            if not wrapped:
                raise
            # What Python 3.10 and 3.11 make of one raised in __set_name__ (starlette's
            # dataclasses, defined as the sandbox starts).
            raise RuntimeError("Error calling __set_name__ on '_Field' instance") from interrupt

    return start


@pytest.mark.parametrize("command", ["export", "sync"])
def test_an_interrupt_wrapped_as_an_import_defines_a_class_gets_the_commands_own_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    # Exit 130, but the console script's bare "interrupted": the command's own line, saying
    # what to run next, missed the interrupt inside the RuntimeError.
    from omsclient._commands import _sandbox

    argv = (
        ["export", "orders", "--sandbox", "--out", str(tmp_path / "o.jsonl")]
        if command == "export"
        else ["sync", "orders", "--sandbox", "--db", f"sqlite:///{tmp_path / 'o.db'}"]
    )
    said = []
    for wrapped in (False, True):
        monkeypatch.setattr(_sandbox, "sandbox", _interrupted_as_the_sandbox_starts(wrapped))
        assert cli.main(argv) == 130
        said.append(capsys.readouterr().err)
    assert said[0] == said[1]
    assert "interrupted" in said[1]


# A Ctrl-C as the summary's rows were made (before the table was printed) came out of the
# command as "omsclient: interrupted" and exit 130, though the job was complete.
_SIGNALLED_AS_THE_SUMMARY_IS_MADE = """
import os, signal, sys, _omsclient_command
from omsclient._commands import _export, _sync

def signalled(rows):
    def made(summary):
        os.kill(os.getpid(), signal.{ending})
        return rows(summary)
    return made

_export.summary_rows = signalled(_export.summary_rows)
_sync._summary_rows = signalled(_sync._summary_rows)
sys.exit(_omsclient_command.main(sys.argv[1:]))
"""


@pytest.mark.parametrize(("command", "ending"), [("export", "SIGINT"), ("sync", "SIGTERM")])
def test_a_signal_as_the_summary_is_made_leaves_the_complete_job_at_exit_0(
    tmp_path: Path, command: str, ending: str
) -> None:
    small = ["--sandbox", "--sandbox-orders", "50", "--sandbox-latency", "0"]
    argv = (
        ["export", "orders", *small, "--out", str(tmp_path / "o.jsonl")]
        if command == "export"
        else ["sync", "orders", *small, "--db", f"sqlite:///{tmp_path / 'o.db'}"]
    )
    program = _SIGNALLED_AS_THE_SUMMARY_IS_MADE.format(ending=ending)
    done = subprocess.run(
        [sys.executable, "-c", program, *argv], capture_output=True, text=True, timeout=120, env=ENV
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "was complete" in done.stderr
    if command == "export":
        assert len((tmp_path / "o.jsonl").read_bytes().splitlines()) == 50


# After the command's last line, each step to the process's end (the streams put back, the
# return to the console script, its signals set aside) took a Ctrl-C as one before the job:
# exit 130 and "omsclient: interrupted" after a complete job and its summary.
_SIGNALLED_AS_THE_STREAMS_ARE_PUT_BACK = """
import contextlib, os, signal, sys, _omsclient_command, omsclient.cli

streams = omsclient.cli.forgiving_streams

@contextlib.contextmanager
def put_back():
    with streams():
        yield
    os.kill(os.getpid(), signal.{ending})

omsclient.cli.forgiving_streams = put_back
sys.exit(_omsclient_command.main(["--version"]))
"""


@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM"])
def test_a_signal_once_the_command_has_said_all_keeps_its_exit_code(ending: str) -> None:
    program = _SIGNALLED_AS_THE_STREAMS_ARE_PUT_BACK.format(ending=ending)
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, env=ENV
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("omsclient ")


# A Ctrl-C in the console script's first lines, before it had taken the signals over, came
# out as a traceback.
_SIGNALLED_AS_THE_SCRIPT_TAKES_THE_SIGNALS = """
import os, signal, sys, _omsclient_command

class Signalled(list):
    def clear(self):
        os.kill(os.getpid(), signal.SIGINT)

_omsclient_command._last_term = Signalled()
sys.exit(_omsclient_command.main(["--version"]))
"""


def test_a_ctrl_c_as_the_console_script_takes_the_signals_is_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SIGNALLED_AS_THE_SCRIPT_TAKES_THE_SIGNALS],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert (done.returncode, done.stderr) == (130, "omsclient: interrupted\n")
