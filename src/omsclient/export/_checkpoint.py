"""The checkpoint beside an export: where the scan stands and how much output is good."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Any

import attrs

from omsclient._exact_json import dumps_exact, loads_exact
from omsclient._file_lock import file_lock
from omsclient._new_files import create_new
from omsclient._validate import shown
from omsclient.errors import OmsError

__all__ = [
    "CHECKPOINT_VERSION",
    "Checkpoint",
    "CheckpointError",
    "ExportError",
    "ExportPaths",
    "OtherServerCheckpointError",
    "temporary_of",
]

CHECKPOINT_VERSION = 1


class ExportError(OmsError):
    """An export cannot go on: a checkpoint that does not fit, or output it cannot write."""


class CheckpointError(ExportError, ValueError):
    """``resume=True`` found a checkpoint that belongs to another export, or broken files.

    Nothing was sent. Start the export again without ``resume`` (which replaces the partial
    output), or resume with the same arguments as the interrupted run.
    """


class OtherServerCheckpointError(CheckpointError):
    """The checkpoint was written reading from another server or as another user."""


@attrs.frozen
class ExportPaths:
    """The files of one export, all beside the output.

    ``partial`` receives the output and is renamed to ``final`` at the end, so ``final`` is
    never half-written. Parquet stages the rows as JSON lines in ``staging`` (resumable like a
    JSONL export) and converts them to ``partial`` once the scan is done.
    """

    final: Path
    partial: Path
    checkpoint: Path
    staging: Path | None
    lock_file: Path

    @classmethod
    def for_output(cls, path: str | os.PathLike[str], staged: bool) -> ExportPaths:
        """The paths of an export to ``path``, or to the file it points to if it is a symlink."""
        # Absolute, the folder taken now: a program changing its folder during the export
        # would have it save its checkpoints and look for its output elsewhere. (Not
        # normalized: "link/.." is the link's target's parent, as the OS resolves it.)
        final = Path(path).absolute()
        if final.is_symlink():
            # Written where the link points, as cp and a shell's > write: the final rename
            # would replace the link itself and leave its file with the old data. The files
            # beside it are the target's too, so the link and the target share one lock and
            # a resume through either name finds the checkpoint.
            final = Path(os.path.realpath(final))
        return cls(
            final=final,
            partial=final.with_name(final.name + ".partial"),
            checkpoint=final.with_name(final.name + ".checkpoint"),
            staging=final.with_name(final.name + ".partial.jsonl") if staged else None,
            lock_file=final.with_name(final.name + ".lock"),
        )

    @property
    def rows_file(self) -> Path:
        """The file rows are appended to while scanning."""
        return self.staging or self.partial

    def made_as(self) -> int:
        """The mode to make the files beside ``final`` with (the rows on their way, the
        checkpoint, the lock): its group's and others' read and write bits when it is there
        (a private output's rows, and the order ids and user name the checkpoint holds, are
        never readable by others meanwhile, also while an interrupted run waits for its
        resume), else the usual 0o666; the umask applies either way. The owner always reads
        and writes them: a resume reopens them, and the conversion to Parquet reads them back
        (an output made read-only, 0o444, is given that mode again at the rename)."""
        try:
            return 0o600 | (stat.S_IMODE(self.final.stat().st_mode) & 0o066)
        except FileNotFoundError:
            return 0o666

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold an exclusive lock on ``PATH.lock`` for the whole export.

        Two exports to the same path at once (an overlapping scheduled run) would interleave
        their rows and overwrite each other's checkpoint; the second one stops instead. The OS
        releases the lock when the process dies, so a killed export never blocks its resume.
        Where ``fcntl`` is missing (Windows) there is no lock.
        """
        return file_lock(
            self.lock_file,
            lambda: ExportError(
                f"another export is writing {self.final} (it holds {self.lock_file}): this "
                "one stopped before sending anything; run it once that one has finished"
            ),
            self.made_as(),
        )

    def identity(self, path: Path) -> tuple[int, int, int] | None:
        """What tells the complete output apart from any other file: (inode, size, mtime)."""
        try:
            found = path.stat()
        except FileNotFoundError:
            return None
        return (found.st_ino, found.st_size, found.st_mtime_ns)

    def clear(self) -> None:
        """Remove what an earlier, unfinished export left (never ``final``)."""
        for path in (self.partial, self.checkpoint, self.staging):
            if path is not None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


