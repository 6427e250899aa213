"""Project sessions: ``nox -s tests lint types bench docs``."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "types", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (respx mocks, the sandbox over real sockets) on each Python."""
    # Where the test extra brings no PostgreSQL (pgserver has no wheel for 3.13), the sync
    # tests use the system's: apt-get install postgresql, as .ci/run does.
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session(python=PYTHONS[0])
def types(session: nox.Session) -> None:
    """mypy --strict on the package, its pytest plugin and its script, and on what a user's code
    sees of its types (tests/typing_usage.py), for the oldest Python."""
    # Run by that Python, so the backports only it installs are there to be checked.
    session.install("-e", ".[test]", "mypy")
    session.run(
        "mypy",
        "--strict",
        f"--python-version={PYTHONS[0]}",
        "src/omsclient",
        "src/_omsclient_pytest.py",
        "src/_omsclient_command.py",
        "tests/typing_usage.py",
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: decode, end-to-end and concurrency, as ratios measured side by side."""
    session.install("-e", ".[bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site with its API reference; any warning fails the build."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", *session.posargs)
