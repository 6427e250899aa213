"""Generated functions compiled from their source, which tracebacks then show."""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any, cast

__all__ = ["compile_function"]


def compile_function(
    fn_name: str, cls: type, lines: list[str], globs: dict[str, Any]
) -> Callable[..., Any]:
    """Compile the function ``fn_name`` of source ``lines`` (generated for ``cls``)."""
    source = "\n".join(lines) + "\n"
    filename = f"<omsclient generated {fn_name} of {cls.__module__}.{cls.__qualname__}>"
    # With the source in linecache, tracebacks through generated code show their lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), globs)
    return cast("Callable[..., Any]", globs[fn_name])
