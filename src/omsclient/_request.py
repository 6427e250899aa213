"""A request described as data: what resources hand to the session."""

from __future__ import annotations

from typing import Any, Literal

import attrs

__all__ = ["ApiKind", "RequestSpec"]

ApiKind = Literal["legacy", "rest"]


@attrs.frozen
class RequestSpec:
    """One API call, validated and encoded but not yet sent.

    Attributes:
        api: which API's base URL and authentication apply.
        method: HTTP method.
        path: the URL's path as the server sees it: the base URL's own path, then the API's
            (``Session.full_path``).
        operation: a stable name for logs and errors, e.g. ``"legacy.orders.search"``.
        form: form fields (legacy API); the session adds the credentials.
        query: query string fields (legacy API), for the few the API documents there and
            public clients send there (a product's ``id``); never a credential.
        json: a JSON-ready body (REST API).
        idempotent: whether sending it twice is harmless. Only idempotent requests are retried
            after the server may have received them.
        changes: what a write changes, for the error of a close that cuts it short to name
            (``"the change to order INV1"``); None for the rest.
    """

    api: ApiKind
    method: str
    path: str
    operation: str
    form: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    json: Any = None
    idempotent: bool = True
    changes: str | None = None