@attrs.frozen
class Checkpoint:
    """What an interrupted export needs to continue.

    Attributes:
        kind: ``"orders"`` or ``"products"``.
        format: ``"jsonl"``, ``"csv"`` or ``"parquet"``.
        query: a fingerprint of the filters; a resume with other filters is refused.
        scan: the scan state after the last row written (``ScanState.to_dict()``).
        rows: rows in the output up to ``size``.
        size: bytes of the rows file that hold whole rows; anything after is cut on resume.
        columns: the CSV columns, fixed by the first rows.
        server_total: the server's count once the scan was done; set with ``output``.
        source: the server host and user the rows were read from (None in a checkpoint
            written before it was recorded): a resume reading another server's is refused.
        output: set once the complete output is in ``PATH.partial``, just before it is
            renamed: its (inode, size, modification time), which the rename keeps. A resume
            then only has to finish the rename and the clean-up, without a request, and
            tells by these whether the rename already happened.
        missed_because: the causes the scan's warnings gave for rows it may have skipped or
            repeated (:attr:`OrderScan.missed_because
            <omsclient.legacy.OrderScan.missed_because>`), in every run so far: a resumed
            run's summary names them too.
    """

    kind: str
    format: str
    query: str
    scan: dict[str, Any]
    rows: int
    size: int
    columns: tuple[str, ...] | None = None
    server_total: int | None = None
    output: tuple[int, int, int] | None = None
    source: str | None = None
    missed_because: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        """The complete output was written; only the rename and the clean-up may be left."""
        return self.output is not None

    def save(self, path: Path, mode: int = 0o666) -> None:
        """Write atomically: a temporary file made with ``mode`` (see
        :meth:`ExportPaths.made_as`), then ``os.replace``.

        A kill at any moment leaves either the previous checkpoint or this one, never a torn
        file. Not fsync'd: this survives the process dying, which is what resume is for; after
        an OS crash the size check in :meth:`load` catches output that did not reach the disk.
        """
        data = {
            "version": CHECKPOINT_VERSION,
            "kind": self.kind,
            "format": self.format,
            "query": self.query,
            "scan": self.scan,
            "rows": self.rows,
            "size": self.size,
            "columns": None if self.columns is None else list(self.columns),
            "server_total": self.server_total,
            "output": None if self.output is None else list(self.output),
            "source": self.source,
            "missed_because": list(self.missed_because),
        }
        temporary = temporary_of(path)
        try:
            # The scan's position names order ids (and CSV's columns keys), which may hold a lone
            # surrogate orjson refuses: written as its escape and read back (loads_exact) as the
            # same character, so a resume skips that order as it should.
            with create_new(temporary, mode) as out:
                out.write(dumps_exact(data))
            os.replace(temporary, path)
        except BaseException:
            # A full disk or an interrupt mid-save: the previous checkpoint stands. Nothing
            # else would remove the temporary file (a finished export saves no more).
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

    @classmethod
    def load(cls, path: Path) -> Checkpoint | None:
        """The checkpoint at ``path``, or None if there is none.

        Raises:
            CheckpointError: the file is not a checkpoint this version wrote.
        """
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = loads_exact(raw)
            if not isinstance(data, dict) or data.get("version") != CHECKPOINT_VERSION:
                raise ValueError("unknown version")
            columns = data.get("columns")
            server_total = data.get("server_total")
            output = data.get("output")
            source = data.get("source")
            # Absent from a checkpoint written before it was kept.
            missed = data.get("missed_because", [])
            if not isinstance(missed, list):
                raise ValueError(f"missed_because must be a list, got {shown(missed)}")
            if output is not None and (not isinstance(output, list) or len(output) != 3):
                raise ValueError(f"output must be a list of three counts, got {shown(output)}")
            checkpoint = cls(
                kind=_text(data["kind"]),
                format=_text(data["format"]),
                query=_text(data["query"]),
                scan=data["scan"],
                rows=_count(data["rows"]),
                size=_count(data["size"]),
                columns=None if columns is None else tuple(_text(c) for c in columns),
                server_total=None if server_total is None else _count(server_total),
                output=None
                if output is None
                else (_count(output[0]), _count(output[1]), _count(output[2])),
                source=None if source is None else _text(source),
                missed_because=tuple(_text(cause) for cause in missed),
            )
            if not isinstance(checkpoint.scan, dict):
                raise ValueError("scan is not an object")
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise CheckpointError(f"{path} is not a valid export checkpoint ({exc})") from None
        return checkpoint


def temporary_of(checkpoint: Path) -> Path:
    """Where a checkpoint is written before it replaces the previous one."""
    return checkpoint.with_name(checkpoint.name + ".tmp")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {shown(value)}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a count, got {shown(value)}")
    return value
