"""Whether the sandbox extra, which serves the sandbox, is installed."""

from __future__ import annotations

__all__ = ["EXTRA_MISSING", "has_extra"]

EXTRA_MISSING = "needs the sandbox extra: pip install 'omsclient[sandbox]'"
"""What to do when :func:`has_extra` is false, after what needs it."""


def has_extra() -> bool:
    """Whether starlette and uvicorn, which serve the sandbox, are installed."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return False
    return True
