"""Redaction of secrets from anything the SDK prints, logs or puts in an exception."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["REDACTED", "Redactor"]

REDACTED = "[REDACTED]"

# Query or form parameters whose value is a secret wherever they appear: document download URLs
# carry the user's login token (``login_token=``, or ``?user[id]=...&key=`` on live servers),
# and some servers echo form fields back in error pages.
_SECRET_PARAM = re.compile(
    r"(?P<key>\b(?:login_token|key|password|passwd|api_token|access_token|token)=)[^&\s\"'<>]+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


class Redactor:
    """Replaces known secret values and secret-looking parameters with ``[REDACTED]``."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret removed."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = _SECRET_PARAM.sub(lambda m: m.group("key") + REDACTED, text)
        return _BEARER.sub(lambda m: m.group("key") + REDACTED, text)

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} secrets>)"
