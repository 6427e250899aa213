"""Instructions, not time: each contender's instructions per order, counted by valgrind.

CPU time on a shared two-core machine moves by a quarter from round to round, so a change of a
few percent hides in it however many rounds are paired. The instructions a client runs repeat
within 0.1 % from run to run: such a change shows in them. They are not time (the kernel's work
and every cache miss are left out; see benchmarks/README.md, 2026-11-30), so the goals stay
CPU time; this section tells whether a change does less work.

Each contender runs in a child process under ``valgrind --tool=callgrind`` (no cache or branch
simulated), twice and four times over the e2e section's server (run outside valgrind); half the
difference is one run's count, with start-up, imports, the first connection and the first two
runs' one-off work left out: on the live pages the shared page decoder learns the unknown keys
in the first run, and may loosen the fields it meets in odd shapes only in the second (as for
``iterate_raw`` and the sync), generating its functions again each time; counting once and
three times took that second run in: 72 k instructions an order more for ``iterate_raw``.
Needs valgrind (``apt-get install valgrind``); about a minute a child at
20 pages. Run: ``python -m benchmarks instructions --contenders raw export sync``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs

from benchmarks import _measure, _server, e2e
from benchmarks._data import PAGE_SIZE

CONTENDERS = {
    "raw": e2e.OURS_RAW,
    "typed": e2e.OURS,
    "parts": e2e.OURS_PARTS,
    "aiohttp": e2e.OURS_AIOHTTP,
    "export": e2e.OURS_EXPORT,
    "sync": e2e.OURS_SYNC,
    "ceiling": e2e.HAND,
    "floor": e2e.HAND_SQLITE,
}
"""The e2e contenders this section can count, by a short name."""
DEFAULT = ("raw", "export", "sync")
RUNS = (2, 4)  # each child's runs: one run's count is half the difference
_COLLECTED = re.compile(rb"Collected : (\d+)")


@attrs.frozen
class InstructionsResult:
    """Instructions per order of each contender (by its e2e name)."""

    variant: str
    pages: int
    per_order: dict[str, float]

    def goals(self) -> list[_measure.Goal]:
        """Reported ratios (no bounds: the goals are CPU time)."""
        where = f"({self.variant!r}, instructions)"
        pairs = [
            ("export / iterate_raw", e2e.OURS_EXPORT, e2e.OURS_RAW),
            ("database sync / iterate_raw", e2e.OURS_SYNC, e2e.OURS_RAW),
            ("typed iterate / the ceiling", e2e.OURS, e2e.HAND),
            ("typed iterate reading every part / the ceiling", e2e.OURS_PARTS, e2e.HAND),
        ]
        return [
            _measure.Goal(f"{name} {where}", [self.per_order[a] / self.per_order[b]])
            for name, a, b in pairs
            if a in self.per_order and b in self.per_order
        ]

    def report(self) -> str:
        """A Markdown table and the ratios."""
        rows = [[name, f"{count / 1000:.1f}"] for name, count in self.per_order.items()]
        title = (
            f"Instructions (valgrind), variant {self.variant!r}, {self.pages} pages "
            f"({self.pages * PAGE_SIZE} orders) a run"
        )
        table = _measure.table(["contender", "k instructions an order"], rows)
        ratios = "\n".join(goal.line() for goal in self.goals())
        return f"{title}\n\n{table}\n\n{ratios}"


def _counted(url: str, name: str, runs: int, pages: int) -> int:
    """The instructions of a child that runs contender ``name`` ``runs`` times."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--cache-sim=no",
        "--branch-sim=no",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "benchmarks.instructions",
        "--child",
        url,
        name,
        str(runs),
        str(pages),
    ]
    root = Path(__file__).resolve().parent.parent  # where ``benchmarks`` is importable
    done = subprocess.run(command, cwd=root, capture_output=True, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode or found is None:
        tail = done.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"the child counting {name!r} failed ({done.returncode}): {tail}")
    return int(found[1])


def run(
    variant: str = "sample",
    pages: int = 20,
    contenders: tuple[str, ...] = DEFAULT,
    tls: bool = False,
) -> InstructionsResult:
    """Count each contender's instructions per order, one child after another."""
    unknown = [name for name in contenders if name not in CONTENDERS]
    if unknown:
        raise ValueError(f"no contender {unknown}: choose from {', '.join(CONTENDERS)}")
    if shutil.which("valgrind") is None:
        raise RuntimeError("the instructions section needs valgrind: apt-get install valgrind")
    per_order: dict[str, float] = {}
    with _server.running(pages, variant, tls) as url:
        for short in contenders:
            name = CONTENDERS[short]
            fewer, more = (_counted(url, name, runs, pages) for runs in RUNS)
            per_order[name] = (more - fewer) / (RUNS[1] - RUNS[0]) / (pages * PAGE_SIZE)
    return InstructionsResult(variant, pages, per_order)


async def _child(url: str, name: str, runs: int, pages: int) -> None:
    # One set-up for every run, as the e2e section times them: a set-up a run (a client, its
    # first connection, the hand-written loops' TLS context, which loads every certificate
    # of the machine's bundle over plain HTTP) was counted into the difference of the runs.
    async with e2e.CONTENDERS[name](url) as contender:
        for _ in range(runs):
            read = await contender(pages)
            if read != pages * PAGE_SIZE:
                raise AssertionError(f"{name} read {read} orders, not {pages * PAGE_SIZE}")


if __name__ == "__main__":
    # The child valgrind runs; the section itself is ``python -m benchmarks instructions``.
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=4, required=True, metavar=("URL", "NAME", "RUNS", "PAGES"))
    child = parser.parse_args().child
    asyncio.run(_child(child[0], child[1], int(child[2]), int(child[3])))
