"""Whether the aiohttp transport's packages are ones it works with, read from their metadata
without importing them (the command picks its default transport so).

Another package may have brought older ones than the ``aiohttp`` extra asks for, which pip
then leaves in place: ``pip check`` passes, as omsclient itself requires neither.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re

__all__ = ["aiohttp_problem"]

# (distribution, lowest release, what an older one does), as pyproject.toml's extra says.
_FLOORS = (
    (
        "aiohttp",
        (3, 13, 4),
        "older ones read any number of headers, and before 3.11 send a write again by themselves",
    ),
    (
        "httpx-aiohttp",
        (0, 1, 11),
        "older ones fail on a proxy's password and on header values beyond ASCII",
    ),
)
_RELEASE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


@functools.cache
def aiohttp_problem() -> str | None:
    """Why ``transport="aiohttp"`` cannot be used here, or None."""
    for name, floor, older in _FLOORS:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return f'transport="aiohttp" needs {name}: pip install "omsclient[aiohttp]"'
        found = _RELEASE.match(version)
        release = tuple(int(n) for n in found.group().split(".")) if found else ()
        if release < floor:
            lowest = ".".join(map(str, floor))
            return (
                f'transport="aiohttp" needs {name} {lowest} or newer, not {version} ({older}): '
                f'pip install "omsclient[aiohttp]"'
            )
    return None
