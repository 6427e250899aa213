"""The proxies the environment names (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``,
``NO_PROXY``), checked when a client is made, and the credentials they carry.

httpx reads these for the transports it builds; omsclient builds its own (one pool per event
loop, either transport), so it reads them here, and refuses one neither could send through
before any request, where httpx would fail every request with an error of its own.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping
from importlib.util import find_spec
from urllib.parse import urlsplit

import httpx
from httpx._utils import URLPattern, get_environment_proxies

from omsclient._settings import host_problem
from omsclient.errors import ConfigurationError

__all__ = ["ProxyNames", "environment_proxies", "proxy_for", "proxy_names", "proxy_secrets"]

_VARIABLES = {"http://": "HTTP_PROXY", "https://": "HTTPS_PROXY", "all://": "ALL_PROXY"}
_SOCKS = frozenset({"socks5", "socks5h"})


def environment_proxies(transport: str, urls: Iterable[str]) -> dict[str, httpx.Proxy | None]:
    """The proxy of each URL pattern the environment names that requests to ``urls`` (the
    client's base URLs) go through (None for ``NO_PROXY``'s hosts). A proxy none of them takes
    is left out, unchecked: an ``ALL_PROXY`` no request would use, as for a local server in
    ``NO_PROXY``, must not stop the client.

    Raises:
        ConfigurationError: a proxy of a scheme httpx does not send through, or a SOCKS proxy
            that ``transport`` cannot use (aiohttp; httpx without ``socksio``).
    """
    found = get_environment_proxies()
    taken = {_pattern_for(url, found) for url in urls}
    return {
        pattern: None if url is None else _proxy(url, _spelled(_VARIABLES[pattern]), transport)
        for pattern, url in found.items()
        if pattern in taken
    }


def _pattern_for(url: str, patterns: Iterable[str]) -> str | None:
    """The pattern requests to ``url`` are sent by, as httpx picks one: the most specific that
    matches it."""
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return None
    matching = []
    for text in patterns:
        try:
            pattern = URLPattern(text)
        except (httpx.InvalidURL, ValueError):
            # A NO_PROXY entry httpx makes no pattern of ("[::1]" becomes "all://*[::1]"):
            # it matches nothing, and must not stop the others from matching.
            continue
        if pattern.matches(target):
            matching.append(pattern)
    return min(matching, key=lambda pattern: pattern.priority).pattern if matching else None


ProxyNames = dict[str, tuple[str, str] | None]
"""Each URL pattern's proxy: the variable naming it and its address without its user or
password (None for a host ``NO_PROXY`` names)."""


def proxy_names(proxies: Mapping[str, httpx.Proxy | str | None] | None = None) -> ProxyNames:
    """:data:`ProxyNames` of ``proxies`` (those a client took when it was made, from
    :func:`environment_proxies`), or of the environment's now; each variable spelled as the
    environment spells it now (urllib reads a lowercase one with a value first)."""
    found = get_environment_proxies() if proxies is None else proxies
    names: ProxyNames = {}
    for pattern, proxy in found.items():
        variable = _spelled(_VARIABLES.get(pattern, "ALL_PROXY"))
        names[pattern] = None if proxy is None else (variable, _address(proxy, variable))
    return names


def _address(proxy: httpx.Proxy | str, variable: str) -> str:
    try:
        # httpx.Proxy keeps no credential in its url.
        return str((proxy if isinstance(proxy, httpx.Proxy) else httpx.Proxy(proxy)).url)
    except (httpx.InvalidURL, ValueError):  # one the client refused when it was made
        return variable


def proxy_for(url: str, names: ProxyNames | None = None) -> tuple[str, str] | None:
    """The variable naming the proxy requests to ``url`` go through, as the client's transports
    pick one (the most specific pattern; none for a host ``NO_PROXY`` names), and that proxy's
    address without its user or password; None when there is none. ``names``: a client's, from
    :func:`proxy_names` when it was made; by default, the environment's now."""
    found = proxy_names() if names is None else names
    pattern = _pattern_for(url, found)
    return None if pattern is None else found[pattern]


def _spelled(upper: str) -> str:
    """Proxy variable ``upper`` as the environment spells it: urllib reads a lowercase one with
    a value first, and a message naming the other sends the user looking for what is unset."""
    return upper.lower() if os.environ.get(upper.lower()) else upper


def _proxy(url: str, variable: str, transport: str) -> httpx.Proxy:
    if url != url.strip():
        raise ConfigurationError(f"{variable} has spaces around its URL: remove them")
    scheme = url.partition("://")[0].lower()  # httpx writes http:// before a bare host
    # Each refusal is raised outside the except block: httpx's error would travel as its
    # context, and its message quotes the URL up to what it could not read, the password when
    # an unencoded "/" ends it early ("Invalid port: 'Winter2026'").
    proxy, problem = None, ""
    try:
        proxy = httpx.Proxy(url)
    except httpx.InvalidURL:
        problem = (
            f"{variable} is not a valid proxy URL (check its host and port; a '/', '#', '?' or "
            "'@' in its user name or password must be percent-encoded: %2F, %23, %3F, %40)"
        )
    except ValueError:
        # The URL is not shown: it may carry the proxy's password.
        problem = (
            f"{variable} names a {scheme}:// proxy, which httpx cannot send through "
            "(http, https, socks5 or socks5h)"
        )
    if proxy is None:
        raise ConfigurationError(problem)
    # Found only at the first request otherwise, as an OverflowError or a UnicodeError that
    # is no client error, or a connection error retried as if the proxy were down.
    port = proxy.url.port
    if port is not None and not 0 < port < 65536:
        raise ConfigurationError(f"{variable} names a proxy port out of range (1-65535)")
    if not proxy.url.host:
        raise ConfigurationError(f"{variable} names no proxy host")
    host = host_problem(urlsplit(str(proxy.url)))  # the host is never quoted
    if host is not None:
        raise ConfigurationError(f"{variable} has no valid proxy host name: {host}")
    if proxy.url.scheme in _SOCKS:
        if transport == "aiohttp":
            raise ConfigurationError(
                f'{variable} names a SOCKS proxy, which transport="aiohttp" cannot send '
                'through: use transport="httpx" (with pip install "httpx[socks]")'
            )
        if find_spec("socksio") is None:
            raise ConfigurationError(
                f'{variable} names a SOCKS proxy, which needs socksio: pip install "httpx[socks]"'
            )
    return proxy


def proxy_secrets(proxies: dict[str, httpx.Proxy | None]) -> list[str]:
    """The credentials the proxies' URLs carry, to redact: each password, and the
    ``Proxy-Authorization: Basic`` value a proxy echoes back as readily."""
    secrets: list[str] = []
    for proxy in proxies.values():
        if proxy is not None and proxy.auth is not None:
            username, password = proxy.auth
            basic = base64.b64encode(f"{username}:{password}".encode()).decode()
            secrets += [password, basic]
    return secrets
