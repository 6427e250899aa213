"""The guard of the modules whose tests open, cancel and drop connections
(``LEAVES_NOTHING_UNCLOSED``) fails the test that leaves a socket for the collector, and no test
after it: a leak an unguarded test left, found when a guarded one starts, is a warning. The
test server leaves nothing for it to find."""

from __future__ import annotations

import gc
import os
import socket
import warnings

import pytest

from tests.hostile import hostile_server

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
    # A configuration of its own: found from a temporary folder inside the project (nox's
    # TMPDIR, under .nox), the project's own would spread these tests over workers, and the
    # leak would be collected in another process than the test after it.
    pytester.makeini("[pytest]\n")
    # As the suite's configuration has it: an exception no one can catch fails the test.
    options = "-p no:randomly -p no:asyncio -W error::pytest.PytestUnraisableExceptionWarning"
    # The unguarded test's leak, collected before the guarded test after it: a warning.
    with pytest.warns(ResourceWarning, match="unclosed <socket"):
        result = pytester.runpytest(*options.split())
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_guarded_leaving_one*"])
    result.stdout.no_fnmatch_line("*ERROR at setup*")


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_the_hostile_server_stopping_leaves_no_connection_it_accepted() -> None:
    # The guard blames whichever test the collector happens to run in: a socket the test
    # server dropped as it stopped fails some later, innocent test (later still when a logged
    # error's traceback holds it). Stopping while it works through a backlog of connections
    # is the moment that can drop one.
    before = open_descriptors()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(30):
            with hostile_server() as server:
                address = ("127.0.0.1", int(server.url.rsplit(":")[-1]))
                clients = [socket.create_connection(address) for _ in range(10)]
            for client in clients:
                client.close()
        gc.collect()
    assert [str(warning.message) for warning in caught] == []
    # At most as many: a server of another test in this process may close an idle connection
    # meanwhile; one left open by these stops is one more.
    assert open_descriptors() <= before
