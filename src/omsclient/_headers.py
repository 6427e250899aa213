"""The headers every request of a client carries: ours, the caller's defaults, the app name.

``User-Agent`` always names omsclient; an ``app_name`` is added to it, and a User-Agent set on the
caller's own ``http_client`` is kept in front of ours rather than replaced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

from omsclient._inflate import check_accept_encoding
from omsclient._validate import shown
from omsclient.errors import ConfigurationError

__all__ = ["USER_AGENT", "check_secret_value", "client_headers", "merged", "secret_values"]

USER_AGENT = "omsclient/0.1"
_HTTPX_USER_AGENT = f"python-httpx/{httpx.__version__}"  # what httpx sends unless told


# RFC 9110: a field name is a token; a value is visible ASCII, spaces and tabs (httpx encodes
# values as ASCII, and a CR or LF would end the header and start another one).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE = re.compile(r"[\x20-\x7e\t]*")
# Names a gateway's or a proxy's credential travels under (X-Api-Key, Proxy-Authorization,
# X-Auth-Token, Ocp-Apim-Subscription-Key, CF-Access-Client-Secret, Cookie...).
_CREDENTIAL_NAME = re.compile(
    r"auth|key|token|secret|passw|cookie|session|signature|credential", re.IGNORECASE
)
# Per-request values, often set with with_options for one call: no credential.
_NOT_SECRET = frozenset({"user-agent", "idempotency-key"})


# Headers a default would break every request with: the body's framing (a Content-Length of
# another body fails in h11; beside Transfer-Encoding it is framing a proxy reads two ways) and
# the URL's host. (A Content-Type is replaced by ours wherever a body goes out; a Connection:
# close is how some get past a balancer that drops idle connections.)
_NOT_DEFAULTS = {
    **dict.fromkeys(
        ("content-length", "transfer-encoding"),
        "frames each request's body, which the HTTP layer does",
    ),
    "host": "is the URL's: set legacy_url or rest_url instead",
}


def _check_not_a_default(name: str, where: str) -> None:
    reason = _NOT_DEFAULTS.get(name.lower())
    if reason is not None:
        raise ConfigurationError(f"{where}[{name!r}] cannot be a default: it {reason}")


def _check_value(value: str, what: str) -> None:
    if not _VALUE.fullmatch(value):
        bad = next(c for c in value if not _VALUE.fullmatch(c))
        raise ConfigurationError(
            f"{what} may hold only printable ASCII characters, spaces and tabs "
            f"(no line breaks), found {bad!r}"
        )
    _check_ends(value, what)


def _check_ends(value: str, what: str) -> None:
    # A field value has no space or tab at either end (RFC 9110): h11 refuses one at the first
    # request, a TransportError after every retry instead of a word now.
    if value != value.strip(" \t"):
        raise ConfigurationError(f"{what} must not begin or end with a space or tab")


def check_secret_value(value: str, what: str) -> None:
    """The check of :func:`_check_value` for a value that is a secret (the API token): the
    message says what is wrong and where, never the value or any character of it."""
    for position, c in enumerate(value):
        if not _VALUE.fullmatch(c):
            kind = (
                "a line break"
                if c in "\r\n"
                else "a control character"
                if c < " " or c == "\x7f"
                else "a non-ASCII character"
            )
            raise ConfigurationError(
                f"{what} may hold only printable ASCII characters, spaces and tabs "
                f"(no line breaks): found {kind} at position {position}"
            )
    if not value.strip(" \t"):
        raise ConfigurationError(f"{what} must not be blank")
    # The token is sent as given: one read with a stray space would fail on the wire, or at
    # the server as a wrong token, only once a request went out.
    _check_ends(value, what)
    if value[:7].lower() in ("bearer ", "bearer\t"):
        # Copied with the header's scheme, it would go out as "Bearer Bearer ...": a bare 401
        # at the first call.
        raise ConfigurationError(
            f"{what} must be the token alone: the client sends 'Bearer ' before it"
        )


def _checked(headers: Mapping[str, str] | None) -> dict[str, str]:
    if headers is None:
        return {}
    # Types only, never values: what httpx also takes as headers (a list of pairs, bytes) may
    # carry a gateway's key.
    if not isinstance(headers, Mapping):
        raise ConfigurationError(f"default_headers must be a mapping, got {type(headers).__name__}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str):
            raise ConfigurationError(
                f"default_headers: header names must be str, got {type(name).__name__}"
            )
        if not isinstance(value, str):
            raise ConfigurationError(
                f"default_headers[{name!r}] must be a str, got {type(value).__name__}"
            )
        if not _TOKEN.fullmatch(name):
            raise ConfigurationError(
                f"default_headers: {name!r} is not a header name (letters, digits and "
                "!#$%&'*+-.^_`|~ only)"
            )
        _check_not_a_default(name, "default_headers")
        # The value is not quoted: a header may carry a secret.
        _check_value(value, f"default_headers[{name!r}]")
        if name.lower() == "accept-encoding":
            check_accept_encoding(value, f"default_headers[{name!r}]")
        checked[name.lower()] = value
    return checked


def secret_values(headers: Mapping[str, str]) -> list[str]:
    """The values of ``headers`` that are credentials, to redact like the password and the
    token: the docs send a gateway's credentials to ``default_headers``, and a server or proxy
    echoes them back as readily. An ``Authorization`` value's credentials count on their own
    too (``Basic <base64>``: an echo may leave out the scheme); of a ``Cookie`` header, each
    cookie's value (an echo may quote one, and the names are no secret)."""
    secrets = []
    for name, value in headers.items():
        if name.lower() == "cookie":
            pairs = (pair.partition("=") for pair in value.split(";"))
            secrets += [cookie.strip() for _, _, cookie in pairs if cookie.strip()]
        elif name.lower() not in _NOT_SECRET and _CREDENTIAL_NAME.search(name):
            secrets.append(value)
            _, _, credentials = value.strip().partition(" ")
            if credentials.strip():
                secrets.append(credentials.strip())
    return secrets


def client_headers(
    http: httpx.AsyncClient | None, default_headers: Mapping[str, str] | None, app_name: str | None
) -> dict[str, str]:
    """The per-request headers of a new client (before ``with_options`` adds its own)."""
    if app_name is not None and (not isinstance(app_name, str) or not app_name.strip()):
        raise ConfigurationError(f"app_name must be a non-empty string, got {shown(app_name)}")
    if app_name is not None:
        _check_value(app_name.strip(), "app_name")
    agent = USER_AGENT if app_name is None else f"{USER_AGENT} {app_name.strip()}"
    if http is not None:
        for raw, _ in http.headers.raw:  # as written: iterating the headers lowers them
            _check_not_a_default(raw.decode("latin-1"), "http_client's headers")
    headers = _checked(default_headers)
    theirs = headers.pop("user-agent", None)
    if theirs is None and http is not None:
        configured = http.headers.get("user-agent")
        theirs = None if configured == _HTTPX_USER_AGENT else configured
    headers["user-agent"] = agent if theirs is None else f"{theirs} {agent}"
    return headers


def merged(base: Mapping[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    """``base`` with ``extra`` (a ``with_options(default_headers=...)``) on top; our
    User-Agent stays, after theirs."""
    headers = dict(base)
    more = _checked(extra)
    theirs = more.pop("user-agent", None)
    headers.update(more)
    if theirs is not None:
        headers["user-agent"] = f"{theirs} {base['user-agent']}"
    return headers
