"""``python -m benchmarks [decode] [e2e] [concurrency] [requests] [profile] [instructions]``.

Prints Markdown tables. With no section named, runs decode, e2e and concurrency (about eight
minutes on two cores with ``--tls``).
Every figure is a median over interleaved rounds; goals are ratios measured in the same run,
printed with each section and again together at the end, each with its verdict.
"""

from __future__ import annotations

import argparse
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import _measure
from benchmarks._data import VARIANTS

SECTIONS = ("decode", "e2e", "concurrency", "requests", "profile", "instructions")
DEFAULT = ("decode", "e2e", "concurrency")

R = TypeVar("R")


def _alone(run: Callable[..., R], **kwargs: Any) -> R:
    """``run(**kwargs)`` in a new process: a section that times its contenders in its own
    process measured them dearer after the sections before it had run there (the pages in
    flight 1.3-1.5 times their CPU alone on 2026-12-06, the hand-written gather not)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run, **kwargs).result()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("sections", nargs="*", metavar="section", help=" | ".join(SECTIONS))
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--rounds", type=int, default=7, help="decode rounds (default 7)")
    parser.add_argument(
        "--decode-pages", type=int, default=20, help="pages per decode round (default 20)"
    )
    parser.add_argument("--e2e-pages", type=int, default=40, help="pages per e2e run (40)")
    parser.add_argument(
        "--e2e-rounds",
        type=int,
        default=11,  # benchmarks.e2e.ROUNDS, not imported with the section unasked for
        help="e2e rounds (default 11; the memory runs and the first sync with size 5 at most)",
    )
    parser.add_argument(
        "--concurrency-pages", type=int, default=128, help="pages per concurrency run (128)"
    )
    parser.add_argument(
        "--concurrency-rounds", type=int, default=5, help="concurrency rounds (default 5)"
    )
    parser.add_argument(
        "--requests-rounds", type=int, default=4, help="per-request rounds (default 4)"
    )
    parser.add_argument("--latency", type=float, default=0.05, help="server latency, s (0.05)")
    parser.add_argument(
        "--jitter",
        type=float,
        default=0.0,
        help="spread of each page's latency, a fraction of it (0: none; 0.9: 5 to 95 ms)",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="e2e and concurrency over HTTPS, as the live server answers (a CA made for the run)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="e2e: a first sync into PostgreSQL too, in a new database of the server at URL "
        "(postgresql://user@host/db, a user that may create databases), with its goal",
    )
    parser.add_argument("--pyinstrument", action="store_true", help="profile: call trees")
    parser.add_argument(
        "--contenders",
        nargs="+",
        metavar="NAME",
        help="instructions: the contenders to count (raw typed parts aiohttp export sync "
        "ceiling floor; default: raw export sync)",
    )
    parser.add_argument(
        "--instructions-pages", type=int, default=20, help="pages per counted run (20)"
    )
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    sections = args.sections or list(DEFAULT)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose from {', '.join(SECTIONS)}")

    out: list[str] = []
    goals: list[_measure.Goal] = []

    def emit(text: str) -> None:
        print(text + "\n", flush=True)
        out.append(text)

    emit(f"Measured {_measure.machine()}")
    if "decode" in sections:
        from benchmarks import decode

        for variant in args.variants:
            decoded = decode.run(variant, rounds=args.rounds, pages=args.decode_pages)
            emit(decoded.report())
            goals += decoded.goals()
    if "e2e" in sections:
        from benchmarks import e2e

        for variant in args.variants:
            ended = e2e.run(
                variant,
                pages=args.e2e_pages,
                rounds=args.e2e_rounds,
                tls=args.tls,
                postgres=args.postgres,
            )
            emit(ended.report())
            goals += ended.goals()
    if "concurrency" in sections:
        from benchmarks import concurrency

        result = _alone(
            concurrency.run,
            pages=args.concurrency_pages,
            latency=args.latency,
            rounds=args.concurrency_rounds,
            jitter=args.jitter,
            tls=args.tls,
        )
        emit(result.report())
        goals += result.goals()
    if "requests" in sections:
        from benchmarks import per_request

        measured = _alone(per_request.run, rounds=args.requests_rounds)
        emit(measured.report())
        goals += measured.goals()
    if "profile" in sections:
        from benchmarks import profile

        for report in profile.run(pyinstrument=args.pyinstrument):
            emit(report)
    if "instructions" in sections:
        from benchmarks import instructions

        for variant in args.variants:
            counted = instructions.run(
                variant,
                args.instructions_pages,
                tuple(args.contenders or instructions.DEFAULT),
                tls=args.tls,
            )
            emit(counted.report())
            goals += counted.goals()
    if goals:
        emit("Goals\n\n" + _measure.goals_table(goals))
    if args.out:
        args.out.write_text("\n\n".join(out) + "\n")


if __name__ == "__main__":
    main()
