"""What to fix after a failure that a setting explains, said in the command's words."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from omsclient._proxies import proxy_for
from omsclient._session import CAP_SETTING
from omsclient._untrusted import verification_failure
from omsclient.errors import (
    ApiNotEnabledError,
    AuthenticationError,
    DecodeError,
    OmsError,
    PermissionDeniedError,
    RequestTimeoutError,
    TransportError,
)

__all__ = ["advice", "answered_html", "site"]


def site(url: str | None) -> str:
    """Where ``url`` points, as ``scheme://host:port``: enough to spot a wrong one. The client
    refused a URL with user info or a query, and its path is left out too."""
    parts = urlsplit((url or "").strip())
    return f"{parts.scheme}://{parts.netloc}"


def _site() -> str:
    return site(os.environ.get("OMS_LEGACY_URL"))


def _through_proxy() -> str:
    """`` through the proxy HTTPS_PROXY names (http://proxy:3128)`` when the environment gives
    ``OMS_LEGACY_URL`` a proxy (never its user or password), else ``""``: a proxy that is down
    fails the connection as a wrong URL would."""
    found = proxy_for(os.environ.get("OMS_LEGACY_URL", "").strip())
    return "" if found is None else f" through the proxy {found[0]} names ({found[1]})"


def answered_html(exc: OmsError) -> bool:
    """Whether ``exc`` is an HTML page where JSON was expected (a login or maintenance page):
    one that may pass, unlike an answer the server would send the same way again."""
    return isinstance(exc, DecodeError) and exc.snippet.lstrip().startswith("<")


def advice(exc: OmsError, *, sandbox: bool) -> str | None:
    """What to check after ``exc`` from the server the ``OMS_*`` variables name, a sentence, or
    None when the failure was of the moment and running the command again is all there is to do.

    The client's messages speak of the request (``ERROR 30001``, ``ConnectError on POST
    /api/json/...``); a user of the command knows the variables they set, so these name them.
    With ``sandbox`` there is none: the built-in sandbox was read, not what they name.
    """
    if isinstance(exc, DecodeError) and f"-byte cap ({CAP_SETTING})" in str(exc):
        return (
            "The answer is larger than the command reads: run it again with a larger "
            "--max-response-mib (each page holds 100 orders or products)."
        )
    if sandbox:
        return None
    if isinstance(exc, AuthenticationError):
        return f"{_site()} refused the user name and password: check OMS_USERNAME and OMS_PASSWORD."
    if isinstance(exc, ApiNotEnabledError):
        return (
            f"The legacy API is not enabled on {_site()}: the site's administrator can enable it."
        )
    if isinstance(exc, PermissionDeniedError):
        return (
            f"{_site()} does not let OMS_USERNAME use its API: ask the site's administrator for "
            "access."
        )
    if isinstance(exc, DecodeError) and exc.status_code == 404:
        # Not a NotFoundError: a 404 carrying the API's own envelope came from the API, at
        # the right address.
        return (
            f"{_site()} has no API where the command looked: check that OMS_LEGACY_URL is the "
            "site's address, e.g. https://shop.example.com (the command adds /api/json/...)."
        )
    if verification_failure(exc) is not None:
        # The error says what to do about the certificate, which checking the URL would not.
        return None
    if isinstance(exc, TransportError) and exc.maybe_applied is False:
        # Never sent: the connection itself failed (refused, no such host, TLS, a proxy).
        proxy = _through_proxy()
        if proxy:
            return f"Could not connect to {_site()}{proxy}: check that proxy, and OMS_LEGACY_URL."
        return (
            f"Could not connect to {_site()}: check OMS_LEGACY_URL (the host, the port, http or "
            "https) and that this machine can reach it."
        )
    if isinstance(exc, RequestTimeoutError):
        # Sent, and no answer came on any attempt: a port of another service, or a proxy or
        # firewall that takes connections and holds them, looks exactly like this.
        return (
            f"{_site()} took the connection but did not answer in time: check that "
            "OMS_LEGACY_URL is the site's address and that the site is up, or try again later."
        )
    return None
