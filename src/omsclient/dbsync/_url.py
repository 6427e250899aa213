"""Database URLs: ``sqlite:///path.db`` and ``postgresql://user@host:port/dbname``."""

from __future__ import annotations

import importlib.util
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import attrs

from omsclient._new_files import name_max
from omsclient.dbsync._errors import DatabaseUrlError
from omsclient.dbsync._lock_file import LOCK_NAME_ADDS

__all__ = ["DatabaseUrl", "parse_database_url", "passwords_of"]

_POSTGRES_SCHEMES = ("postgresql", "postgres")


@attrs.frozen
class DatabaseUrl:
    """A parsed database URL.

    Attributes:
        kind: ``"sqlite"`` or ``"postgresql"``.
        target: the SQLite file, or the URL to hand to psycopg.
        display: the URL without its password, for messages and summaries.
    """

    kind: str
    target: str = attrs.field(repr=False)
    display: str


def _userinfo(url: str) -> tuple[str, str, str] | None:
    """``url`` cut around its user's part (``user:password``): the text before it, the part,
    and the text after its ``@``; or None when it names no password.

    The part runs to the last ``@``: a password holding ``/``, ``?``, ``#``, ``[`` or ``@``
    unencoded is hidden whole (and so is more, up to an ``@`` in the query). It starts after
    a scheme written with its slashes, or mistyped (``postgresql//``, ``postgresql:/``), or at
    the start (``etl:pw@host``); the password after the user name's first ``:``.
    """
    at = url.rfind("@")
    if at < 0:
        return None
    scheme = _SCHEME_AND_SLASHES.match(url)
    before = scheme[0] if scheme and scheme[0][-1] == "/" else ""
    userinfo = url[len(before) : at]
    if ":" not in userinfo:
        return None
    return before, userinfo, url[at + 1 :]


# A scheme and the slashes after it, the colon or the slashes perhaps mistyped away.
_SCHEME_AND_SLASHES = re.compile(r"[a-z][a-z0-9+.-]*(?::/*|/+)|/+", re.IGNORECASE)


def _name(text: str) -> str:
    """A pattern of a parameter's name, each letter as itself or percent-encoded: libpq
    decodes the names of a URL's query too (``pass%77ord`` is ``password``)."""
    return "".join(f"(?:{c}|%{ord(c.lower()):x}|%{ord(c.upper()):x})" for c in text)


# libpq takes its parameters in a URL's query, or as a key=value connection string (given
# where a URL belongs): these hold secrets. A value runs to the next parameter of a query
# (an unencoded "#", space or "&" in it, "ab#cd", which libpq takes whole, is no end of it),
# hiding the rest of a connection string with it; a quoted one to its closing quote, past
# quotes escaped with a backslash ('it\'s').
_SECRET_PARAMETER = re.compile(
    rf"(?P<name>(?:^|[\s?&])(?:{_name('ssl')})?{_name('password')}\s*=\s*)"
    r"(?P<value>'(?:[^'\\]|\\.)*'|(?:(?!&+[\w%.-]+\s*=).)*)",
    re.IGNORECASE | re.DOTALL,
)
_PARAMETER_SEPARATORS = re.compile(r"[\s&]+")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")


def passwords_of(url: str) -> list[str]:
    """Every password text of ``url``, as written and decoded: the user's part's, and the
    ``password`` and ``sslpassword`` parameters."""
    found = _userinfo(url)
    password = "" if found is None else found[1].split(":", 1)[1]
    # libpq ends the user's part at the first "@": what it would send is a password too.
    piece = password.split("@", 1)[0]
    texts = [password, *([piece] if len(piece) >= 3 else [])] if password else []
    for found_value in _SECRET_PARAMETER.finditer(url):
        value = found_value["value"].strip("'")
        # libpq splits "sec&ret42" or "my secret", and its error quotes a piece.
        pieces = [p for p in _PARAMETER_SEPARATORS.split(value) if len(p) >= 3 and p != value]
        texts += [value, re.sub(r"\\(.)", r"\1", value), *pieces]
    return [t for text in texts for t in dict.fromkeys((text, unquote(text))) if t]


