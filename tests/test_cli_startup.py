"""The command as a new user meets it: start-up checks, usage, defaults, the sandbox banner."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from omsclient import cli
from omsclient._commands import _export, _running, _sandbox
from omsclient.dbsync import DatabaseUrlError
from omsclient.dbsync._url import parse_database_url
from omsclient.sandbox import Quirks, SandboxConfig
from omsclient.sandbox._cli import banner
from omsclient.sandbox._config import DEFAULT_ORDERS, DEFAULT_PRODUCTS

from .conftest import LEGACY, PASSWORD, RESPX_TRANSPORT, free_port, ok

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMS_LEGACY_URL", LEGACY)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)


@pytest.fixture
def server() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock.route(url__startswith=LEGACY).mock(
            return_value=httpx.Response(200, json=ok(orders=[], total=0))
        )


@pytest.fixture
def no_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(args: Any) -> Any:
        raise AssertionError("the sandbox started before the arguments were checked")

    monkeypatch.setattr(_sandbox, "sandbox", refuse)


def read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (root ignores permission bits)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.usefixtures("env")
def test_out_naming_a_folder_is_refused_before_the_first_request(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli.main(["export", "orders", "--format", "jsonl", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert not server.called
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_sandbox")
@pytest.mark.parametrize(
    ("out", "extra", "message"),
    [
        ("missing/o.jsonl", [], "missing does not exist"),
        (".", ["--format", "csv"], "cannot write .: it names a folder"),
        ("o.parquet", [], "pip install 'omsclient[parquet]'"),
        ("READ_ONLY/o.jsonl", [], "cannot write"),
        ("folder", ["--format", "csv"], "is a folder"),
    ],
)
def test_start_up_errors_come_before_the_sandbox_and_any_progress_bar(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    out: str,
    extra: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    out = out.replace("READ_ONLY", str(read_only_folder(tmp_path)))
    assert cli.main(["export", "orders", "--sandbox", "--out", out, *extra]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    # One line: the error, no progress bar before it.
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("omsclient: error:")
    assert captured.out == ""


@pytest.mark.usefixtures("no_sandbox")
def test_a_sqlite_database_in_a_read_only_folder_is_refused_before_the_sandbox(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # SQLite creates the file, and its -wal and -shm beside it, in that folder: refused after
    # the sandbox and a progress bar, as "unable to open database file".
    folder = read_only_folder(tmp_path)
    assert cli.main(["sync", "orders", "--sandbox", "--db", f"sqlite:///{folder}/o.db"]) == 2
    captured = capsys.readouterr()
    assert f"the folder {folder} is not writable" in captured.err
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("omsclient: error:")


@pytest.mark.usefixtures("env")
def test_a_token_set_with_its_scheme_is_refused_in_words_that_keep_the_scheme(
    server: respx.Route,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The token's first characters, "Bearer", were redacted as a secret cut short: the hint
    # read "the client sends '[REDACTED]' before it".
    monkeypatch.setenv("OMS_API_TOKEN", "Bearer s3cr3t-token")
    assert cli.main(["export", "orders", "--quiet", "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.endswith("must be the token alone: the client sends 'Bearer ' before it\n")
    assert not server.called
    # The token itself is still a secret.
    monkeypatch.setenv("OMS_API_TOKEN", "bearer  s3cr3t-token")
    _running.error("echoed s3cr3t-token and s3cr3t")
    assert capsys.readouterr().err == "omsclient: error: echoed [REDACTED] and [REDACTED]\n"


@pytest.mark.usefixtures("env")
def test_a_finished_output_is_not_replaced_without_overwrite(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text('{"order_id": "kept"}\n')
    assert cli.main(["export", "orders", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    # The option the user types, not the Python argument.
    assert err.endswith("already exists (a finished export); add --overwrite to replace it\n")
    assert "=True" not in err
    assert not server.called
    assert out.read_text() == '{"order_id": "kept"}\n'
    # --resume without a checkpoint to finish would start afresh: refused too.
    assert cli.main(["export", "orders", "--quiet", "--resume", "--out", str(out)]) == 2
    assert not server.called
    argv = ["export", "orders", "--quiet", "--overwrite", "--out", str(out)]
    assert cli.main([*argv, *RESPX_TRANSPORT]) == 0
    assert server.called
    assert out.read_text() == ""


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("kind", ["orders", "products"])
def test_an_output_another_export_finished_after_the_check_is_not_replaced(
    server: respx.Route,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    kind: str,
) -> None:
    # The command checks its output before its client (or sandbox) starts; another export to
    # the same path may end in between. It was replaced though --overwrite was not given.
    out = tmp_path / "o.jsonl"
    checked = _export.check_output

    def then_finished(*args: Any, **kwargs: Any) -> Path:
        path = checked(*args, **kwargs)
        out.write_text('{"order_id": "the other export\'s"}\n')
        return path

    monkeypatch.setattr(_export, "check_output", then_finished)
    assert cli.main(["export", kind, "--quiet", "--out", str(out), *RESPX_TRANSPORT]) == 2
    err = capsys.readouterr().err
    assert err.endswith("already exists (a finished export); add --overwrite to replace it\n")
    assert not server.called
    assert out.read_text() == '{"order_id": "the other export\'s"}\n'
    argv = ["export", kind, "--quiet", "--overwrite", "--out", str(out), *RESPX_TRANSPORT]
    assert cli.main(argv) == 0
    assert out.read_text() == ""


@pytest.mark.usefixtures("env")
def test_write_errors_name_the_output_not_a_side_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "o.jsonl"

    async def failing(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", f"{out}.lock")

    monkeypatch.setattr(_export, "export_orders", failing)
    assert cli.main(["export", "orders", "--quiet", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {out}: Permission denied" in err


def test_the_lock_file_is_documented() -> None:
    docs = (ROOT / "docs" / "export.md").read_text()
    assert "PATH.lock" in docs


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["export", "orders", "--out", "o.jsonl", "--bogus"], "usage: omsclient export orders"),
        (
            ["export", "products", "--out", "o.jsonl", "--status", "1"],
            "usage: omsclient export products",
        ),
        (
            ["sync", "orders", "--db", "sqlite:///o.db", "--out", "x"],
            "usage: omsclient sync orders",
        ),
        (["sandbox", "--bogus"], "usage: omsclient sandbox"),
    ],
)
def test_a_wrong_option_shows_the_subcommands_usage(
    capsys: pytest.CaptureFixture[str], argv: list[str], usage: str
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert "unrecognized arguments" in err


def test_the_sandboxs_own_credentials_in_the_environment_leave_the_commands_words_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # With the defaults exported as docs/sandbox.md shows (sandbox-secret, sandbox-token),
    # text starting like them was hidden as a secret echoed cut short: "or try --[REDACTED]".
    config = SandboxConfig()
    monkeypatch.setenv("OMS_PASSWORD", config.password)
    monkeypatch.setenv("OMS_API_TOKEN", config.api_token)
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    assert cli.main(["export", "orders", "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "or try --sandbox" in err
    assert "REDACTED" not in err


def test_the_banner_exports_the_store_id_for_rest() -> None:
    text = banner(SandboxConfig(orders=10, products=5, store_id="77"), "http://127.0.0.1:9")
    (rest_line,) = [line for line in text.splitlines() if "OMS_REST_URL" in line]
    assert rest_line.strip().startswith("export ")
    assert "OMS_STORE_ID=77" in rest_line
    assert "OMS_API_TOKEN=tk-sandbox-1" in rest_line


def test_the_banner_exports_credentials_a_shell_reads_back() -> None:
    # Pasted into a shell, "$$" became the shell's pid and a space split the password off.
    config = SandboxConfig(
        orders=1, products=1, username="o'hara", password="pa$$ word;x", api_token="t&k"
    )
    text = banner(config, "http://127.0.0.1:9")
    exports = "\n".join(line for line in text.splitlines() if line.strip().startswith("export"))
    script = exports + '\nprintf "%s\\n" "$OMS_USERNAME" "$OMS_PASSWORD" "$OMS_API_TOKEN"'
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert result.stdout.splitlines() == ["o'hara", "pa$$ word;x", "t&k"]
    assert "OMS_STORE_ID=1" in text


def test_the_banner_shows_a_credential_a_terminal_would_act_on_as_its_escapes() -> None:
    # A right-to-left override turned the password around on screen; control characters are
    # refused with the setting (an escape sequence repainted the terminal).
    config = SandboxConfig(orders=1, products=1, password="pw\u202e1-sandbox")
    lines = banner(config, "http://127.0.0.1:9").splitlines()
    assert "  password    pw\\u202e1-sandbox" in lines
    with pytest.raises(ValueError, match="holds a control character \\(U\\+001B\\)"):
        SandboxConfig(orders=1, products=1, username="u\x1b[31mred")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--error-rate", "abc", "'abc' is not a rate between 0 and 1"),
        ("--drop-rate", "1.5", "'1.5' is not a rate between 0 and 1"),
        ("--start", "2024-13-01", "'2024-13-01' is not a date like 2024-01-01"),
    ],
)
def test_a_sandbox_option_of_no_use_says_what_it_takes(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # It named the function reading it: "invalid _rate value: 'abc'".
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["sandbox", option, value])
    assert f"argument {option}: {message}" in capsys.readouterr().err


@pytest.mark.parametrize("zone", [None, "America/New_York"])
def test_the_banner_exports_the_zone_the_sandbox_compares_dates_in(zone: str | None) -> None:
    # Pasted, its lines left OMS_LEGACY_TIMEZONE as the shell had it: against a sandbox
    # comparing in New York, a client writing UTC read a month's export short, with exit 0.
    config = SandboxConfig(orders=1, products=1, quirks=Quirks(condition_zone=zone))
    exports = [
        line for line in banner(config, "http://127.0.0.1:9").splitlines() if "export" in line
    ]
    assert f"OMS_LEGACY_TIMEZONE={zone or 'UTC'}" in exports[0]


def test_one_default_sandbox_size_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    config = SandboxConfig()
    assert (config.orders, config.products) == (DEFAULT_ORDERS, DEFAULT_PRODUCTS)
    parser = cli.build_parser()
    sandbox = parser.parse_args(["sandbox"])
    assert (sandbox.orders, sandbox.products) == (DEFAULT_ORDERS, DEFAULT_PRODUCTS)
    export = parser.parse_args(["export", "orders", "--out", "o.jsonl"])
    assert export.sandbox_orders == DEFAULT_ORDERS
    sync = parser.parse_args(["sync", "orders", "--db", "sqlite:///o.db"])
    assert sync.sandbox_orders == DEFAULT_ORDERS
    assert cli.main(["sandbox", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"orders to generate (default: {DEFAULT_ORDERS})" in help_text
    assert f"products to generate (default: {DEFAULT_PRODUCTS})" in help_text
    assert "(default: 8080)" in help_text


@pytest.mark.parametrize("module", ["starlette", "uvicorn"])
@pytest.mark.parametrize("argv", [["sandbox", "--port", "0"], ["export", "orders", "--sandbox"]])
def test_the_sandbox_without_its_extra_names_the_extra(
    module: str,
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # The base install meets it first: a traceback of uvicorn's import said nothing to do.
    monkeypatch.setitem(sys.modules, module, None)
    if argv[0] == "export":
        argv = [*argv, "--out", str(tmp_path / "o.jsonl")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "pip install 'omsclient[sandbox]'" in err
    assert "Traceback" not in err
    assert err.startswith("omsclient: error:")  # the sandbox's own began "error:"


@pytest.mark.parametrize(
    ("argv", "example"),
    [
        (["export", "orders"], "omsclient export orders --sandbox --out orders.jsonl"),
        (["export", "products"], "omsclient export products --sandbox --out products.jsonl"),
        (["sync", "orders"], "omsclient sync orders --sandbox --db sqlite:///try.db"),
        (["sync", "products"], "omsclient sync products --sandbox --db sqlite:///try.db"),
    ],
)
def test_each_commands_help_says_what_it_does_with_an_example_to_try(
    argv: list[str], example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The page a newcomer opens first began with the usage and went straight to the options.
    assert cli.main([*argv, "--help"]) == 0
    head = " ".join(capsys.readouterr().out.split("\noptions:")[0].split())
    said = {"export": "--resume", "sync": "only what changed"}[argv[0]]
    if argv[:2] == ["sync", "products"]:
        # Nothing in a product says it changed: every run reads the whole catalogue.
        said = "later runs read the whole catalogue again"
    assert said in head
    assert example in head


def test_the_readme_first_commands_output_is_git_ignored() -> None:
    first = (ROOT / "README.md").read_text().split("```bash\n", 1)[1].splitlines()[0]
    out = first.split("--out ", 1)[1].split()[0]
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert f"/{out}" in ignored


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_resume_finishes_an_export_killed_after_the_rename(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fmt: str,
) -> None:
    from omsclient.export import _exporter

    out = tmp_path / f"orders.{fmt}"
    argv = ["export", "orders", "--sandbox", "--sandbox-orders", "300", "--sandbox-latency", "0"]
    argv += ["--quiet", "--out", str(out)]
    real_remove = _exporter._remove

    def killed(path: Path | None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_exporter, "_remove", killed)
    assert cli.main(argv) == 130
    assert out.exists()
    assert "--resume" in capsys.readouterr().err
    monkeypatch.setattr(_exporter, "_remove", real_remove)
    # The finished output is not "an existing output" to refuse: resume finishes the job.
    assert cli.main([*argv, "--resume"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_out_name_too_long_for_its_side_files_is_refused_before_the_first_request(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    # Fits itself (and PATH.lock), but not PATH.checkpoint's temporary file or the staged
    # PATH.partial.jsonl: found only once the first page was written, with a resume that
    # could never succeed.
    name = "o" * (249 - len(fmt)) + "." + fmt
    out = tmp_path / name
    argv = ["export", "orders", "--quiet", "--out", str(out), *RESPX_TRANSPORT]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("omsclient: error:")
    assert "too long" in err
    assert not server.called
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("env")
def test_a_database_name_too_long_for_its_lock_file_is_refused_before_the_first_request(
    server: respx.Route, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Fits itself, but not PATH-sync-<query>.lock: every run made the database and its
    # tables, failed on the lock, exited 1 and said to run again.
    database = tmp_path / ("o" * 230 + ".db")  # 233 bytes: the lock's name is 256
    argv = ["sync", "orders", "--quiet", "--db", f"sqlite:///{database}", *RESPX_TRANSPORT]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("omsclient: error:")
    assert "too long for the lock file" in err
    assert "use a name of at most 232 bytes" in err
    assert not server.called
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_reader_gone_from_stdout_fails_no_finished_job(tmp_path: Path, command: str) -> None:
    # `omsclient export ... | head -0`: the summary meets a closed pipe once the job is done.
    import subprocess

    target = ["--out", str(tmp_path / "o.jsonl")]
    if command == "sync":
        target = ["--db", f"sqlite:///{tmp_path / 'o.db'}"]
    argv = [sys.executable, "-m", "omsclient", command, "orders", *target]
    argv += ["--sandbox", "--sandbox-orders", "300", "--sandbox-latency", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80"}
    read, write = os.pipe()
    os.close(read)  # no reader: every write to stdout fails with EPIPE
    try:
        done = subprocess.run(
            argv, stdout=write, stderr=subprocess.PIPE, env=env, timeout=120, check=False
        )
    finally:
        os.close(write)
    assert done.returncode == 0, done.stderr.decode()
    # A reader gone is what `| head` does, not a failure to tell of.
    assert b"could not be written" not in done.stderr
    if command == "export":
        assert len((tmp_path / "o.jsonl").read_bytes().splitlines()) == 300


@pytest.mark.parametrize(
    "arguments",
    [
        ["export", "orders", "--out", "o.txt"],
        # argparse's own errors: it printed the usage to stdout when stderr was gone.
        ["export", "orders", "--out", "-"],
        ["export", "orders", "--out", "o.jsonl", "--bogus"],
        ["sync", "orders", "--db", "sqlite:///a.db", "--db", "sqlite:///b.db"],
        ["export", "orders", "--out", "o.jsonl", "--sandbox-orders", "5"],
    ],
    ids=["no-such-format", "out-dash", "unknown-option", "option-twice", "sandbox-option-alone"],
)
def test_an_error_with_stderr_closed_goes_nowhere_else(
    tmp_path: Path, arguments: list[str]
) -> None:
    # `omsclient export ... 2>&-`: with no stderr, print() wrote the error to stdout.
    import subprocess

    argv = [sys.executable, "-m", "omsclient", *arguments]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMS_LEGACY_URL": LEGACY}
    env |= {"OMS_USERNAME": "fred", "OMS_PASSWORD": PASSWORD}
    done = subprocess.run(
        argv,
        stdout=subprocess.PIPE,
        env=env,
        timeout=60,
        check=False,
        cwd=tmp_path,
        preexec_fn=lambda: os.close(2),  # the child's own stderr, closed
    )
    assert done.returncode == 2
    assert done.stdout == b""


# A real SIGINT, raised in the child while it imports ``module``: signal.raise_signal checks for
# the signal before it returns, so the KeyboardInterrupt comes from inside that import, every
# time. Nothing of the command is replaced; the hook is the child's own code, not a module.
_CTRL_C_DURING_IMPORT = """
import signal, sys

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            signal.raise_signal(signal.SIGINT)

