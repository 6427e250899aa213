"""``omsclient export``: every matching order or product into a file, resumable."""

from __future__ import annotations

import argparse
import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import omsclient
from omsclient._commands import _sandbox
from omsclient._commands._advice import advice, answered_html
from omsclient._commands._arguments import MIB, conditions_of, output_format
from omsclient._commands._running import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Display,
    check_environment,
    command_done,
    error,
    failure,
    in_command_words,
    interrupts_unwrapped,
    note,
    print_summary,
    run_job,
    scan_warnings_cited,
)
from omsclient._commands._waiting import waiting
from omsclient.errors import (
    ApiError,
    ConfigurationError,
    DecodeError,
    OmsError,
    TransportError,
    ValidationError,
)
from omsclient.export import (
    CheckpointError,
    ExportError,
    ExportSummary,
    MissingExtraError,
    check_output,
)
from omsclient.export._checkpoint import ExportPaths, OtherServerCheckpointError
from omsclient.export._exporter import export_orders, export_products  # the async functions
from omsclient.legacy import Condition

__all__ = ["export_command"]

RESUME = "Run the same command with --resume to continue."
# After an answer that fails the same way when asked again (an order the scan cannot place).
AGAIN_ONCE_CHANGED = (
    "Run the same command again once the server sends it otherwise: as it is, the export "
    "stops there again."
)
RESUME_ONCE_CHANGED = (
    "Run the same command with --resume to continue once the server sends it otherwise: as it "
    "is, the export stops there again."
)


_UNKNOWN = "unknown (the server sends no total)"


def summary_rows(summary: ExportSummary) -> list[tuple[str, str]]:
    """The summary's rows."""
    rate = summary.this_run / summary.elapsed if summary.elapsed > 0 else 0.0
    difference = summary.difference
    misses = summary.missed_because
    note = ""
    if difference and misses:
        # A server comparing dates in another zone skips orders though nothing changed:
        # "arrived, left or changed" would send the reader to the wrong cause. A resumed
        # export's scan may have warned in the run it continues, not above.
        note = f" ({scan_warnings_cited(misses, 'resumed' if summary.resumed else None)})"
    elif difference:
        # No claim that the file is exact: an order re-dated after it was read is written
        # twice (nothing tells), and a second whose orders kept changing may miss one (its
        # warning is then the note).
        note = f" ({summary.kind} arrived, left or changed during the export)"
    rows = [
        ("Output", f"{summary.path} ({summary.format})"),
        (f"{summary.kind.capitalize()} exported", f"{summary.exported:,}"),
        (
            "Server total now",
            _UNKNOWN if summary.server_total is None else f"{summary.server_total:,}",
        ),
        (
            "Difference",
            _UNKNOWN if difference is None else f"{difference:+,}{note}" if difference else "0",
        ),
        ("This run", f"{summary.this_run:,}" + (" (resumed)" if summary.resumed else "")),
        ("Requests", f"{summary.requests:,} over {summary.windows} window(s)"),
        ("Elapsed", f"{summary.elapsed:.1f} s ({rate:,.0f} {summary.kind}/s)"),
    ]
    return rows


async def run_export(
    args: argparse.Namespace,
    fmt: str,
    conditions: list[Condition],
    scan: dict[str, Any],
    client_kwargs: dict[str, Any],
) -> ExportSummary:
    display = Display(args.kind, args.quiet)
    async with omsclient.AsyncClient(
        **client_kwargs,
        transport=args.transport,
        max_response_bytes=args.max_response_mib * MIB,
        order_field_numbering=getattr(args, "field_numbering", "api"),
    ) as oms:
        with display.showing():
            async with waiting(oms, display, args.quiet):
                if args.kind == "orders":
                    summary = await export_orders(
                        oms,
                        args.out,
                        *conditions,
                        format=fmt,  # type: ignore[arg-type]
                        resume=args.resume,
                        overwrite=args.overwrite,
                        progress=display.update,
                        **scan,
                    )
                else:
                    summary = await export_products(
                        oms,
                        args.out,
                        *conditions,
                        format=fmt,  # type: ignore[arg-type]
                        resume=args.resume,
                        overwrite=args.overwrite,
                        progress=display.update,
                    )
            # A resume whose rows were all written before reads no page, and reports none.
            display.finished(summary.exported)
            return summary


