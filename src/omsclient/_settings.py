"""Client settings: where the APIs are and who we are, read from arguments or the environment."""

from __future__ import annotations

import ipaddress
import os
import re
import unicodedata
import zoneinfo
from typing import Literal
from urllib.parse import SplitResult, urlsplit

import attrs
import httpx

from omsclient._headers import check_secret_value
from omsclient._validate import check_text, id_text, shown
from omsclient.errors import ConfigurationError, OmsError

__all__ = [
    "LEGACY_API",
    "REST_API",
    "OrderFieldNumbering",
    "Settings",
    "credential_problem",
    "environment_zone",
    "host_problem",
]

OrderFieldNumbering = Literal["api", "blueprint"]
"""How ``OrderField.DATE_SHIPPED`` and ``DATE_INVOICED`` are numbered on the wire: ``"api"``
(6 Date Shipped, 7 Date Invoiced, as the API reference numbers them) or ``"blueprint"`` (the
older blueprint's 6 Date Invoiced, 7 Date Shipped)."""


# What no label of a host name holds once in its ASCII (IDNA) form. The underscore is no host
# name's either, yet resolvers take it, and container networks name services with it.
_NOT_IN_A_LABEL = re.compile(r"[^a-z0-9_-]")
# A host whose last label is a number is an IPv4 address to URL parsers and resolvers alike,
# in whatever shorthand ("10.1" and "167772161" are 10.0.0.1, "0x0a.1" too).
_READ_AS_AN_ADDRESS = re.compile(r"(?:.*\.)?(?:[0-9]+|0x[0-9a-f]*)\.?", re.ASCII | re.IGNORECASE)


def host_problem(parts: SplitResult) -> str | None:
    """What keeps the host of ``parts`` from being one a name lookup could take, or None.

    httpx refuses some hosts only when the first request is built (an invalid IDNA name, as an
    error that is no httpx one), and sends others to the resolver, whose "Name or service not
    known" is a connection error, retried even for a write. The host is not quoted.
    """
    if _READ_AS_AN_ADDRESS.fullmatch(parts.hostname or ""):
        try:
            ipaddress.IPv4Address(parts.hostname or "")
        except ValueError:
            # "256.1.1.1", "1.2.3.4.5", or a shorthand: aiohttp refuses every one at each
            # request, "10.0.0.1." fails every resolver, and "010.1" is 8.0.0.1 to some.
            return (
                "it is no valid IPv4 address written in full (four numbers of 0-255 with no "
                "dot after them, as 10.0.0.1), as URL parsers read a host ending in a number"
            )
        return None
    try:
        # The scheme and host alone: the rest of the URL has problems of its own.
        parsed = httpx.URL(f"{parts.scheme}://{parts.netloc}")
        host = parsed.raw_host.decode("ascii")  # a Unicode name as it is sent (its A-labels)
        parsed.host  # noqa: B018 - reads the A-labels back: a malformed "xn--" label raises
    except (httpx.InvalidURL, UnicodeError):
        return "it is no valid internationalised (IDNA) name"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    name = host.removesuffix(".")  # a fully qualified name ends with a dot
    if len(name) > 253:
        return f"it is {len(name)} characters long (at most 253)"
    for label in name.split("."):
        if not label:
            return "it has an empty label (two dots in a row, or a dot at the start)"
        if len(label) > 63:
            return f"it has a label of {len(label)} characters (at most 63)"
        odd = _NOT_IN_A_LABEL.search(label)
        if odd is not None:
            return f"it holds {odd.group()!r}, which no host name does"
    return None


LEGACY_API = "/api/json"
"""Where every path of the legacy API begins, after ``legacy_url``'s own path."""
REST_API = "/api/v1"
"""Where every path of the REST API begins, after ``rest_url``'s own path."""

_LONGEST_URL = 2048
"""The longest base URL taken: the request line a server reads whole is a few KiB (nginx: 8
KiB), and httpx refuses a URL of 64 KiB on every call."""


