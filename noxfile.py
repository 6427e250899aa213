"""Project sessions: ``nox -s tests lint types bench docs lowest``."""

from __future__ import annotations

from pathlib import Path

import nox
from packaging.requirements import Requirement
from packaging.version import Version

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


@nox.session(python=PYTHONS[0])
def lowest(session: nox.Session) -> None:
    """The test suite with each dependency of the package and of its extras at the lowest
    version the bounds in pyproject.toml allow: a bound below what the code uses fails here.
    Test tools are left to pip. Not in CI: a second suite run doubles its time."""
    constraints = Path(session.create_tmp()) / "lowest.txt"
    constraints.write_text(_lowest_pins(str(session.python)))
    session.install("-c", str(constraints), "-e", ".[test]")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


def _lowest_pins(python: str) -> str:
    """A constraints file pinning each of the package's dependencies (its extras' too) to its
    lower bound on ``python``: the highest of the bounds whose markers hold there (a bound for
    newer Pythons left out), the test extra's too where it asks for more of the same package."""
    project = nox.project.load_toml("pyproject.toml")["project"]
    extras = project["optional-dependencies"]
    product = [*project["dependencies"]]
    for extra in ("sandbox", "parquet", "aiohttp", "postgres", "otel", "trio"):
        product += extras[extra]
    names = {Requirement(text).name for text in product}
    lowest: dict[str, Version] = {}
    for text in [*product, *extras["test"]]:
        requirement = Requirement(text)
        if requirement.name not in names:
            continue  # a test tool
        if requirement.marker and not requirement.marker.evaluate({"python_version": python}):
            continue
        for spec in requirement.specifier:
            if spec.operator == ">=":
                version = Version(spec.version)
                lowest[requirement.name] = max(version, lowest.get(requirement.name, version))
    return "".join(f"{name}=={version}\n" for name, version in sorted(lowest.items()))


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
