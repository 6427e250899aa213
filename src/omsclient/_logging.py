"""``OMS_LOG=debug|info``: omsclient's log lines on stderr, without writing any code.

The records are the ones the ``omsclient`` logger always emits (retries and give-ups at info
level, one line per attempt at debug); they name operations, methods and paths, never
credentials, and error texts in them are redacted like the errors themselves.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import weakref
from typing import TextIO

from omsclient._redact import Redactor
from omsclient.errors import ConfigurationError

__all__ = ["configure_from_environment", "redact_http_logs"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_handler: logging.StreamHandler[TextIO] | None = None


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
        _handler = _StderrHandler()
        _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        _handler.addFilter(_unless_shown_on_stderr)
        logger.addHandler(_handler)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """``OMS_LOG``'s handler, on ``sys.stderr`` as it is when a line comes: a progress display
    that took stderr over (the CLI's) prints the line above itself, not across its bar. A line
    it cannot write (stderr closed, as a daemon's may be) is lost, never the call that logged it
    (logging's own report of the failure goes to the same closed stderr and raises there)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass  # always sys.stderr (StreamHandler's __init__ sets it)

    def handleError(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(ValueError, OSError):
            super().handleError(record)


def _unless_shown_on_stderr(record: logging.LogRecord) -> bool:
    """Whether no handler of the application's writes ``record`` to stderr already.

    An application that configures logging too (``logging.basicConfig()``: a root handler on
    stderr) would otherwise get every line twice. Checked per record, as the application may
    configure its logging after the client is made, and only against stderr: a log file of its
    own does not make these lines show where ``OMS_LOG`` promises them.
    """
    stream = sys.stderr if _handler is None else _handler.stream
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        for handler in logger.handlers:
            if (
                handler is not _handler
                and record.levelno >= handler.level
                and _same_stream(_stream_of(handler), stream)
                and handler.filter(record)  # an application's filter may keep it out
            ):
                return False
        logger = logger.parent if logger.propagate else None
    return True


def _stream_of(handler: logging.Handler) -> object:
    """Where ``handler`` writes: a stream handler's stream, a rich handler's console's file."""
    if isinstance(handler, logging.StreamHandler):
        return handler.stream
    return getattr(getattr(handler, "console", None), "file", None)


def _same_stream(stream: object, ours: object) -> bool:
    """Whether ``stream`` is ``ours``, or writes to the same file: another file object on fd 2
    (a wrapper of stderr), or a descriptor of its own on stderr's file (``/dev/stderr``
    opened, fd 2 duplicated). Lines on another file (stdout, when it is a pipe apart) are not
    shown on stderr; the same terminal shows them once."""
    if stream is None:
        return False
    if stream is ours:
        return True
    try:
        theirs, mine = stream.fileno(), ours.fileno()  # type: ignore[attr-defined]
        if theirs == mine:
            return True
        a, b = os.fstat(theirs), os.fstat(mine)
    except (AttributeError, OSError, ValueError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


# The loggers of the HTTP stack that write what a server sent: httpcore's DEBUG lines hold every
# response header, httpx's INFO line the status line's reason phrase. A server may echo a
# credential in either, and an application debugging a failure turns them on.
_HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    # HTTP/2 (an http_client with http2=True): hpack logs each header it encodes or decodes.
    "hpack.hpack",
    "hpack.table",
    # transport="aiohttp": aiohttp's own records, which may quote what a server sent.
    "aiohttp.client",
    "aiohttp.internal",
)


class _HttpLogRedaction(logging.Filter):
    """Redacts the records of the HTTP stack with the redactors of every client alive."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()
        self._patterns = Redactor()  # login keys and Bearer values, with no client alive

    def add(self, redactor: Redactor) -> None:
        with self._lock:
            self._redactors.add(redactor)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            redactors = list(self._redactors)
        try:
            text = record.getMessage()
        except Exception:
            # Arguments that do not fit the format: a handler meets the same error and reports
            # it ("--- Logging error ---") as logging does, where raising here would fail the
            # call that logged.
            return True
        redacted = _redact_all(self._patterns, redactors, text)
        if "\\x" in redacted:
            # httpcore logs headers as bytes, whose repr writes each byte beyond ASCII as \xNN:
            # a secret's UTF-8 (or one-byte charset) bytes, which no pattern of its text finds.
            # Such a line is written with those bytes decoded when that reveals a secret.
            decoded = _BYTE_ESCAPES.sub(_decoded, redacted)
            decoded_redacted = _redact_all(self._patterns, redactors, decoded)
            if decoded_redacted != decoded:
                redacted = decoded_redacted
        if redacted != text:
            record.msg, record.args = redacted, None
        return True


_BYTE_ESCAPES = re.compile(r"(?:\\x[0-9a-f]{2})+")


def _decoded(escapes: re.Match[str]) -> str:
    """A run of ``\\xNN`` escapes as the text of its bytes (U+FFFD where no UTF-8), as the
    redactor reads an answer's body."""
    return bytes.fromhex(escapes[0].replace("\\x", "")).decode("utf-8", "replace")


def _redact_all(patterns: Redactor, redactors: list[Redactor], text: str) -> str:
    """``text`` redacted by ``patterns`` (login keys, Bearer values) and every client's
    redactor: status lines and headers, read as ASCII or Latin-1 whatever charset they came in.

    Each redactor reads the text as it came: one in turn would cut a secret out of another
    one's holding it (past the client of ``secret``, ``pw-secret-1`` read ``pw-[REDACTED]-1``).
    When more than one finds a secret of its own, the secrets of those redact it together,
    longest first; a redactor that finds none builds no pattern, as a view's new key would.
    """
    plain = patterns.read_as_ascii(text)
    found = [(redactor, redactor.read_as_ascii(text)) for redactor in redactors]
    found = [(redactor, redacted) for redactor, redacted in found if redacted != plain]
    if len(found) < 2:
        return found[0][1] if found else plain
    return Redactor.of_all(redactor.in_call() for redactor, _ in found).read_as_ascii(text)


_http_filter: _HttpLogRedaction | None = None
_http_filter_lock = threading.Lock()


def redact_http_logs(redactor: Redactor) -> None:
    """Redact the secrets ``redactor`` knows from httpx's and httpcore's log records too, for
    as long as it is in use. A record costs nothing more unless its logger is enabled."""
    global _http_filter
    with _http_filter_lock:
        if _http_filter is None:
            _http_filter = _HttpLogRedaction()
            for name in _HTTP_LOGGERS:
                logging.getLogger(name).addFilter(_http_filter)
    _http_filter.add(redactor)