def _without_password(url: str) -> str:
    found = _userinfo(url)
    if found is not None:
        before, userinfo, after = found
        url = f"{before}{userinfo.split(':', 1)[0]}:***@{after}"
    return _SECRET_PARAMETER.sub(lambda m: m["name"] + "***", url)


def _sqlite(url: str) -> DatabaseUrl:
    rest = url[len("sqlite:") :]
    if not rest.startswith("///"):
        raise DatabaseUrlError(
            f"database URL {_without_password(url)!r}: a SQLite URL is "
            "sqlite:///relative/path.db or sqlite:////absolute/path.db (three slashes, then "
            "the path)"
        )
    if "?" in rest or "#" in rest:
        # Not quoted: what follows may be a password meant for the database. Nor dropped: a
        # file name holding "?" would name another file.
        raise DatabaseUrlError(
            f"database URL {url.split('?')[0].split('#')[0]!r}...: a SQLite URL takes no "
            "parameters or fragment (? or #); name the file alone, e.g. sqlite:///orders.db"
        )
    text = rest[3:]
    if not text or text == ":memory:":
        raise DatabaseUrlError(
            f"database URL {url!r}: name the SQLite file, e.g. sqlite:///orders.db "
            "(an in-memory database would be lost at the end of the sync)"
        )
    path = Path(text)
    try:
        # pathlib's checks say False for a missing file, and raise for a name past what the
        # file system takes (over 255 bytes).
        if path.is_dir():
            raise DatabaseUrlError(f"database URL {url!r}: {path} is a folder, not a database file")
        if path.exists() and not path.is_file():
            # /dev/null: SQLite's "disk I/O error" would read as a database busy for now.
            raise DatabaseUrlError(
                f"database URL {url!r}: {path} is a device, a pipe or a socket, not a database file"
            )
        folder = path.parent.is_dir()
    except OSError as exc:
        raise DatabaseUrlError(f"database URL {url!r}: {exc.strerror or exc}") from None
    if not folder:
        hint = ""
        if text.startswith("~"):
            # A shell expands ~ only at the start of a word, not inside a URL.
            try:
                home = Path(text).expanduser()
            except RuntimeError:  # no such user, or no home (a container's numeric user)
                home = path
            hint = f" (~ is not expanded in a URL: sqlite:///{home})" if home.is_absolute() else ""
        elif not path.is_absolute() and Path("/", path).parent.is_dir():
            # Three slashes start a path in the current folder: sqlite:///tmp/x.db is tmp/x.db.
            hint = f" (an absolute path takes four slashes: sqlite:///{Path('/', path)})"
        raise DatabaseUrlError(
            f"database URL {url!r}: the folder {path.parent} does not exist{hint}"
        )
    try:
        # Checked here, before anything is sent: SQLite only says "unable to open database
        # file", and even an existing database writes its -wal and -shm files beside it. A
        # file made and gone proves it where permission bits do not (root, read-only mounts).
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise DatabaseUrlError(
            f"database URL {url!r}: the folder {path.parent} is not writable "
            f"({exc.strerror or exc}); SQLite writes the database and its -wal and -shm files "
            "there"
        ) from None
    try:
        # An existing file SQLite can only read fails the run at its first write, after a
        # request ("attempt to write a readonly database"), and again at every run after it.
        # Opened for writing, nothing written.
        with path.open("r+b"):
            pass
    except FileNotFoundError:
        pass  # SQLite creates it
    except OSError as exc:
        raise DatabaseUrlError(
            f"database URL {url!r}: the file {path} is not writable ({exc.strerror or exc})"
        ) from None
    # The sync's lock file beside it has a longer name: one too long for the file system
    # failed every run once the database was made, each telling to run again.
    real = Path(os.path.realpath(path))
    limit = name_max(real.parent)
    if len(os.fsencode(real.name)) + LOCK_NAME_ADDS > limit:
        raise DatabaseUrlError(
            f"database URL {url!r}: the name {real.name!r} is too long for the lock file "
            f"written beside it, which adds {LOCK_NAME_ADDS} characters (names here take at "
            f"most {limit} bytes); use a name of at most {limit - LOCK_NAME_ADDS} bytes"
        )
    name = str(path)
    if name[:5].lower() == "file:":
        # SQLite reads a name beginning "file:" as a URI (file:x.db opens x.db): the file in
        # the current folder, named as a path.
        name = f"./{name}"
    return DatabaseUrl("sqlite", name, url)


