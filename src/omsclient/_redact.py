"""Redaction of secrets from anything the SDK prints, logs or puts in an exception.

A server may echo what it was sent, and not always as it was sent: a password comes back
URL-encoded in a ``description``, HTML-escaped in an error page, JSON-escaped in a body. The
:class:`Redactor` knows each secret in all of these forms, and :meth:`Redactor.error` is the one
pass every error built from a server's answer goes through: its message, every attribute (keys
of field errors included), the body, and the errors it was raised from.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "Redactor"]

REDACTED = "[REDACTED]"

# Query or form parameters whose value is a secret wherever they appear: document download URLs
# carry the user's login keys (``key=``, ``login_token=``), and some servers echo form fields back
# in error pages.
_SECRET_PARAM = re.compile(
    r"(?P<key>\b(?:login_token|key|password|passwd|api_token|access_token|token)=)"
    r"[^&\s\"'<>]+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)

# Attributes that hold objects the SDK made, not text from a server.
_NOT_TEXT = frozenset({"cls", "found", "print_file", "print_files"})


def _forms(secret: str) -> set[str]:
    """``secret`` as a server may echo it: raw, URL-encoded, HTML-escaped, JSON-escaped."""
    json_escaped = json.dumps(secret)[1:-1]
    return {
        secret,
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        html.escape(secret),
        html.escape(secret, quote=False),
        json_escaped,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(json_escaped),
    }


class Redactor:
    """Replaces known secret values and secret-looking parameters with ``[REDACTED]``."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= 3:
                forms |= _forms(secret)
        # Longest first so a form that contains another is replaced whole.
        self._secrets = sorted(forms, key=len, reverse=True)

    @property
    def longest(self) -> int:
        """The length of the longest form of a secret (0 when there is none)."""
        return len(self._secrets[0]) if self._secrets else 0

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret removed."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = _SECRET_PARAM.sub(lambda m: m.group("key") + REDACTED, text)
        return _BEARER.sub(lambda m: m.group("key") + REDACTED, text)

    def value(self, value: Any) -> Any:
        """``value`` with every string in it redacted, dict keys included (JSON-like data)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.value(v) for v in value)
        return value

    def error(self, error: BaseException) -> BaseException:
        """Redact ``error`` in place, and the errors it was raised from; return it.

        Its arguments (so ``str`` and ``repr``), every attribute holding text or JSON-like data
        (``body``, ``field_errors``, ``severity``, ``snippet``, ``errors``...) and notes.
        """
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            current.args = tuple(self.value(a) for a in current.args)
            for name, attr in list(getattr(current, "__dict__", {}).items()):
                if name not in _NOT_TEXT and not name.startswith("_"):
                    redacted = self.value(attr)
                    if redacted is not attr:
                        setattr(current, name, redacted)
            notes = getattr(current, "__notes__", None)
            if isinstance(notes, list):
                notes[:] = [self(n) if isinstance(n, str) else n for n in notes]
            current = current.__cause__ or current.__context__
        return error

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Redact any exception raised inside the block (see :meth:`error`) as it leaves."""
        try:
            yield
        except Exception as exc:
            self.error(exc)
            raise

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} secret forms>)"
