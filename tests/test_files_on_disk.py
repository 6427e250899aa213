"""What exports and syncs do to the file system: no link planted at the name of a file they
write beside their output leads their writes elsewhere, and a replaced output keeps its
permissions.

Exports often write into folders others can write to (``/tmp``): a link another user puts at
``PATH.partial``, ``PATH.checkpoint.tmp`` or ``PATH.lock`` would have the export write through
it, into any file its user may write, and rename the link into place as the output.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import omsclient
from omsclient import _file_lock, cli
from omsclient._commands import _export
from omsclient.dbsync import DatabaseError, sync_orders
from omsclient.export import CheckpointError, ExportError, ExportProgress, export_orders
from omsclient.export._checkpoint import ExportPaths
from omsclient.export._parquet import jsonl_to_parquet
from omsclient.sandbox import SandboxConfig, asgi_transport

from .test_export import Stop, stop_after

ORDERS = 300


@pytest.fixture
async def oms() -> AsyncIterator[omsclient.AsyncClient]:
    transport, info = asgi_transport(SandboxConfig(orders=ORDERS, products=20, seed=5))
    http = httpx.AsyncClient(transport=transport)
    async with omsclient.AsyncClient(**info.client_kwargs(), http_client=http) as client:
        yield client


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file of someone else's that a planted link points at."""
    path = tmp_path / "elsewhere" / "important.txt"
    path.parent.mkdir()
    path.write_text("keep me")
    return path


def read(path: Path) -> bytes:
    return path.read_bytes()


def untouched(victim: Path) -> bool:
    return victim.read_text() == "keep me"


def planting(link: Path, target: Path) -> Callable[[ExportProgress], None]:
    """A progress callback putting ``link`` (to ``target``) in place at the first batch, as
    another user would while the export runs. Once: a Parquet conversion reports progress
    too, and a link planted again there would replace the file being converted."""
    planted = False

    def progress(p: ExportProgress) -> None:
        nonlocal planted
        if not planted:
            planted = True
            link.unlink(missing_ok=True)
            link.symlink_to(target)

    return progress


@pytest.mark.parametrize(
    ("fmt", "side"),
    [("jsonl", ".checkpoint.tmp"), ("parquet", ".partial"), ("parquet", ".checkpoint.tmp")],
)
async def test_a_link_planted_beside_a_running_export_is_not_written_through(
    oms: omsclient.AsyncClient, tmp_path: Path, victim: Path, fmt: str, side: str
) -> None:
    out = tmp_path / f"orders.{fmt}"
    link = tmp_path / (out.name + side)
    summary = await export_orders(oms, out, format=fmt, progress=planting(link, victim))
    assert summary.exported == ORDERS
    assert untouched(victim)
    assert not out.is_symlink()
    assert out.stat().st_size > 0
    assert not (tmp_path / "elsewhere" / "important.txt.partial").exists()


async def test_a_link_at_the_lock_files_name_is_refused_not_followed(
    oms: omsclient.AsyncClient, tmp_path: Path, victim: Path
) -> None:
    out = tmp_path / "orders.jsonl"
    (tmp_path / "orders.jsonl.lock").symlink_to(victim)
    with pytest.raises(OSError, match="symbolic link is where the lock file goes"):
        await export_orders(oms, out)
    assert untouched(victim)
    assert not out.exists()


def replaced_by_a_link(partial: Path, victim: Path, hard: bool) -> bytes:
    """``partial`` replaced by a link to ``victim``, which holds more than it did; what."""
    victim.write_bytes(partial.read_bytes() + b"and more of someone else's")
    partial.unlink()
    if hard:
        partial.hardlink_to(victim)
    else:
        partial.symlink_to(victim)
    return victim.read_bytes()