def _postgres(url: str) -> DatabaseUrl:
    display = _without_password(url)
    if not url.partition(":")[2].startswith("//"):
        # libpq would read it as a connection string ("missing '=' after ..."), quoting it.
        raise DatabaseUrlError(
            f"database URL {display!r}: a PostgreSQL URL is postgresql://user@host/dbname "
            "(two slashes after the scheme)"
        )
    # Each refusal below is raised outside the except block: the error it stands for, which
    # would travel as its context, holds a piece of the password.
    try:
        unquote(url, errors="strict")
        utf_8 = True
    except UnicodeDecodeError:
        # psycopg reads the URL as UTF-8, and its UnicodeDecodeError holds the bytes it could
        # not read: a password's, printed by repr() of the error.
        utf_8 = False
    if not utf_8:
        raise DatabaseUrlError(
            f"database URL {display!r}: its percent-encoded bytes are no UTF-8 text, which "
            "psycopg reads (an é is %C3%A9 in UTF-8, where Latin-1 writes %E9)"
        )
    try:
        parts = urlsplit(url)
        # Reading a port validates it; libpq takes a list of hosts to try in turn
        # (host1:5432,host2:5433), each with its own.
        for host in parts.netloc.rpartition("@")[2].split(","):
            urlsplit(f"//{host}").port  # noqa: B018
        # libpq ends the user's part at the first "@", urlsplit at the last: the rest of the
        # password would be taken for the host name (and sent to the name resolver).
        if url.split("?", 1)[0].count("@") > 1:
            raise ValueError("two @")
        readable = True
    except ValueError:
        # urlsplit's message may quote a piece of the password ("Port could not be cast to
        # integer value as 'my'"): not printed.
        readable = False
    if not readable:
        raise DatabaseUrlError(
            f"database URL {display!r} cannot be read (a bad port, or a /, ?, #, [ or @ in the "
            "user name or password: percent-encode them, e.g. %2F for /, %40 for @)"
        )
    if importlib.util.find_spec("psycopg") is None:
        raise DatabaseUrlError("PostgreSQL needs psycopg: pip install 'omsclient[postgres]'")
    return DatabaseUrl("postgresql", url, display)


def parse_database_url(url: str) -> DatabaseUrl:
    """Check ``url`` and say which database it names; nothing is opened or created.

    Raises:
        DatabaseUrlError: an unknown scheme, a SQLite path whose folder does not exist, or
            PostgreSQL without psycopg installed. The message never holds the password.
    """
    if not isinstance(url, str):
        # Not quoted: bytes or a path-like may spell the URL, password and all.
        raise DatabaseUrlError(f"database URL must be a non-empty string, got {type(url).__name__}")
    if not url.strip():
        raise DatabaseUrlError(f"database URL must be a non-empty string, got {url!r}")
    scheme, sep, _ = url.partition(":")
    scheme = scheme.lower()
    if not sep or not _SCHEME.fullmatch(scheme):
        # A libpq connection string ("host=... password=...") lands here: not quoted whole.
        raise DatabaseUrlError(
            f"database URL {_without_password(url)!r} has no scheme: use sqlite:///orders.db "
            "or postgresql://user@host/dbname"
        )
    if scheme == "sqlite":
        return _sqlite(url)
    if scheme.split("+", 1)[0] in _POSTGRES_SCHEMES:
        if "+" in scheme:
            raise DatabaseUrlError(
                f"database URL {_without_password(url)!r}: write postgresql://..., "
                "without a driver name"
            )
        # libpq reads a URL by its scheme in lower case alone: "POSTGRESQL://..." it took for
        # a connection string, refused as one ("missing \"=\"").
        return _postgres(scheme + url[len(scheme) :])
    raise DatabaseUrlError(
        f"database URL {_without_password(url)!r}: unknown database {scheme!r}; "
        "use sqlite:///path.db or postgresql://user@host/dbname"
    )
