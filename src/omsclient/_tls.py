"""The TLS context of httpx's pools: made once for each source of trusted certificates.

Loading a CA bundle (certifi's, or the file ``SSL_CERT_FILE`` names) takes 30-50 ms of CPU.
Each client loaded it again for its first HTTPS pool, and with ``SSL_CERT_FILE`` set once more
to check the file as it was made: a program making a client per job, per request or per thread
paid it every time. A context serves any number of clients and threads; one is kept for each
source, and a file changed since it was loaded (another file at the path, another size or time
of change), or a directory of ``SSL_CERT_DIR`` whose entries changed, is loaded again.
"""

from __future__ import annotations

import functools
import os
import ssl

import certifi
import httpx

__all__ = ["certificate_dirs", "trusted_context"]

# A test suite or a program moving between a few CA files keeps each one's context; a source
# no longer named goes once four others have been asked for.
_SOURCES_KEPT = 4


def trusted_context() -> ssl.SSLContext:
    """httpx's TLS context for the certificates the environment says to trust, shared.

    Raises:
        ssl.SSLError: ``SSL_CERT_FILE`` holds no certificate.
        OSError: the file it names cannot be read.
    """
    return _context(_source())


def _source() -> tuple[object, ...]:
    """Where httpx reads the certificates to trust from, as it reads it, with the identity of
    the file or of each directory of the list.

    A context keeps every certificate OpenSSL has looked up in a directory: one removed from it
    would still be trusted. A directory's entries changing changes its time of change, and a
    new context is made.
    """
    cert_file = os.environ.get("SSL_CERT_FILE") or None
    cert_dir = None if cert_file else os.environ.get("SSL_CERT_DIR") or None
    if cert_dir:
        return cert_file, cert_dir, tuple(_identity(d) for d in certificate_dirs(cert_dir))
    return cert_file, cert_dir, _identity(cert_file or certifi.where())


def certificate_dirs(value: str) -> list[str]:
    """The directories an ``SSL_CERT_DIR`` of ``value`` names: OpenSSL reads a list of them,
    parted as ``PATH`` is (``/etc/ssl/certs:/opt/corp/certs``), empty parts skipped."""
    return [path for path in value.split(os.pathsep) if path]


def _identity(path: str) -> tuple[int, ...] | None:
    """What tells a file or directory at ``path`` from another one there, or from itself before
    a change; None when there is none (loading says what is wrong)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


@functools.lru_cache(maxsize=_SOURCES_KEPT)
def _context(source: tuple[object, ...]) -> ssl.SSLContext:
    # httpx reads the environment itself: the source is the key, and what httpx does with it
    # stays httpx's.
    return httpx.create_ssl_context()