def _url(value: object, name: str, api: str) -> str | None:
    """``value`` as a base URL the client can put ``api``'s paths after, or None when it is
    unset. A path ending in ``api`` (``https://oms.example.com/api/v1``) is taken without it.

    The URL is never printed: a query or user info may carry a secret.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a str, got {type(value).__name__}")
    value = check_text(value, name, ConfigurationError).strip().rstrip("/")
    if not value:
        return None
    if len(value) > _LONGEST_URL:
        raise ConfigurationError(
            f"{name} is {len(value)} characters long; a base URL of at most {_LONGEST_URL} "
            "leaves room for the API's paths"
        )
    if any(c <= " " or c == "\x7f" for c in value):
        # urlsplit quietly drops tabs and line breaks; httpx would refuse them on the first call.
        raise ConfigurationError(f"{name} must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        port = parts.port  # a port that is not a number, or past 65535, raises here
        readable = True
    except ValueError:
        # Refused outside the except block: urlsplit's error, which would travel as its
        # context, quotes the "port", a piece of a password when a "/" in it ends the host.
        readable = False
    if not readable:
        raise ConfigurationError(f"{name} is not a valid URL (check the host and port)")
    if port == 0:  # no server listens there: every call would fail to connect
        raise ConfigurationError(f"{name} names port 0; give the server's port, or none")
    if parts.scheme.lower() not in ("http", "https"):
        raise ConfigurationError(f"{name} must be an http:// or https:// URL")
    if "@" in parts.netloc:
        # Credentials belong in the form body or the token, never in a URL we build on.
        raise ConfigurationError(f"{name} must not carry user info (user:password@)")
    if "?" in value:
        raise ConfigurationError(f"{name} must not carry a query string (?...)")
    if "#" in value:
        # A fragment never reaches the server: every path after it would be dropped.
        raise ConfigurationError(f"{name} must not carry a fragment (#...)")
    if not parts.hostname or not value.lower().startswith(f"{parts.scheme.lower()}://"):
        raise ConfigurationError(f"{name} must name a host, e.g. https://shop.example.com")
    problem = host_problem(parts)  # after the user info check: the host is never quoted
    if problem is not None:
        raise ConfigurationError(f"{name} has no valid host name: {problem}")
    if not parts.path.lower().endswith(api):
        return value
    # Copied from the API's docs, which write every endpoint after it: kept, every call would
    # go to .../api/v1/api/v1/..., a 404 each, which a delete takes for "already gone". The
    # client adds it to every path, so it is taken off here, once (a gateway may serve the API
    # under a folder of that name), with the slashes it leaves ("https://h//api/v1" is
    # https://h, not https://h/ and a path of //api/v1).
    return value[: len(value) - len(parts.path)] + parts.path[: -len(api)].rstrip("/")


def _text(value: object, name: str) -> str | None:
    """A credential as given: a str with a UTF-8 form (the form is sent in), or None when
    unset. Its value is never printed."""
    if value is None:
        return None
    if isinstance(value, str):
        return check_text(value, name, ConfigurationError)
    raise ConfigurationError(f"{name} must be a str, got {type(value).__name__}")


def store_id_text(
    value: object, name: str, error: type[OmsError] = ConfigurationError
) -> str | None:
    """``value`` as the plain text sent as the store id, or None when it is unset, refused
    with ``error`` (the sandbox refuses a store id of its own by this too, and a call one
    passed to it)."""
    return None if value is None else _unpadded(id_text(value, name, error), name, error)


def credential_problem(value: object, name: Literal["username", "password"]) -> str | None:
    """What keeps ``value`` from being the legacy user name or password a client takes (the
    sandbox's, whose banner must work), or None. The value is never quoted."""
    try:
        text = _text(value, name)
        if not text:
            return f"{name} must not be empty: a client takes it as none set"
        (_unpadded if name == "username" else _no_controls)(text, name)
    except ConfigurationError as exc:
        return str(exc)
    return None


def _no_controls(
    value: str | None, name: str, error: type[OmsError] = ConfigurationError
) -> str | None:
    """``value``, refused if it holds a line break or another control character (a tab
    aside). Read from a file (a secret mounted as one), it keeps the file's last newline, and
    sent so it would fail the login without saying why; a NUL ends the text where a server
    hands it to C (PHP's ``crypt`` compares a password up to its first NUL); an escape
    sequence, printed by the sandbox's banner, would repaint the terminal; no one types one.
    Its position is named, not the value, which may be a secret."""
    if value is not None:
        for position, char in enumerate(value):
            if char in "\r\n":
                raise error(
                    f"{name} holds a line break at position {position} (a value read from a "
                    "file keeps its last newline): remove it"
                )
            if char != "\t" and unicodedata.category(char) == "Cc":
                what = (
                    "a NUL character"
                    if char == "\0"
                    else f"a control character (U+{ord(char):04X})"
                )
                raise error(f"{name} holds {what} at position {position}: remove it")
    return value


def _unpadded(
    value: str | None, name: str, error: type[OmsError] = ConfigurationError
) -> str | None:
    """``value`` on one line, refused if it starts or ends with a space: a name or an id never
    does, and one copied with the space would be sent with it. (A password may, so it is not
    checked so.)"""
    value = _no_controls(value, name, error)
    if value is not None and value != value.strip():
        raise error(f"{name} must not begin or end with a space or tab")
    return value


def _pick(value: object, name: str, variable: str) -> tuple[object, str]:
    """The argument if given, else the environment variable (an empty string, as a template
    renders an unset secret, counts as not given in both); with the name to report a problem
    under."""
    if value is not None and value != "":
        return value, name
    return os.environ.get(variable) or None, f"{variable} (the {name} setting)"


def _zone(value: object, name: str) -> zoneinfo.ZoneInfo | None:
    """The time zone an IANA name (``"America/New_York"``) gives; None for UTC, which the API
    compares dates in unless a server says otherwise."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{name} must be a time zone name, got {shown(value)}")
    try:
        zone = zoneinfo.ZoneInfo(value.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"{name} must be a time zone name such as 'America/New_York' or 'UTC', "
            f"got {shown(value)}"
        ) from None
    return None if zone.key in _UTC_NAMES else zone


def environment_zone() -> zoneinfo.ZoneInfo | None:
    """The ``legacy_timezone`` a client made without one takes from ``OMS_LEGACY_TIMEZONE``.

    Raises:
        ConfigurationError: the variable names no time zone.
    """
    return _zone(*_pick(None, "legacy_timezone", "OMS_LEGACY_TIMEZONE"))


# The IANA names of UTC itself: a client naming one sends what one naming none does.
_UTC_NAMES = frozenset(
    f"{prefix}{name}"
    for prefix in ("", "Etc/")
    for name in ("UTC", "UCT", "Zulu", "Universal", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich")
)


@attrs.frozen
class Settings:
    """Where the two APIs are and the credentials for each. Secrets never appear in the repr."""

    legacy_url: str | None = None
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    rest_url: str | None = None
    api_token: str | None = attrs.field(default=None, repr=False)
    store_id: str | None = None
    order_field_numbering: OrderFieldNumbering = "api"
    legacy_timezone: zoneinfo.ZoneInfo | None = None

    @classmethod
    def resolve(
        cls,
        *,
        legacy_url: str | None,
        username: str | None,
        password: str | None,
        rest_url: str | None,
        api_token: str | None,
        store_id: str | int | None,
        order_field_numbering: OrderFieldNumbering,
        legacy_timezone: str | None = None,
    ) -> Settings:
        """Take each setting from its argument, else from its ``OMS_*`` environment variable."""
        if order_field_numbering not in ("api", "blueprint"):
            raise ConfigurationError(
                "order_field_numbering must be 'api' or 'blueprint', "
                f"got {shown(order_field_numbering)}"
            )
        token_value, token_name = _pick(api_token, "api_token", "OMS_API_TOKEN")
        token = _text(token_value, token_name)
        if token is not None:
            # It becomes the Authorization header; the value is a secret, never printed.
            check_secret_value(token, token_name)
        user, user_name = _pick(username, "username", "OMS_USERNAME")
        secret, secret_name = _pick(password, "password", "OMS_PASSWORD")
        # An empty argument or variable is an unset one, as for every other setting.
        store_value, store_name = _pick(store_id, "store_id", "OMS_STORE_ID")
        store = store_id_text(store_value, store_name)
        return cls(
            legacy_url=_url(*_pick(legacy_url, "legacy_url", "OMS_LEGACY_URL"), LEGACY_API),
            username=_unpadded(_text(user, user_name), user_name),
            password=_no_controls(_text(secret, secret_name), secret_name),
            rest_url=_url(*_pick(rest_url, "rest_url", "OMS_REST_URL"), REST_API),
            api_token=token,
            store_id=store,
            order_field_numbering=order_field_numbering,
            legacy_timezone=_zone(
                *_pick(legacy_timezone, "legacy_timezone", "OMS_LEGACY_TIMEZONE")
            ),
        )
