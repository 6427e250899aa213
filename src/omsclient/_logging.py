"""``OMS_LOG=debug|info``: omsclient's log lines on stderr, without writing any code.

The records are the ones the ``omsclient`` logger always emits (one line per attempt, retries at
debug level); they name operations, methods and paths, never credentials, and error texts in
them are redacted like the errors themselves.
"""

from __future__ import annotations

import logging
import os
import sys

from omsclient.errors import ConfigurationError

__all__ = ["configure_from_environment"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_handler: logging.Handler | None = None


def configure_from_environment() -> None:
    """Send the ``omsclient`` logger to stderr at the level ``OMS_LOG`` names (once)."""
    global _handler
    value = os.environ.get("OMS_LOG", "").strip().lower()
    if not value:
        return
    if value not in _LEVELS:
        raise ConfigurationError(f"OMS_LOG must be debug or info, got {value!r}")
    logger = logging.getLogger("omsclient")
    logger.setLevel(_LEVELS[value])
    if _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(_handler)