@pytest.mark.parametrize("hard", [False, True])
async def test_a_resume_finding_a_link_in_place_of_its_partial_output_stops(
    oms: omsclient.AsyncClient, tmp_path: Path, victim: Path, hard: bool
) -> None:
    out = tmp_path / "orders.jsonl"
    with pytest.raises(Stop):
        await export_orders(oms, out, progress=stop_after(2))
    before = replaced_by_a_link(tmp_path / "orders.jsonl.partial", victim, hard)
    with pytest.raises(CheckpointError, match="no longer the file the export wrote"):
        await export_orders(oms, out, resume=True)
    assert read(victim) == before  # not cut back to the checkpoint's size


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
async def test_an_output_replaced_keeps_its_permissions(
    oms: omsclient.AsyncClient, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"orders.{fmt}"
    out.write_text("an older export")
    out.chmod(0o600)  # made private by its owner
    await export_orders(oms, out, format=fmt)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.stat().st_size > len("an older export")


def modes(output: Path) -> dict[str, int]:
    """The permission bits of ``output`` and the files beside it, by what follows its name."""
    return {
        side.name.removeprefix(output.name): stat.S_IMODE(side.stat().st_mode)
        for side in output.parent.iterdir()
    }


@pytest.mark.parametrize(("fmt", "rows"), [("jsonl", ".partial"), ("parquet", ".partial.jsonl")])
async def test_the_files_beside_a_private_output_are_private_too(
    oms: omsclient.AsyncClient, tmp_path: Path, fmt: str, rows: str
) -> None:
    # The output kept its 0600 at the rename, but every row sat meanwhile in a 0644 side file,
    # as did the checkpoint (order ids, the host and the user name) and the lock; after an
    # interrupted run they stayed there, readable by every user, until a resume.
    out = tmp_path / f"orders.{fmt}"
    out.write_text("an older export")
    out.chmod(0o600)
    seen: dict[str, int] = {}
    stop = stop_after(2)

    def look(p: ExportProgress) -> None:
        seen.update(modes(out))
        stop(p)

    old = os.umask(0o022)
    try:
        with pytest.raises(Stop):
            await export_orders(oms, out, format=fmt, progress=look)
    finally:
        os.umask(old)
    assert {rows, ".checkpoint", ".lock"} <= seen.keys()
    left = modes(out)
    assert {rows, ".checkpoint"} <= left.keys()
    assert (tmp_path / f"{out.name}{rows}").stat().st_size > 0
    assert seen == dict.fromkeys(seen, 0o600)
    assert left == dict.fromkeys(left, 0o600)


async def test_the_rows_on_their_way_to_a_read_only_output_stay_the_owners_to_write(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # Made with the output's 0444, the .partial could not be opened again by a resume (nor
    # its staged rows read back for Parquet): "no longer the file the export wrote".
    out = tmp_path / "orders.jsonl"
    out.write_text("an older export")
    out.chmod(0o444)
    old = os.umask(0o022)
    try:
        with pytest.raises(Stop):
            await export_orders(oms, out, progress=stop_after(2))
        partial = tmp_path / "orders.jsonl.partial"
        assert stat.S_IMODE(partial.stat().st_mode) == 0o644
        await export_orders(oms, out, resume=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o444


def test_a_parquet_file_is_made_with_the_mode_it_is_given(tmp_path: Path) -> None:
    source, target = tmp_path / "rows.jsonl", tmp_path / "rows.parquet"
    source.write_bytes(b'{"order_id": "INV1"}\n')
    old = os.umask(0o022)
    try:
        assert jsonl_to_parquet(source, target, mode=0o600) == 1
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_a_new_output_is_made_as_the_umask_says(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    out = tmp_path / "orders.jsonl"
    old = os.umask(0o077)
    try:
        await export_orders(oms, out)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_ctrl_c_while_the_command_checks_its_output_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first check of a Parquet export imports pyarrow, which takes a while: a Ctrl-C then
    # printed a traceback and killed the command by its signal.
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_export, "check_output", interrupted)
    out = tmp_path / "o.parquet"
    code = cli.main(["export", "orders", "--sandbox", "--out", str(out)])
    assert code == cli.EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert err == "omsclient: error: interrupted before anything was written\n"
    # An earlier run's checkpoint is still there to resume from: it said nothing was
    # written, with no --resume hint.
    ExportPaths.for_output(out, staged=True).checkpoint.write_text("{}")
    code = cli.main(["export", "orders", "--sandbox", "--out", str(out), "--resume"])
    assert code == cli.EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert err == (
        f"omsclient: error: interrupted; run the same command with --resume to continue into {out}\n"
    )


async def test_a_link_at_the_name_of_a_syncs_lock_file_is_refused_not_followed(
    oms: omsclient.AsyncClient, tmp_path: Path, victim: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = f"sqlite:///{tmp_path / 'orders.db'}"
    locks: list[Path] = []
    opened = _file_lock.open_lock

    def recorded(path: Path, mode: int) -> Any:
        locks.append(path)
        return opened(path, mode)

    monkeypatch.setattr(_file_lock, "open_lock", recorded)
    assert (await sync_orders(oms, database)).new == ORDERS
    (lock,) = locks
    assert lock.name.startswith("orders.db-sync-")
    lock.symlink_to(victim)  # the name is the same on every run of these filters
    with pytest.raises(DatabaseError, match="symbolic link is where the lock file goes"):
        await sync_orders(oms, database)
    assert untouched(victim)


@pytest.mark.parametrize(
    ("fmt", "rows", "replaced"),
    [
        ("jsonl", "o.jsonl.partial", False),
        ("jsonl", "o.jsonl.partial", True),
        ("csv", "o.csv.partial", False),
        ("parquet", "o.parquet.partial.jsonl", False),
    ],
)
async def test_an_export_whose_rows_file_is_removed_while_it_runs_fails(
    oms: omsclient.AsyncClient, tmp_path: Path, fmt: str, rows: str, replaced: bool
) -> None:
    # A cleaner emptying the folder: the export went on writing to the removed file and
    # reported every row exported, with no output anywhere.
    out = tmp_path / f"o.{fmt}"

    def remove(progress: ExportProgress) -> None:
        (tmp_path / rows).unlink(missing_ok=True)
        if replaced:
            (tmp_path / rows).write_bytes(b"")

    with pytest.raises(ExportError, match="removed or replaced while the export wrote to it"):
        await export_orders(oms, out, format=fmt, progress=remove)  # type: ignore[arg-type]
    assert not out.exists()


async def test_a_sqlite_database_removed_while_the_sync_runs_fails_it(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # SQLite went on writing to the removed file, and the sync reported every row stored.
    db = tmp_path / "o.db"

    def remove(progress: Any) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    with pytest.raises(DatabaseError, match="removed or replaced while the sync wrote to it"):
        await sync_orders(oms, f"sqlite:///{db}", progress=remove)


async def test_a_sync_into_a_relative_path_survives_the_program_changing_its_folder(
    oms: omsclient.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite holds the file's absolute path: the check that it is still there must too.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")

    def elsewhere(progress: Any) -> None:
        os.chdir(tmp_path / "b")

    summary = await sync_orders(oms, "sqlite:///o.db", progress=elsewhere)
    assert summary.new == ORDERS
    assert (tmp_path / "a" / "o.db").exists()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
async def test_an_export_to_a_relative_path_survives_the_program_changing_its_folder(
    oms: omsclient.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    # Its checkpoints went to the new folder, and it reported every row exported with no
    # output anywhere (Parquet failed).
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")

    def elsewhere(progress: ExportProgress) -> None:
        os.chdir(tmp_path / "b")

    summary = await export_orders(oms, f"o.{fmt}", progress=elsewhere)
    assert summary.exported == ORDERS
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [f"o.{fmt}"]
    assert list((tmp_path / "b").iterdir()) == []


async def test_an_export_through_a_linked_folder_and_dot_dot_is_written_where_the_os_says(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # "current/.." is the parent of current's target; read as text, it is tmp_path, and the
    # check that the rows file is still there failed every run.
    (tmp_path / "data" / "target").mkdir(parents=True)
    (tmp_path / "current").symlink_to(tmp_path / "data" / "target")
    summary = await export_orders(oms, tmp_path / "current" / ".." / "o.jsonl")
    assert summary.exported == ORDERS
    assert (tmp_path / "data" / "o.jsonl").exists()


def test_every_file_a_job_writes_is_opened_in_binary_mode_where_the_platform_has_text_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # On Windows os.open without O_BINARY gives the C runtime's text mode, which writes each
    # "\n" as "\r\n" whatever fdopen's mode says: a CSV row ended in "\r\r\n", a line break in
    # a cell came back as "\r\n", and every JSON line differed from the bytes sent. Here the
    # flag is Linux's O_LARGEFILE's bit, harmless, to see that each open passes it.
    from omsclient import _new_files

    binary = 0x8000
    monkeypatch.setattr(_new_files, "_BINARY", binary)
    opened: list[int] = []
    real_open = os.open

    def recording(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        opened.append(flags)
        return int(real_open(path, flags, *args, **kwargs))

    monkeypatch.setattr(os, "open", recording)
    with _new_files.create_new(tmp_path / "o.partial") as made:
        made.write(b"{}\n")
    with _new_files.open_existing(tmp_path / "o.partial"):
        pass
    _new_files.open_lock(tmp_path / "o.lock").close()
    assert len(opened) == 3
    assert all(flags & binary for flags in opened)
