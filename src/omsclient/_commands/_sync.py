"""``omsclient sync``: matching orders or products kept current in a database table."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

import omsclient
from omsclient._commands import _sandbox
from omsclient._commands._advice import advice, answered_html
from omsclient._commands._arguments import MIB, conditions_of
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
from omsclient.dbsync import DatabaseError, SyncSummary, sync_orders, sync_products
from omsclient.dbsync._errors import OtherServerError, RunningElsewhereError
from omsclient.dbsync._store import unstorable
from omsclient.dbsync._url import parse_database_url
from omsclient.errors import (
    ApiError,
    ConfigurationError,
    DecodeError,
    InvalidRequestError,
    OmsError,
    TransportError,
    ValidationError,
)
from omsclient.legacy import Condition

__all__ = ["sync_command"]


def _summary_rows(summary: SyncSummary) -> list[tuple[str, str]]:
    how = "every matching row" if summary.full else "changes since the last run"
    if summary.resumed:
        how += ", continuing an interrupted run"
    misses = summary.missed_because
    if misses:
        how += "; the scan may have skipped some"
    rate = summary.read / summary.elapsed if summary.elapsed > 0 else 0.0
    rows = [
        ("Database", f"{summary.database} (table {summary.table})"),
        ("Read", f"{summary.read:,} ({how})"),
        ("New", f"{summary.new:,}"),
        ("Updated", f"{summary.updated:,}"),
        ("Unchanged", f"{summary.unchanged:,}"),
        ("Requests", f"{summary.requests:,}"),
        ("Elapsed", f"{summary.elapsed:.1f} s ({rate:,.0f} {summary.kind}/s)"),
    ]
    if misses:
        # A resumed run's scan may have warned in the run it continues, not above.
        cited = scan_warnings_cited(misses, "continued" if summary.resumed else None)
        kept = "none" if summary.watermark is None else f"{summary.watermark} (Date Modified, UTC)"
        rows.append(
            (
                "Watermark",
                f"{kept}, kept ({cited}): the next run reads these {summary.kind} again",
            )
        )
    elif summary.watermark is not None:
        rows.append(("Watermark", f"{summary.watermark} (Date Modified, UTC)"))
    return rows


def sync_call(args: argparse.Namespace, conditions: list[Condition], scan: dict[str, Any]) -> Any:
    """The sync the arguments describe, arguments checked; run it with an AsyncClient."""
    if args.kind == "orders":
        since, until = scan.get("since"), scan.get("until")

        def start(oms: Any, progress: Any) -> Any:
            return sync_orders(
                oms,
                args.db,
                *conditions,
                since=since,
                until=until,
                windows=args.concurrency,
                overlap=args.overlap,
                progress=progress,
            )

        return start

    def start_products(oms: Any, progress: Any) -> Any:
        return sync_products(oms, args.db, *conditions, progress=progress)

    return start_products


async def run_sync(
    args: argparse.Namespace, start: Any, client_kwargs: dict[str, Any], display: Display
) -> SyncSummary:
    async with omsclient.AsyncClient(
        **client_kwargs,
        transport=args.transport,
        max_response_bytes=args.max_response_mib * MIB,
        order_field_numbering=getattr(args, "field_numbering", "api"),
    ) as oms:
        with display.showing():
            async with waiting(oms, display, args.quiet):
                summary: SyncSummary = await start(oms, display.update_sync)
            display.finished()
            return summary


def check_database(args: argparse.Namespace) -> None:
    parse_database_url(args.db)


def sync_command(args: argparse.Namespace) -> int:
    try:
        with interrupts_unwrapped():
            conditions, scan = conditions_of(args)
            if not args.sandbox:
                check_environment("sync")
            check_database(args)
            start = sync_call(args, conditions, scan)
    except (ValidationError, ConfigurationError) as exc:
        error(in_command_words(str(exc)))
        return EXIT_USAGE
    except KeyboardInterrupt:  # while the checks import a database driver, say
        error(f"interrupted; run the same command to sync the {args.kind}")
        return EXIT_INTERRUPTED
    again = "\nRun the same command again to continue."
    once_answered = (
        "Run the same command again once the server answers with JSON: it continues where "
        "this one stopped."
    )
    once_changed = (
        "Run the same command again once the server sends it otherwise: as it is, the sync "
        "stops there again."
    )
    display: Display | None = None
    summary: SyncSummary | None = None
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(interrupts_unwrapped())
            client_kwargs: dict[str, Any] = {}
            if args.sandbox:
                info = stack.enter_context(_sandbox.sandbox(args))
                client_kwargs = info.client_kwargs()
            display = Display(args.kind, args.quiet, verb="syncing")
            summary = run_job(run_sync(args, start, client_kwargs, display))
        if not args.quiet:
            print_summary(f"Synced {summary.kind}", _summary_rows(summary))
        command_done()  # in the try: a signal as it begins is one once the job was complete
    except KeyboardInterrupt:
        if summary is not None:
            # Ctrl-C while the sandbox stopped or the summary was made: the sync is complete,
            # as exit 0 says.
            note(
                f"interrupted after the sync was complete: {summary.database} (table "
                f"{summary.table}) holds it (no summary)"
            )
            command_done()
            return EXIT_OK
        # What the progress bar last showed was stored; a batch stored since may not be.
        stored = display.stored if display is not None else 0
        if stored:
            kept = f"the {stored:,} {args.kind} stored so far are kept"
            error(f"interrupted; {kept}: run the same command to continue")
        else:
            error(f"interrupted; run the same command to sync the {args.kind}")
        return EXIT_INTERRUPTED
    except (ValidationError, ConfigurationError) as exc:
        # DatabaseUrlError is one: the database could not be opened, nothing was sent.
        # A sandbox of another size reads as another server: its data is another shop's.
        hint = (
            "\nA --sandbox sync goes on only with the --sandbox-orders it started with: sync "
            "another size into another database (deleting the states, as said, would mix the "
            f"two sandboxes' {args.kind} in one table)."
        )
        other_server = isinstance(exc, OtherServerError)
        error(f"{in_command_words(str(exc))}{hint if args.sandbox and other_server else ''}")
        return EXIT_USAGE
    except (ApiError, TransportError, DecodeError) as exc:
        # Run again as it is, a run refused for its settings or its filters fails the same way,
        # and so does one meeting a row that cannot be stored. An HTML page (a login page, a
        # maintenance page) may pass or not: the next run continues once the server answers.
        fix = advice(exc, sandbox=args.sandbox)
        lasting = isinstance(exc, InvalidRequestError) or unstorable(exc)
        if answered_html(exc):
            fix = fix or once_answered
        elif isinstance(exc, DecodeError) and not exc.transient and not lasting:
            # What the server holds or sends (a row the scan cannot place, an answer over
            # the size cap): the next run meets it where this one did.
            fix = fix or once_changed
        said = failure(exc)
        error(f"{said}\n{fix}" if fix else said if lasting else f"{said}{again}")
        return EXIT_ERROR
    except RunningElsewhereError as exc:
        # It says to wait for the other run: this one has nothing to continue.
        error(str(exc))
        return EXIT_ERROR
    except DatabaseError as exc:
        error(f"{exc}{again}")
        return EXIT_ERROR
    except OmsError as exc:
        error(str(exc))
        return EXIT_ERROR
    return EXIT_OK
