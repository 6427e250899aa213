"""The guard of the modules whose tests open, cancel and drop connections
(``LEAVES_NOTHING_UNCLOSED``) fails the test that leaves a socket for the collector, and no test
after it: a leak an unguarded test left, found when a guarded one starts, is a warning."""

from __future__ import annotations

import pytest

LEAKS = """
import socket

from tests.conftest import LEAVES_NOTHING_UNCLOSED


def guarded(test):
    for mark in LEAVES_NOTHING_UNCLOSED:
        test = mark(test)
    return test


def left_for_the_collector():
    cycle = [socket.socket()]
    cycle.append(cycle)


def test_unguarded_leaving_one():
    left_for_the_collector()


@guarded
def test_guarded_after_it():
    pass


@guarded
def test_guarded_leaving_one():
    left_for_the_collector()
"""


def test_a_leak_fails_its_own_guarded_test_and_no_later_one(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "from tests.conftest import nothing_left_unclosed, pytest_runtest_protocol  # noqa: F401\n"
    )
    pytester.makepyfile(test_leaks=LEAKS)
    # As the suite's configuration has it: an exception no one can catch fails the test.
    options = "-p no:randomly -p no:asyncio -W error::pytest.PytestUnraisableExceptionWarning"
    # The unguarded test's leak, collected before the guarded test after it: a warning.
    with pytest.warns(ResourceWarning, match="unclosed <socket"):
        result = pytester.runpytest(*options.split())
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_guarded_leaving_one*"])
    result.stdout.no_fnmatch_line("*ERROR at setup*")
