"""The ``omsclient`` command: bulk export, incremental sync into a database, the sandbox.

Exit codes: 0 done, 1 the server, the network, the output file or the database failed, 2 bad
arguments or settings, or a database that cannot be opened (nothing was sent), 130 interrupted
(resume with ``--resume``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from omsclient import __version__
from omsclient._commands._arguments import add_export_arguments, add_sync_arguments
from omsclient._commands._export import export_command
from omsclient._commands._running import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    command_done,
    interrupts_unwrapped,
    note,
)
from omsclient._commands._sync import sync_command
from omsclient._console_streams import forgiving_streams
from omsclient._terminal import ArgumentParser, HelpFormatter
from omsclient.sandbox._cli import add_arguments, run

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

_ENVIRONMENT = """\
credentials:
  Read from the environment only: OMS_LEGACY_URL, OMS_USERNAME, OMS_PASSWORD.
  There are no options for them on purpose: a password typed as an option stays
  in your shell history and is visible to every user of the machine in the
  process list (ps). Try it without any: --sandbox reads from a built-in
  sandbox.

exit codes:
  0    done
  1    the server, the network, the output file or the database failed
  2    bad arguments or settings, or a database that cannot be opened (nothing
       sent)
  130  interrupted
"""

# What each command does, and a first run to try: the page a newcomer reads first.
_EXPORT = """\
Export the {kind} that match the filters (all of them, without any) to a file: JSON lines, CSV
or Parquet, each exactly once even while the data changes{caveat}. An interrupted export
continues with --resume.

examples:
  # try it: no credentials needed
  omsclient export {kind} --sandbox --out {kind}.jsonl
  omsclient export {kind} --since 2024-01-01 --out {kind}.csv
"""
# Orders are read by Date Ordered, products by Product Id, which never changes.
_EXACT_WHILE = {"orders": " (as long as no order's Date Ordered does)", "products": ""}
_LATER_RUNS = {
    "orders": "read only what changed",
    # Nothing in a product tells when it changed.
    "products": "read the whole catalogue again and write only what changed",
}
_SYNC = """\
Store the {kind} that match the filters (all of them, without any) in a SQLite or PostgreSQL
table; later runs {later}.
A run stopped at any point is completed by the next.

examples:
  # try it: no credentials needed
  omsclient sync {kind} --sandbox --db sqlite:///try.db
  omsclient sync {kind} --db sqlite:///{kind}.db
"""


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``omsclient`` command."""
    parser = ArgumentParser(
        prog="omsclient",
        description="Bulk export and database sync for a print-shop order management system.",
        epilog=_ENVIRONMENT,
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"omsclient {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    export = commands.add_parser(
        "export",
        help="export orders or products to JSON lines, CSV or Parquet",
        description="Export every matching order or product exactly once, even while the "
        "data changes (as long as no order's Date Ordered does); resumable with --resume.",
        epilog=_ENVIRONMENT,
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    kinds = export.add_subparsers(dest="kind", required=True, metavar="orders|products")
    for kind in ("orders", "products"):
        sub = kinds.add_parser(
            kind,
            help=f"export {kind}",
            description=_EXPORT.format(kind=kind, caveat=_EXACT_WHILE[kind]),
            epilog=_ENVIRONMENT,
            formatter_class=HelpFormatter,
            allow_abbrev=False,
        )
        add_export_arguments(sub, kind)
        sub.set_defaults(usage_parser=sub)
    sync = commands.add_parser(
        "sync",
        help="keep orders or products in SQLite or PostgreSQL current, reading only changes",
        description="Store every matching order or product in a database table; later runs "
        "read only the orders that changed (and the whole catalogue of products again). A run "
        "stopped at any point is completed by the next.",
        epilog=_ENVIRONMENT,
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    sync_kinds = sync.add_subparsers(dest="kind", required=True, metavar="orders|products")
    for kind in ("orders", "products"):
        sub = sync_kinds.add_parser(
            kind,
            help=f"sync {kind}",
            description=_SYNC.format(kind=kind, later=_LATER_RUNS[kind]),
            epilog=_ENVIRONMENT,
            formatter_class=HelpFormatter,
            allow_abbrev=False,
        )
        add_sync_arguments(sub, kind)
        sub.set_defaults(usage_parser=sub)
    sandbox = commands.add_parser(
        "sandbox",
        help="serve the built-in sandbox (both APIs, generated data) until Ctrl-C",
        description="Serve the legacy and REST order management APIs from generated data.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        allow_abbrev=False,
    )
    add_arguments(sandbox)
    sandbox.set_defaults(usage_parser=sandbox)
    for sub in (export, sync):
        sub.set_defaults(usage_parser=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``omsclient`` command with ``argv`` (default: the process arguments)."""
    command_done(False)
    with forgiving_streams():
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    try:
        with interrupts_unwrapped():
            parser = build_parser()
            args, unknown = parser.parse_known_args(argv)
            # argparse reports these with the top-level usage; the subcommand's is the help.
            usage: argparse.ArgumentParser = getattr(args, "usage_parser", parser)
            if unknown:
                usage.error(f"unrecognized arguments: {' '.join(unknown)}")
            sandbox_only = [o for o in getattr(args, "given", []) if o.startswith("--sandbox-")]
            if sandbox_only and not args.sandbox:
                usage.error(
                    f"{sandbox_only[0]} needs --sandbox: without it, the command reads from the "
                    "server the OMS_* variables name"
                )
    except SystemExit as exc:
        # argparse exits 2 after printing the usage error, 0 after --help.
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if code == EXIT_OK:
            command_done()
        return code
    except KeyboardInterrupt:  # while the arguments are read
        note("interrupted")
        return EXIT_INTERRUPTED
    if args.command == "sandbox":
        return run(args)
    if args.command == "sync":
        return sync_command(args)
    return export_command(args)


if __name__ == "__main__":
    raise SystemExit(main())
