"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder.

The system's are taken first: Debian's ``postgresql`` package (which ``.ci/run`` installs) puts
them in ``/usr/lib/postgresql/<version>/bin``, built with ICU as the servers users run are, whose
collations can compare keys without regard to case. Else the test extra's (``pgserver`` ships a
PostgreSQL build without ICU in its wheels), so that a machine with only Python and pip runs
every test. PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
user the package creates (or ``nobody``).
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .conftest import free_port

USER = "omsclient"


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: the newest version the system has, else the test
    extra's, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    spec = importlib.util.find_spec("pgserver")
    for package in (spec and spec.submodule_search_locations) or ():
        bundled = Path(package) / "pginstall" / "bin"
        if (bundled / "initdb").is_file():
            return bundled
    return None


def _run_as() -> dict[str, Any]:
    """What ``subprocess.run`` needs to run a server command as a user PostgreSQL accepts.

    The child drops to that user itself (``user=``): no ``runuser`` binary, which is in
    ``/usr/sbin``, off the ``PATH`` of many non-login shells.
    """
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam(name)
            return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    raise RuntimeError("running as root with neither a postgres nor a nobody user")


def _reachable(binaries: Path, home: Path, run_as: dict[str, Any]) -> Path:
    """``binaries``, or a copy in ``home`` if the server's user cannot run them where they are:
    the test extra's, in a virtual environment under ``/root``."""
    try:
        subprocess.run(
            [str(binaries / "initdb"), "--version"], check=True, capture_output=True, **run_as
        )
    except PermissionError:
        # PostgreSQL finds its files from where its binaries are, and the wheel's binaries
        # find their libraries at ../../../pgserver.libs: both are copied, in place.
        site, copy = binaries.parents[2], home / "site"
        for part in ("pgserver/pginstall", "pgserver.libs"):
            shutil.copytree(site / part, copy / part, symlinks=True)
        return copy / "pgserver" / "pginstall" / "bin"
    return binaries


def _start(binaries: Path, data: Path, home: Path, run_as: dict[str, Any]) -> int:
    """Start the server of ``data`` on a free port, and return the port.

    Another process (a second test worker starting its own server) can take the port between
    its pick and the server's start: the server then fails to start, and another port is tried.
    """
    for _ in range(3):
        port = free_port()
        options = (
            f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        started = subprocess.run(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(home / "log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            capture_output=True,
            cwd=home,
            **run_as,
        )
        if started.returncode == 0:
            return port
    log = (home / "log").read_text(errors="replace")
    raise RuntimeError(f"PostgreSQL did not start: {started.stderr!r}\n{log}")


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server on a free port; yield the URL of its ``postgres`` database; stop it."""
    binaries = server_binaries()
    if binaries is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found (initdb): apt-get install postgresql"
        )
    run_as = _run_as()
    home = Path(tempfile.mkdtemp(prefix="omsclient-pg-"))
    try:
        if run_as:
            os.chown(home, run_as["user"], run_as["group"])
            binaries = _reachable(binaries, home, run_as)
        data = home / "data"
        subprocess.run(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=home,
            **run_as,
        )
        port = _start(binaries, data, home, run_as)
        try:
            yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                cwd=home,
                **run_as,
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)