sys.meta_path.insert(0, CtrlC())
"""


@pytest.mark.parametrize(
    ("entry", "module"),
    [
        # The console script: the whole client is imported after Ctrl-C can be caught, and
        # its own first imports (a traceback of them, one run in 15).
        ("import _omsclient_command; sys.exit(_omsclient_command.main())", "atexit"),
        ("import _omsclient_command; sys.exit(_omsclient_command.main())", "httpx"),
        ("import _omsclient_command; sys.exit(_omsclient_command.main())", "omsclient.cli"),
        # The command's parser, built after the imports: the sandbox's options, the transport.
        (
            "import _omsclient_command; sys.exit(_omsclient_command.main())",
            "omsclient.sandbox._cli",
        ),
        ("import _omsclient_command; sys.exit(_omsclient_command.main())", "httpx_aiohttp"),
        # python -m omsclient: the command's own modules, and those main() imports.
        ("import runpy; runpy.run_module('omsclient', run_name='__main__')", "omsclient.cli"),
        ("import runpy; runpy.run_module('omsclient', run_name='__main__')", "argparse"),
    ],
)
def test_ctrl_c_while_the_command_starts_exits_130_without_a_traceback(
    entry: str, module: str, tmp_path: Path
) -> None:
    code = _CTRL_C_DURING_IMPORT.format(module=module) + entry
    argv = [sys.executable, "-c", code, "export", "orders", "--sandbox", "--out"]
    argv.append(str(tmp_path / "o.jsonl"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert "Traceback" not in done.stderr
    assert done.stderr == "omsclient: interrupted\n"
    assert done.returncode == 130
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("module", ["uvicorn", "omsclient.sandbox._app"])
@pytest.mark.parametrize(
    ("entry", "args"),
    [("omsclient", ["sandbox", "--port", "0"]), ("omsclient.sandbox", ["--port", "0"])],
)
def test_ctrl_c_while_the_sandbox_starts_exits_quietly(
    module: str, entry: str, args: list[str]
) -> None:
    # cli.md: Ctrl-C stops it with exit code 0, also before it serves; sandbox.md: quietly.
    code = _CTRL_C_DURING_IMPORT.format(module=module)
    code += f"import runpy; runpy.run_module({entry!r}, run_name='__main__', alter_sys=True)"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_the_console_script_starts_outside_the_package() -> None:
    # Inside it, the whole client is imported before any code could catch a Ctrl-C.
    project = (ROOT / "pyproject.toml").read_text()
    assert '\nomsclient = "_omsclient_command:main"\n' in project
    assert '"src/_omsclient_command.py"' in project  # in the wheel


def _command(*args: str, **env: str) -> tuple[list[str], dict[str, str]]:
    """The argv running ``omsclient ARGS`` from this tree, and its environment plus ``env``."""
    argv = [sys.executable, "-m", "omsclient", *args]
    return argv, {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80", **env}


SANDBOX = ["--sandbox", "--sandbox-orders", "300", "--sandbox-latency", "0"]


@pytest.mark.parametrize("command", ["export", "sync"])
def test_a_stderr_that_takes_no_more_stops_no_job(tmp_path: Path, command: str) -> None:
    # `omsclient export ... 2>&1 >out | head -1`: once head had gone, the next progress line
    # failed the export (exit 1), and the error blamed the output file.
    import subprocess

    target = ["--out", str(tmp_path / "o.jsonl")]
    if command == "sync":
        target = ["--db", f"sqlite:///{tmp_path / 'o.db'}"]
    argv, env = _command(command, "orders", *target, *SANDBOX)
    read, write = os.pipe()
    os.close(read)  # no reader: every write to stderr fails with EPIPE
    try:
        done = subprocess.run(
            argv, stdout=subprocess.PIPE, stderr=write, env=env, timeout=120, check=False
        )
    finally:
        os.close(write)
    assert done.returncode == 0
    assert b"300" in done.stdout  # the summary
    if command == "export":
        assert len((tmp_path / "o.jsonl").read_bytes().splitlines()) == 300


def test_a_summary_stdout_cannot_encode_ends_a_finished_job_well(tmp_path: Path) -> None:
    # A path the terminal's encoding cannot show failed the finished export at its summary,
    # with a traceback and exit 1; a path holding [bold] lost it as rich markup, and [/b]
    # failed the command; a long one was cut at 80 columns.
    import subprocess

    folder = tmp_path / "run["
    folder.mkdir()
    out = folder / ("b][bold]Bestellungen-größe-" + "n" * 60 + ".jsonl")  # run[/b][bold]...
    argv, env = _command("export", "orders", "--out", str(out), *SANDBOX, PYTHONIOENCODING="ascii")
    done = subprocess.run(argv, capture_output=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    summary = b"".join(line.strip(b" \xe2\x94\x82|") for line in done.stdout.splitlines())
    summary = summary.replace(b" ", b"")
    assert b"run[/b][bold]Bestellungen-gr\\xf6\\xdfe-" + b"n" * 60 + b".jsonl" in summary
    assert len(out.read_bytes().splitlines()) == 300
    # Laid out with the escapes it is written with: one "\xf6" for one cell broke the borders
    # and ran past the terminal's width.
    rows = [line for line in done.stdout.splitlines() if line.startswith((b"|", b"+"))]
    assert {len(row) for row in rows} == {80}


def test_a_full_stdout_is_noted_and_fails_no_finished_job(tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "o.jsonl"
    argv, env = _command("export", "orders", "--out", str(out), *SANDBOX)
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            argv, stdout=full, stderr=subprocess.PIPE, env=env, timeout=120, check=False
        )
    assert done.returncode == 0, done.stderr.decode()
    assert b"the summary could not be written to stdout: No space left on device" in done.stderr
    assert b"Traceback" not in done.stderr
    assert len(out.read_bytes().splitlines()) == 300


def test_the_sandbox_serves_on_once_its_banners_reader_has_gone() -> None:
    # `python -m omsclient.sandbox | head -1` for its URL: when head had gone before the last
    # write of the banner, the sandbox died before serving.
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    argv = [sys.executable, "-m", "omsclient.sandbox", "--orders", "10", "--port", str(port)]
    read, write = os.pipe()
    os.close(read)
    server = subprocess.Popen(argv, stdout=write, stderr=subprocess.PIPE, env=env)
    os.close(write)
    _assert_serves(server, port)


def test_the_sandbox_serves_with_its_stdout_closed() -> None:
    # `omsclient sandbox >&-`: uvicorn's logging set up on a missing stdout failed the start.
    port = free_port()
    argv, env = _command("sandbox", "--orders", "10", "--port", str(port))
    server = subprocess.Popen(argv, stderr=subprocess.PIPE, env=env, preexec_fn=lambda: os.close(1))
    _assert_serves(server, port)


def _assert_serves(server: subprocess.Popen[bytes], port: int) -> None:
    """Fails unless the sandbox ``server`` answers on ``port`` within a minute and still runs
    then; stops it either way."""
    try:
        deadline = time.monotonic() + 60
        answered = None
        while answered is None and server.poll() is None and time.monotonic() < deadline:
            try:
                answered = httpx.post(f"http://127.0.0.1:{port}/api/json/manage_orders/find")
            except httpx.TransportError:
                time.sleep(0.05)
        assert server.poll() is None, server.communicate()[1].decode()
        assert answered is not None
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_the_command_run_as_a_function_leaves_the_programs_streams_as_they_were(
    tmp_path: Path,
) -> None:
    # A program calling cli.main() keeps its own stdout and stderr, errors setting included.
    import io

    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = cli.main(["export", "orders", "--out", str(tmp_path / "größe.jsonl"), *SANDBOX])
        assert (sys.stdout, sys.stderr) == (out, err)
    finally:
        sys.stdout, sys.stderr = saved
    assert code == 0
    assert (out.errors, err.errors) == ("strict", "strict")
    out.seek(0)
    assert "gr\\xf6\\xdfe.jsonl" in out.read()  # while it ran, escaped


@pytest.mark.parametrize("variable", ["OMS_PASSWORD", "OMS_API_TOKEN"])
def test_a_secret_holding_a_byte_that_is_no_utf8_is_refused_not_a_traceback(
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Read from the environment, the byte is a lone surrogate: the redactor of every message the
    # command prints failed on it, so the refusal (or any error) was a traceback and exit 1.
    monkeypatch.setenv("OMS_LEGACY_URL", LEGACY)
    monkeypatch.setenv("OMS_USERNAME", "fred")
    monkeypatch.setenv("OMS_PASSWORD", PASSWORD)
    monkeypatch.setenv(variable, "SECRETPW\udcff")
    assert cli.main(["export", "orders", "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"omsclient: error: {variable}" in err
    assert "lone surrogate" in err
    assert "SECRETPW" not in err


@pytest.mark.parametrize("wrapped", [True, False])
def test_ctrl_c_wrapped_as_an_import_defines_a_class_stops_the_sandbox_quietly(
    monkeypatch: pytest.MonkeyPatch, wrapped: bool
) -> None:
    # Python 3.10 and 3.11 raise what __set_name__ raises (starlette's dataclasses, defined as
    # the sandbox starts) as the cause of a RuntimeError: exit 130 and a line, not exit 0.
    import argparse

    from omsclient.sandbox import _cli

    def serve(args: argparse.Namespace) -> int:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("Error calling __set_name__") from (interrupt if wrapped else None)

    monkeypatch.setattr(_cli, "_serve", serve)
    if wrapped:
        assert _cli.run(argparse.Namespace()) == 0
    else:  # any other RuntimeError is no interrupt
        with pytest.raises(RuntimeError, match="__set_name__"):
            _cli.run(argparse.Namespace())


def test_a_sqlite_file_that_cannot_be_written_is_refused_before_anything_is_sent() -> None:
    # SQLite opened it to read, and the run failed at its first write, after a request: exit
    # 1, "Run the same command again to continue", and the same at every run after it.
    folder = Path(tempfile.mkdtemp())  # not under pytest's folder, which only root can enter
    try:
        folder.chmod(0o777)
        db = folder / "o.db"
        sqlite3.connect(db).close()
        db.chmod(0o444)
        read, write = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12's, of threads: none runs
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                if os.geteuid() == 0:  # root writes a file whatever its mode
                    os.setgid(65534)
                    os.setuid(65534)
                try:
                    parse_database_url(f"sqlite:///{db}")
                    said = "taken"
                except DatabaseUrlError as exc:
                    said = str(exc)
                os.write(write, said.encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as answer:
            said = answer.read()
        os.waitpid(pid, 0)
        assert said == (
            f"database URL 'sqlite:///{db}': the file {db} is not writable (Permission denied)"
        )
        # Nor is the file touched: its rows stay readable as they were.
        assert db.stat().st_mode & 0o777 == 0o444
    finally:
        shutil.rmtree(folder)
