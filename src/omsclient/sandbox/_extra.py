"""Whether the sandbox extra, which serves the sandbox, is installed."""

from __future__ import annotations

__all__ = ["EXTRA_MISSING", "has_extra"]

EXTRA_MISSING = "needs the sandbox extra: pip install 'omsclient[sandbox]'"
"""What to do when :func:`has_extra` is false, after what needs it."""


def has_extra(serving: bool = True) -> bool:
    """Whether starlette, and uvicorn when ``serving`` (on a socket: the in-process transport
    needs starlette alone), are installed."""
    try:
        import starlette  # noqa: F401

        if serving:
            import uvicorn  # noqa: F401
    except ImportError:
        return False
    return True