@contextlib.contextmanager
def collector_frozen() -> Iterator[None]:
    """Keep what start-up built out of the garbage collector's walks while the export runs.

    An export keeps pages of fresh objects alive, so CPython's full collections come often, and
    each walks every object of the process: the modules, rich, httpx, the sandbox. Frozen, they
    are not walked (see docs/performance.md); this command owns its process, so it may.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def has_checkpoint(args: argparse.Namespace, fmt: str) -> bool:
    return ExportPaths.for_output(args.out, staged=fmt == "parquet").checkpoint.exists()


def output_identity(args: argparse.Namespace, fmt: str) -> tuple[int, int, int] | None:
    """What tells the file at ``--out`` apart from any other, None when there is none: the
    output is only ever put there by the rename of a complete export."""
    paths = ExportPaths.for_output(args.out, staged=fmt == "parquet")
    return paths.identity(paths.final)


def _interrupted(args: argparse.Namespace, fmt: str | None) -> str:
    """What a Ctrl-C before the export was complete leaves: a checkpoint of this run or an
    earlier one, to resume from, or nothing."""
    if fmt is not None and has_checkpoint(args, fmt):
        return f"interrupted; run the same command with --resume to continue into {args.out}"
    return "interrupted before anything was written"


def export_command(args: argparse.Namespace) -> int:
    fmt: str | None = None
    try:
        with interrupts_unwrapped():
            conditions, scan = conditions_of(args)
            fmt = output_format(args)
            if not args.sandbox:
                check_environment("export")
            # Before the sandbox starts and before the progress bar: fail at once on a bad --out.
            check_output(args.out, fmt, resume=args.resume, overwrite=args.overwrite)  # type: ignore[arg-type]
    except (ValidationError, ConfigurationError, MissingExtraError) as exc:
        error(in_command_words(str(exc)))
        return EXIT_USAGE
    except KeyboardInterrupt:  # while the checks import pyarrow, say
        error(_interrupted(args, fmt))
        return EXIT_INTERRUPTED
    before = output_identity(args, fmt)
    summary: ExportSummary | None = None
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(interrupts_unwrapped())
            client_kwargs: dict[str, Any] = {}
            if args.sandbox:
                info = stack.enter_context(_sandbox.sandbox(args))
                client_kwargs = info.client_kwargs()
            with collector_frozen():
                summary = run_job(run_export(args, fmt, conditions, scan, client_kwargs))
        if not args.quiet:
            print_summary(f"Exported {summary.kind}", summary_rows(summary))
        command_done()  # in the try: a signal as it begins is one once the job was complete
    except KeyboardInterrupt:
        complete = summary is not None or (
            not has_checkpoint(args, fmt) and output_identity(args, fmt) != before
        )
        if complete:
            # Ctrl-C while the client closed, the sandbox stopped or the summary was made: this
            # run's output is in place and its checkpoint gone. The export is complete, as
            # exit 0 says; a resume would be refused, and a new run would be told the output
            # exists.
            note(f"interrupted after the export was complete: {args.out} holds it (no summary)")
            command_done()
            return EXIT_OK
        error(_interrupted(args, fmt))
        return EXIT_INTERRUPTED
    except CheckpointError as exc:
        # A sandbox of another size reads as another server's, an address the user never saw.
        hint = (
            "\nA --sandbox export resumes only with the --sandbox-orders it started with: "
            "they are the sandbox's data."
        )
        other_server = isinstance(exc, OtherServerCheckpointError)
        error(f"{in_command_words(str(exc))}{hint if args.sandbox and other_server else ''}")
        return EXIT_USAGE
    except (ValidationError, ConfigurationError, MissingExtraError) as exc:
        error(in_command_words(str(exc)))
        return EXIT_USAGE
    except (ApiError, TransportError, DecodeError) as exc:
        lines = [failure(exc)]
        fix = advice(exc, sandbox=args.sandbox)
        if fix:
            lines.append(fix)
        # An HTML page (a login or maintenance page) may pass; the same order does not,
        # unless a setting the advice names lets it.
        lasting = isinstance(exc, DecodeError) and not exc.transient
        lasting = lasting and not fix and not answered_html(exc)
        if has_checkpoint(args, fmt):
            lines.append(RESUME_ONCE_CHANGED if lasting else RESUME)
        elif lasting:
            lines.append(AGAIN_ONCE_CHANGED)
        error("\n".join(lines))
        return EXIT_ERROR
    except OmsError as exc:
        # An output that could not be written (a full disk) kept its rows for a resume; another
        # export holding the lock did not, and its checkpoint is not this run's to resume.
        unwritable = isinstance(exc, ExportError) and isinstance(exc.__cause__, OSError)
        resume = unwritable and has_checkpoint(args, fmt)
        said = in_command_words(str(exc))
        error(f"{said}\n{RESUME}" if resume else said)
        return EXIT_ERROR
    except OSError as exc:
        # Name the output the user asked for, not whichever of its side files failed.
        error(f"cannot write {args.out}: {exc.strerror or exc} ({exc.filename})")
        return EXIT_ERROR
    return EXIT_OK
