"""A server certificate the client does not trust: found among an error's causes, and said
with what to do about it.

A failed certificate check is no passing failure: every attempt meets the same certificate and
the same certificates to trust, so the client raises it at once instead of retrying.
"""

from __future__ import annotations

import ssl

from omsclient._chain import chain

__all__ = ["untrusted", "verification_failure"]

# OpenSSL's X509_V_ERR_* codes (ssl.SSLCertVerificationError.verify_code) of the failures that
# trusting another authority does not mend.
_OUT_OF_DATE = frozenset({9, 10})  # not yet valid, expired
_ANOTHER_HOST = frozenset({62, 64})  # the host name, the IP address

_TRUST = (
    "trust it, or the authority that issued it, with SSL_CERT_FILE naming a PEM file of that "
    "certificate (or SSL_CERT_DIR, a directory of them), or with the verify= of an "
    "http_client you pass"
)
_RENEW = "the server's certificate must be renewed, or this machine's clock set right"
_RENAME = "put a host name the certificate names in the URL"


def verification_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The failed certificate check among ``exc`` and the errors it was raised from, or None
    (a handshake cut short, a TLS alert, a protocol error are no such failure)."""
    return next((e for e in chain(exc) if isinstance(e, ssl.SSLCertVerificationError)), None)


def untrusted(failure: ssl.SSLCertVerificationError) -> str:
    """What an error says of ``failure``: that the certificate is not trusted, OpenSSL's
    reason, and what to do about it."""
    # OpenSSL's reason alone ("self-signed certificate"); str() adds the library's code and
    # the C source's line.
    reason = str(getattr(failure, "verify_message", None) or failure).removesuffix(".")
    code = getattr(failure, "verify_code", None)
    fix = _RENEW if code in _OUT_OF_DATE else _RENAME if code in _ANOTHER_HOST else _TRUST
    return f"the server's certificate is not trusted (certificate verify failed: {reason}): {fix}"
