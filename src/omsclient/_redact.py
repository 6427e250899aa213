"""Redaction of secrets from anything the SDK prints, logs or puts in an exception.

A server may echo what it was sent, and not always as it was sent: a password comes back
URL-encoded in a ``description``, HTML-escaped in an error page, JSON-escaped in a body. The
:class:`Redactor` knows each secret in all of these forms, character by character (so a copy
that mixes them too), and :meth:`Redactor.error` is the one pass every error built from a
server's answer goes through: its message, every attribute (keys of field errors included), the
body, and the errors it was raised from, with the request an httpx error keeps (its form body
holds the legacy password, its headers the REST token).
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import functools
import html
import html.entities
import inspect
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, AnyStr, Generic, ParamSpec, TypeVar

import httpx

from omsclient._json_copy import copy_json

__all__ = [
    "REDACTED",
    "Redactor",
    "forget_frames",
    "forgets_frames",
    "text_of",
    "without_login_key",
    "without_login_keys_in_bytes",
]

P = ParamSpec("P")
R = TypeVar("R")

REDACTED = "[REDACTED]"
_REDACTED_NAME = "REDACTED"  # in a host, where brackets would make it an IPv6 address

# A login key's parts, as a link writes them, or a link inside another's query (URL-encoded
# once for each: "%253D"), or HTML-escaped (PHP's htmlentities with ENT_HTML5 writes
# "&equals;"); "&" also JSON-escaped, as the bytes of an answer hold it. (An "=" JSON-escaped
# is read by decoding the order: see legacy._sent.)
_KEY_EQUALS = r"(?:=|%(?:25)*3[dD]|&#0*61;|&#[xX]0*3[dD];|&equals;)"
_KEY_AND = r"(?:&|\\u0026|&amp;|&#0*38;|&#[xX]0*26;|%(?:25)*26)"
_KEY_USER = r"user(?:\[|%(?:25)*5[bB])id(?:\]|%(?:25)*5[dD])" + _KEY_EQUALS + "[0-9]+"
# Every shape holds "key", its "=" and 40 hex digits: found by those alone, at the speed of a
# search for a literal (a pattern starting with either parameter took 50 times as long), then
# told from a customer's "key=" by the user id beside it, before or after.
_KEY = r"(?P<name>key(?<![A-Za-z_]key)" + _KEY_EQUALS + r")[0-9a-fA-F]{40}(?![0-9a-fA-F])"
_USER_BEFORE = f"{_KEY_USER}{_KEY_AND}\\Z"
_USER_AFTER = _KEY_AND + _KEY_USER
_NEAR = 200  # characters before a key that its user id may take, escaped several times over


class _LoginKeys(Generic[AnyStr]):
    """Replaces each document link's login key in a text or in bytes by ``[REDACTED]``."""

    def __init__(self, encode: Callable[[str], AnyStr]) -> None:
        self._key: re.Pattern[AnyStr] = re.compile(encode(_KEY))
        self._before: re.Pattern[AnyStr] = re.compile(encode(_USER_BEFORE))
        self._after: re.Pattern[AnyStr] = re.compile(encode(_USER_AFTER))
        self._redacted: AnyStr = encode(REDACTED)

    def __call__(self, text: AnyStr) -> AnyStr:
        return self._key.sub(self._replaced, text)

    def _replaced(self, m: re.Match[AnyStr]) -> AnyStr:
        text, start, end = m.string, m.start(), m.end()
        found: AnyStr = m.group()
        if self._after.match(text, end) or self._before.search(text, max(0, start - _NEAR), start):
            name: AnyStr = m.group("name")
            return name + self._redacted
        return found


_TEXT_KEYS = _LoginKeys(str)
without_login_keys_in_bytes = _LoginKeys[bytes](str.encode)
"""``data`` with each document link's login key in it replaced by ``[REDACTED]``: a link as
live servers write it (``?user[id]=700001&key=<40 hex>``), its parameters in either order, its
"&", "=" and brackets escaped in any of those ways; only that shape, where the data itself is
concerned (a ``key=`` in a customer's note is theirs)."""


def without_login_key(text: str) -> str:
    """``text`` with the login key of each document link in it replaced by ``[REDACTED]`` (see
    :data:`without_login_keys_in_bytes`)."""
    return _TEXT_KEYS(text) if "key" in text else text


_SUSPENDABLE = (
    inspect.CO_GENERATOR
    | inspect.CO_COROUTINE
    | inspect.CO_ASYNC_GENERATOR
    | inspect.CO_ITERABLE_COROUTINE
)

# Query or form parameters whose value is a secret wherever they appear: document download URLs
# carry the user's login keys (``key=``, ``login_token=``), and some servers echo form fields back
# in error pages.
# The name may follow an escaped "&" (``\u0026key``, ``%26key``), so no ``\b`` before it; its "="
# may be escaped as a login key's is, or JSON-escaped.
_EQUALS = rf"(?:{_KEY_EQUALS}|\\{{1,3}}u003[dD])"
_SECRET_PARAM = re.compile(
    r"(?P<key>(?<![A-Za-z_])(?:login_token|key|password|passwd|api_token|api_key|access_token"
    r"|token)" + _EQUALS + r")"
    # A value hidden already ("password=***: connection failed", a database URL's, or
    # "key=[REDACTED], which ..." redacted a second time) is left as it is: redacted again, the
    # mark after it went with it. Only the mask alone, or with a mark that ends a phrase:
    # "***.hunter2" may be a secret.
    r"(?!(?:\*\*\*|\[REDACTED\])(?:$|[&\s\"'<>]|[:;,.)\]](?:\s|$)))[^&\s\"'<>]+",
    re.IGNORECASE,
)
# A signed download link's signature (a print file's: S3's ``X-Amz-Signature=``, GCS's
# ``X-Goog-Signature=``, CloudFront's ``Signature=``, Azure's ``sig=``), in a link only: after
# its "?" or "&" (raw, URL-, HTML- or JSON-escaped, once or more), or named whole, so
# "signature=required" or "co-signature=" in a delivery note is kept. Its value runs on through
# escaped characters (``&percnt;2B``, ``&#43;``), which a page writes inside it, up to the next
# parameter's "&", escaped or not.
_HYPHEN = r"(?:-|%(?:25)*2[dD]|&#0*45;|&#[xX]0*2[dD];|&hyphen;|&dash;)"
_SEPARATOR = (
    r"(?:[?&]|%(?:25)*(?:3[fF]|26)|&(?:amp;?)+|&#0*(?:38|63);|&#[xX]0*(?:26|3[fF]);|&quest;"
    r"|\\{1,3}u00(?:26|3[fF]))"
)
_SIGNATURE = re.compile(
    r"(?P<key>(?:"
    + _SEPARATOR
    + r"(?:signature|sig)|X"
    + _HYPHEN
    + r"(?:Amz|Goog)"
    + _HYPHEN
    + r"Signature)"
    + _EQUALS
    + r")(?:(?!\\{1,3}u0026|%(?:25)*26)[^&\s\"'<>]"
    + r"|&(?!(?:amp|#0*38|#[xX]0*26);)(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);)+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# A Basic credential, base64 of "user:password": a proxy configured on a caller's own
# http_client puts one in every request, which the client never sees to know as a secret, and
# a proxy or server echoing the request shows it. Redacted when it decodes to a user and a
# password, so "Basic information" stays as it is.
_BASIC = re.compile(
    r"(?P<key>Basic\s+)(?P<value>[A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])", re.IGNORECASE
)


def _visible(text: bytes) -> bool:
    return all(0x20 < byte < 0x7F for byte in text)


def _a_name(text: bytes) -> bool:
    """Whether ``text`` reads as a user name: printable UTF-8 (spaces and accents included)."""
    try:
        return text.decode().isprintable()
    except UnicodeDecodeError:
        return False


def _basic_redacted(match: re.Match[str]) -> str:
    value = match.group("value")
    try:
        decoded = base64.b64decode(value, validate=True)
    except ValueError:
        return match.group(0)
    # "user:password" (whatever the password's bytes), or ":token" (a key given as the
    # password), a token of visible ASCII then. A short word after "Basic" ("Only", "2006"), or
    # a longer one beginning with "O" (base64 of a colon), decodes to a colon by chance, and to
    # neither.
    user, colon, password = decoded.partition(b":")
    credential = len(value) >= 8 and colon and (_a_name(user) if user else _visible(password))
    return match.group("key") + REDACTED if credential else match.group(0)


_CALLERS: ContextVar[BaseException | None] = ContextVar("omsclient_callers_error", default=None)
"""The error the caller was handling when its call began (see :meth:`Redactor.errors`)."""

_SENDING: ContextVar[tuple[Redactor, _Sent] | None] = ContextVar("omsclient_sending", default=None)
"""The call being sent: its session's redactor, and the secrets its request carries (see
:meth:`Redactor.sending`)."""

# Attributes that hold what the SDK made, not text from a server: objects, and the call's
# operation, method and path, which code compares and metrics are keyed on (a password that
# starts like "legacy" made the operation "[REDACTED].orders.search").
_NOT_TEXT = frozenset({"cls", "found", "print_file", "print_files", "operation", "method", "path"})

# The packages whose errors quote the HTTP stack's own reading of an answer (a status line, a
# header): httpcore reads a proxy's status line as ASCII, dropping every other byte.
_HTTP_STACK = frozenset({"httpx", "httpcore", "h11"})


# Byte order marks, UTF-32's before UTF-16's (which begin them).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def text_of(content: bytes, charset: str | None) -> str:
    """A body as text to redact: in the charset its byte order mark shows, else the one the
    answer names, else UTF-8; bytes that do not decode become U+FFFD.

    UTF-16 read as UTF-8 keeps a NUL between the characters of a secret, where no pattern of
    the secret finds it.
    """
    charset = next((name for bom, name in _BOMS if content.startswith(bom)), charset)
    try:
        return content.decode(charset or "utf-8", "replace")
    # A charset Python does not know (LookupError), or one of its codecs that fail even when
    # told to replace what they cannot decode (idna, punycode, undefined): their error would
    # quote the body, an echoed password and all.
    except (LookupError, UnicodeError):
        return content.decode("utf-8", "replace")


def _hex(number: int, width: int) -> str:
    """``number`` in hex as a pattern taking upper- and lower-case digits."""
    return "".join(f"[{d.upper()}{d}]" if d.isalpha() else d for d in f"{number:0{width}x}")


def _names() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for name, text in html.entities.html5.items():
        if name.endswith(";") and len(text) == 1:
            names.setdefault(text, []).append(name)
    return names


_ENTITY_NAMES = _names()  # "&" -> ["AMP;", "amp;"], "/" -> ["sol;"]...
_JSON_SHORT = {  # JSON's two-character escapes: what follows the backslash
    '"': '"',
    "\\": "\\",
    "/": "/",
    "\b": "b",
    "\f": "f",
    "\n": "n",
    "\r": "r",
    "\t": "t",
}
_JSON_BACKSLASHES = r"\\{1,3}"
_MAX_ZEROS = 4  # leading zeros of a numeric entity: PHP writes &#039;


def _html(char: str) -> list[tuple[str, int]]:
    """Patterns of ``char`` as an HTML character reference, with their longest length."""
    code = ord(char)
    decimal, hexadecimal = str(code), f"{code:x}"
    zeros = f"0{{0,{_MAX_ZEROS}}}"
    forms = [(re.escape(f"&{name}"), len(name) + 1) for name in _ENTITY_NAMES.get(char, ())]
    forms.append((f"&#{zeros}{decimal};", 3 + _MAX_ZEROS + len(decimal)))
    forms.append((f"&#[xX]{zeros}{_hex(code, 1)};", 4 + _MAX_ZEROS + len(hexadecimal)))
    return forms


_LOCAL_CHARSETS = (
    "latin-1",
    "cp1252",
    "cp1250",
    "cp1251",
    "koi8-r",
    "iso-8859-2",
    "iso-8859-7",
    "cp850",
    "cp866",
    "gbk",
    "big5",
    "shift_jis",
    "euc-jp",
    "euc-kr",
)
"""Charsets besides UTF-8 a server may still echo text in."""


def _utf8(char: str) -> bytes:
    """``char`` in UTF-8; a lone surrogate (a byte that was no UTF-8, in a secret read from the
    environment) as that byte, or as its own three bytes: it has no UTF-8 form, and the
    redactor of an error that refuses such a secret must not fail on it."""
    try:
        return char.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return char.encode("utf-8", "surrogatepass")


def _local_bytes(char: str) -> list[bytes]:
    """``char`` in each of :data:`_LOCAL_CHARSETS` that has it."""
    found = []
    for charset in _LOCAL_CHARSETS:
        with contextlib.suppress(UnicodeEncodeError):
            found.append(char.encode(charset))
    return list(dict.fromkeys(found))


def _legacy_charsets(char: str) -> list[tuple[str, int]]:
    """Patterns of a non-ASCII ``char`` as a server using another charset echoes it.

    Its UTF-8 bytes read as Latin-1 or cp1252 (``ä`` as ``Ã¤``); its bytes in a local charset
    (:data:`_LOCAL_CHARSETS`) read as Latin-1, as httpx reads a header or a status line (``п``
    in cp1251 as ``ï``); its own byte in Latin-1 or cp1252 URL-encoded (PHP's ``urlencode`` of a
    Latin-1 string), or read as UTF-8 (``\ufffd``); and its decomposed form (NFD: ``a`` and a
    combining mark).
    """
    forms = [("\ufffd", 1)]
    utf8 = _utf8(char)
    for charset in ("latin-1", "cp1252"):
        try:
            mojibake = utf8.decode(charset)
            forms.append((re.escape(mojibake), len(mojibake)))
        except UnicodeDecodeError:
            pass
        try:
            (byte,) = char.encode(charset)
            forms.append((f"%{_hex(byte, 2)}", 3))
        except (UnicodeEncodeError, ValueError):
            pass
    forms += [(re.escape(b.decode("latin-1")), len(b)) for b in _local_bytes(char)]
    decomposed = unicodedata.normalize("NFD", char)
    if decomposed != char:
        forms.append((re.escape(decomposed), len(decomposed)))
    return forms


def _bytes_repr(data: bytes) -> str:
    """A pattern of ``data`` as a bytes repr writes it: a byte below 0x80 as its character (the
    second byte of a Shift JIS, Big5 or GBK character may be one: ``\\x83p``), a backslash or
    a quote escaped, any other byte as ``\\xNN``; each backslash doubled when quoted again."""
    slash = _JSON_BACKSLASHES
    parts = []
    for byte in data:
        if byte == 0x5C:
            parts.append(slash * 2)
        elif byte in (0x22, 0x27):
            parts.append(f"(?:{slash})?{re.escape(chr(byte))}")
        elif 0x20 <= byte < 0x7F:
            parts.append(re.escape(chr(byte)))
        else:
            parts.append(rf"{slash}x{_hex(byte, 2)}")
    return "".join(parts)


def _python_escapes(char: str) -> list[tuple[str, int]]:
    """Patterns of a non-ASCII ``char`` as Python's reprs escape it: its bytes in a bytes repr,
    in UTF-8 or a one-byte charset (h11 and aiohttp quote a malformed header line so, httpcore
    logs headers so: ``\\xc3\\xa9``, ``\\xe9``), its code in ``ascii()``'s (``\\xe9``,
    ``\\U0001f600``; ``\\u20ac`` is JSON's form too), each backslash doubled when quoted
    again."""
    slash = _JSON_BACKSLASHES
    # Latin-1's byte is also ascii()'s code below 0x100.
    forms = [(_bytes_repr(data), 6 * len(data)) for data in [_utf8(char), *_local_bytes(char)]]
    if ord(char) > 0xFFFF:
        forms.append((rf"{slash}U{_hex(ord(char), 8)}", 13))
    return forms


def _alternatives(char: str) -> list[tuple[str, int]]:
    """Patterns of one character of a secret in every form a server may echo it, with the
    longest text each matches.

    Each encoding a server applies (URL-encoding, HTML escaping, JSON escaping) works character
    by character, so a secret in any of them, or partly in one and partly in another, is the
    run of its characters each in one of these forms.
    """
    code = ord(char)
    utf8 = _utf8(char)
    forms = [(re.escape(char), 1)]
    # A case change the pattern's IGNORECASE misses: one that changes the length ("ß" shouted
    # is "SS", "ﬁ" is "FI").
    forms += [(re.escape(c), len(c)) for c in {char.upper(), char.lower()} if len(c) > 1]
    # URL-encoded (quote, quote_plus), with upper- or lower-case hex digits.
    forms.append(("".join(f"%{_hex(byte, 2)}" for byte in utf8), 3 * len(utf8)))
    # URL-encoded twice: a login page's return_to= or next= carries the URL it came from.
    forms.append(("".join(f"%25{_hex(byte, 2)}" for byte in utf8), 5 * len(utf8)))
    if char == " ":
        forms += [(r"\+", 1), ("%2[bB]", 3)]  # quote_plus, then quote_plus again
    if code > 0x7F:
        forms += _legacy_charsets(char)
        forms += _python_escapes(char)
    forms += _html(char)
    # JSON-escaped: \uXXXX (a surrogate pair beyond the BMP), or a short escape such as \/
    # (PHP's json_encode escapes "/"), whose character may itself be HTML-escaped. Up to three
    # backslashes: JSON text inside a JSON string has its own backslashes escaped (\\u0026, \\\/).
    slash = _JSON_BACKSLASHES
    if code > 0xFFFF:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        forms.append((rf"{slash}u{_hex(high, 4)}{slash}u{_hex(low, 4)}", 16))
    else:
        forms.append((rf"{slash}u{_hex(code, 4)}", 8))
    if char in _JSON_SHORT:
        escaped = _JSON_SHORT[char]
        forms.append((slash + re.escape(escaped), 4))
        forms += [(slash + pattern, 3 + longest) for pattern, longest in _html(escaped)]
    # Longest first: a form that starts like a shorter one is tried before it.
    return sorted(forms, key=lambda form: -form[1])


_SHORTEST_PREFIX = 6
"""The fewest characters of a secret's start redacted when it is echoed cut short."""
_PREFIX_STEPS = 128
"""How many characters past the shortest prefix a cut echo is followed to (each one a group
nested in the last); what follows in a longer secret's cut echo is left."""


def _pattern(secret: str, cut_short: bool = True) -> tuple[str, str, int]:
    """A pattern matching ``secret`` whole, one matching it or (unless not ``cut_short``) its
    start cut short (a third of it, at least 6 characters, and as much more as is there: a
    server quoting a value's first characters, a body cut in the middle of one), in any of the
    forms of :func:`_alternatives`; and the length of the longest text they can match."""
    parts, longest = [], 0
    for char in secret:
        forms = _alternatives(char)
        parts.append("(?:" + "|".join(pattern for pattern, _ in forms) + ")")
        longest += max(length for _, length in forms)
    shortest = _shortest(secret)
    followed = parts[shortest : shortest + _PREFIX_STEPS]
    tail = ""
    for part in reversed(followed):  # the longest prefix there is, one character at a time
        tail = f"(?:{part}{tail})?"
    whole = "".join(parts)
    cut = "".join(parts[:shortest]) + tail if cut_short else whole
    # The whole secret first, so that a long one's full echo is never cut at the steps' end.
    return whole, (whole if cut == whole else f"{whole}|{cut}"), longest


def _shortest(secret: str) -> int:
    """How many of ``secret``'s first characters every echo of it that is redacted holds."""
    return min(len(secret), max(_SHORTEST_PREFIX, len(secret) // 3))


_SHORTEST_MATCH = 3
"""The fewest characters any secret's pattern matches: a secret shorter than that is none."""
_ESCAPE_STARTS = re.compile(r"[%&\\+]")
"""What every form of an ASCII character but itself starts with (:func:`_alternatives`)."""


def _first_characters(secrets: frozenset[str]) -> tuple[str, ...] | None:
    """The start of each secret every echo of it holds, lower-cased, when every secret is
    ASCII (see :meth:`Redactor._may_hold`); None otherwise."""
    if not all(secret.isascii() for secret in secrets):
        return None
    return tuple({secret[: _shortest(secret)].lower() for secret in secrets})


class _Patterns:
    """The compiled patterns of a redactor's secrets (each secret's kept for redactors built
    from this one; those ``known`` built are taken as they are)."""

    __slots__ = ("longest", "of_secret", "of_stripped", "ordered", "stripped")

    def __init__(self, secrets: frozenset[str], known: tuple[_Patterns, ...]):
        of_secret = {k: v for patterns in known for k, v in patterns.of_secret.items()}
        # Each secret's patterns: whole, whole or cut short, and the longest text they match.
        self.of_secret: dict[str, tuple[re.Pattern[str], re.Pattern[str], int]] = {
            secret: of_secret.get(secret) or _compiled(_pattern(secret)) for secret in secrets
        }
        # One pattern per secret, as every form of a secret starts with one of a few characters
        # and the regex engine then skips ahead to them; longest first, so a secret containing
        # another is replaced whole. Every secret whole before any cut short: two of one length
        # sharing a start (two JWTs' header) had the first's cut-short form take the other's
        # start and leave its end. In any case: httpx lowercases header names, some servers
        # shout their messages, and a secret in other case is still most of the secret.
        longest_first = sorted(secrets, key=len, reverse=True)
        self.ordered: list[re.Pattern[str]] = [
            self.of_secret[secret][0] for secret in longest_first
        ] + [self.of_secret[secret][1] for secret in longest_first]
        self.longest: int = max((longest for _, _, longest in self.of_secret.values()), default=0)
        stripped = {secret.encode("ascii", "ignore").decode() for secret in secrets}
        # Only where text was read so, and whole: elsewhere, or cut short, what is left of
        # "пароль-2024-12" is a date, of "密码password1" a word.
        of_stripped = {k: v for patterns in known for k, v in patterns.of_stripped.items()}
        self.of_stripped: dict[str, re.Pattern[str]] = {
            left: of_stripped.get(left) or _compiled(_pattern(left, cut_short=False))[1]
            for left in stripped - secrets
            if len(left) >= _SHORTEST_PREFIX
        }
        self.stripped: list[re.Pattern[str]] = [
            self.of_stripped[left] for left in sorted(self.of_stripped, key=len, reverse=True)
        ]


def _compiled(
    patterns: tuple[str, str, int],
) -> tuple[re.Pattern[str], re.Pattern[str], int]:
    whole, either, longest = patterns
    compiled = re.compile(whole, re.IGNORECASE)
    return compiled, compiled if either == whole else re.compile(either, re.IGNORECASE), longest


class _Sent:
    """The redactor of one call: its session's, with the credentials its request was sent
    with that the session's does not know."""

    __slots__ = ("redactor",)

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor


class Redactor:
    """Replaces known secret values and secret-looking parameters with ``[REDACTED]``.

    A secret's pattern costs milliseconds to build (more for a long one), so they are built
    when first needed: a view made for one request (``with_options`` with a header holding a
    user's key) pays nothing unless something is redacted with a text that could hold one,
    and then only for the secrets its client did not have.
    """

    __slots__ = ("__weakref__", "_built", "_firsts", "_known", "_secrets")

    def __init__(
        self, secrets: Iterable[str | None] = (), _known: tuple[_Patterns, ...] = ()
    ) -> None:
        self._secrets = frozenset(s for s in secrets if s and len(s) >= _SHORTEST_MATCH)
        self._firsts = _first_characters(self._secrets)
        self._known = _known
        self._built: _Patterns | None = None

    def _may_hold(self, text: str) -> bool:
        """Whether ``text`` may hold a secret, told without building their patterns.

        Every form of an ASCII character but itself starts with one of ``%&\\+``, and the
        only other characters a case-blind match takes for one are not ASCII (U+212A, the
        Kelvin sign, for ``k``): in an ASCII text without those four, an echo of an ASCII
        secret can only be its own first characters in some case. A log line at DEBUG is
        such a text, and would otherwise build the patterns of a view's new secret header on
        every call.
        """
        firsts = self._firsts
        if firsts is None or not text.isascii() or _ESCAPE_STARTS.search(text):
            return True
        lowered = text.lower()
        return any(first in lowered for first in firsts)

    def _patterns(self) -> _Patterns:
        built = self._built
        if built is None:
            # Two threads may both build them: the same patterns, either kept.
            built = self._built = _Patterns(self._secrets, self._known)
            self._known = ()
        return built

    def adding(self, secrets: Iterable[str]) -> Redactor:
        """A redactor of these secrets too; this one when it knows them all already."""
        more = {s for s in secrets if len(s) >= _SHORTEST_MATCH} - self._secrets
        if not more:
            return self
        return Redactor([*self._secrets, *more], (self._patterns(),))

    @classmethod
    def of_all(cls, redactors: Iterable[Redactor]) -> Redactor:
        """One redactor of the secrets of every one of ``redactors``, longest first across
        them all: each in turn would cut a secret out of another one's holding it (past the
        redactor of ``secret``, ``pw-secret-1`` reads ``pw-[REDACTED]-1``). The patterns
        they built are taken as they are; none is built before one is needed."""
        redactors = list(redactors)
        known = [r._built for r in redactors if r._built is not None]
        known += [patterns for r in redactors for patterns in r._known]
        return cls((secret for r in redactors for secret in r._secrets), tuple(known))

    def joined(self, others: Iterable[Redactor]) -> Redactor:
        """A redactor of these secrets and those of ``others`` (the calls whose answers an
        error reads, each with the credentials its request went out with)."""
        return self.adding(secret for other in others for secret in other._secrets)

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Within the block (one call), redact the secrets :meth:`sent` names too.

        A credential the caller's ``http_client`` gets after the client was made (a gateway
        token rotated on it, one its event hook adds to each request) is known only once a
        request carries it; kept for the call that sent it alone, as such a value may change
        with every request and the ones a session knows would grow without end.
        """
        token = _SENDING.set((self, _Sent(self)))
        try:
            yield
        finally:
            _SENDING.reset(token)

    def sent(self, secrets: Iterable[str]) -> None:
        """Redact ``secrets``, the credentials a request of the call in hand went out with,
        for the rest of the call (see :meth:`sending`)."""
        call = _SENDING.get()
        if call is not None and call[0] is self:
            # A known secret behind its scheme (the REST token's "Bearer ..."): redacted as that
            # secret, the scheme left to read.
            new = [s for s in secrets if s.partition(" ")[2] not in self._secrets]
            call[1].redactor = call[1].redactor.adding(new)

    def in_call(self) -> Redactor:
        """This redactor, or within a call it is sending, the call's (see :meth:`sending`)."""
        call = _SENDING.get()
        return call[1].redactor if call is not None and call[0] is self else self

    @property
    def longest(self) -> int:
        """The length of the longest text a secret can be echoed as (0 when there is none)."""
        redactor = self.in_call()
        return redactor._patterns().longest if redactor._secrets else 0

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret removed."""
        redactor = self.in_call()
        if redactor is not self:
            return redactor(text)
        if self._secrets and len(text) >= _SHORTEST_MATCH and self._may_hold(text):
            for pattern in self._patterns().ordered:
                text = pattern.sub(REDACTED, text)
        text = _SECRET_PARAM.sub(lambda m: m.group("key") + REDACTED, text)
        text = _SIGNATURE.sub(lambda m: m.group("key") + REDACTED, text)
        text = _BEARER.sub(lambda m: m.group("key") + REDACTED, text)
        return _BASIC.sub(_basic_redacted, text)

    def whole(self, text: str) -> str:
        """``text`` with every secret written whole in it redacted, and nothing else: for a
        request's path, whose own words (``orders``) may begin a password, and where only an
        id the caller passed can hold a secret (an API token given as an order's UID)."""
        redactor = self.in_call()
        if not redactor._secrets or not redactor._may_hold(text):
            return text
        patterns = redactor._patterns()
        for pattern in patterns.ordered[: len(patterns.of_secret)]:  # the whole ones
            text = pattern.sub(REDACTED, text)
        return text

    def read_as_ascii(self, text: str) -> str:
        """``text`` of the HTTP stack (a status line, headers, their log lines), redacted: with
        each secret, and what is left of a secret read as ASCII, every other byte dropped or
        read in another charset (6 characters or more), which would otherwise give most of it
        away. Elsewhere such a remainder is ordinary text (``-2024-12`` of
        ``пароль-2024-12``)."""
        redactor = self.in_call()
        if redactor is not self:
            return redactor.read_as_ascii(text)
        text = self(text)
        # Only a secret that is not all ASCII leaves another text read so.
        if self._firsts is None and self._secrets and len(text) >= _SHORTEST_PREFIX:
            for pattern in self._patterns().stripped:
                text = pattern.sub(REDACTED, text)
        return text

    def value(self, value: Any) -> Any:
        """``value`` with every string in it redacted, dict keys included (JSON-like data).

        A number that is a secret written as digits (a password echoed as a JSON number) becomes
        ``[REDACTED]``.
        """
        if isinstance(value, str):
            return self(value)
        if isinstance(value, (dict, list)):
            return copy_json(value, self.value, self.value)
        if isinstance(value, tuple):
            items = [self.value(v) for v in value]
            # A named tuple keeps its type, so its own str() and repr() still work.
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = str(value)
            return REDACTED if self(text) != text else value
        return value

    def headers(self, headers: httpx.Headers) -> httpx.Headers:
        """A copy of an answer's ``headers``, names and values redacted, in the charset httpx
        read them in (a header that is not ASCII must not fail the error built from it)."""
        # httpx reads a header in ASCII, UTF-8 or Latin-1: a secret in another charset keeps
        # its ASCII characters alone as they were.
        read = self.read_as_ascii
        return httpx.Headers(
            [(read(k), read(v)) for k, v in headers.items()], encoding=headers.encoding
        )

    def error(self, error: BaseException, handled: BaseException | None = None) -> BaseException:
        """Redact ``error`` in place, and the errors it was raised from; return it.

        Its arguments (so ``str`` and ``repr``), every attribute holding text or JSON-like data
        (``body``, ``field_errors``, ``severity``, ``snippet``, ``errors``...) and notes. The
        chain stops at ``handled``, and at the error the caller was handling when its call
        began (see :meth:`errors`): the caller's own, not to be rewritten (its attributes
        replaced by copies, a list holding itself copied for ever).
        """
        seen = {id(e) for e in (handled, _CALLERS.get()) if e is not None}
        # Both links: an error raised from one cause may carry yet another as its context.
        chain: list[BaseException | None] = [error]
        while chain:
            current = chain.pop()
            if current is None or id(current) in seen:
                continue
            seen.add(id(current))
            # The HTTP stack's text may be a status line read as ASCII (see read_as_ascii).
            stack = type(current).__module__.partition(".")[0] in _HTTP_STACK
            read = self.read_as_ascii if stack else self
            current.args = tuple(
                read(a) if isinstance(a, str) else self.value(a) for a in current.args
            )
            for name, attr in list(getattr(current, "__dict__", {}).items()):
                if name == "path" and isinstance(attr, str):
                    # Left for code to compare, but for a secret passed as an id.
                    redacted = self.whole(attr)
                elif name not in _NOT_TEXT and not name.startswith("_"):
                    redacted = self.value(attr)
                else:
                    continue
                if redacted is not attr:
                    setattr(current, name, redacted)
            notes = getattr(current, "__notes__", None)
            if isinstance(notes, list):
                notes[:] = [self(n) if isinstance(n, str) else n for n in notes]
            if isinstance(current, httpx.RequestError):
                self._request_of(current)
            chain += [current.__cause__, current.__context__]
        return error

    def _request_of(self, error: httpx.RequestError) -> None:
        """Replace the request ``error`` keeps with a copy whose URL, headers and body are
        redacted: error reporters walk the chain and read it."""
        try:
            request = error.request
        except RuntimeError:  # the error has none
            return
        try:
            content = request.content
        except httpx.RequestNotRead:
            content = b""
        # surrogateescape keeps bytes that are no UTF-8 as they were.
        body = self(content.decode("utf-8", "surrogateescape"))
        error.request = httpx.Request(
            request.method,
            self._url(request.url),
            headers=[(self(k), self(v)) for k, v in request.headers.multi_items()],
            content=body.encode("utf-8", "surrogateescape"),
        )

    def _url(self, url: httpx.URL) -> httpx.URL:
        """``url`` redacted, as a URL still: a host redacted is no host to httpx.

        A host that begins like a secret ("acmeshop.example.com" and the password
        "acmeshop-2024", or the sandbox's own) has that start redacted, and a host holding
        ``[REDACTED]`` reads as a broken IPv6 address: httpx's ``InvalidURL`` was raised in
        place of the error being redacted. Written without brackets, the host is one again;
        where even that is no URL (a port redacted), the path alone is kept.
        """
        text = self(str(url))
        for candidate in (text, text.replace(REDACTED, _REDACTED_NAME)):
            try:
                return httpx.URL(candidate)
            except httpx.InvalidURL:
                continue
        return httpx.URL(self(url.raw_path.decode("ascii")))

    @contextmanager
    def errors(self, also: Callable[[], Iterable[Redactor]] | None = None) -> Iterator[None]:
        """Redact any exception raised inside the block (see :meth:`error`) as it leaves, and
        clear the variables of the frames it went through inside (see :func:`forget_frames`).

        ``also`` gives redactors known only once the error comes (those of the calls made
        inside), whose secrets are redacted too.
        """
        # What the caller was handling when the block began: its own, not the block's.
        handled = sys.exc_info()[1]
        # The outermost block's is the caller's: the redactions within the call stop there too.
        token = _CALLERS.set(handled) if handled is not None and _CALLERS.get() is None else None
        try:
            yield
        except Exception as exc:
            (self if also is None else self.joined(also())).error(exc, handled)
            forget_frames(exc, handled)
            raise
        finally:
            if token is not None:
                _CALLERS.reset(token)

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} secrets>)"


def forget_frames(
    error: BaseException, handled: BaseException | None = None, *, task_ended: bool = False
) -> None:
    """Clear the variables of the finished frames of plain functions that ``error``, and the
    errors it was raised from, went through; up to ``handled``, the caller's error that the
    chain may end with. With ``task_ended`` (the chain was raised in a task that has ended),
    those of the generators and coroutines of the libraries that read an answer too.

    Those frames read the answer: their variables hold its body, its JSON and the request,
    where a secret the server echoed, a login key or the password sits unredacted. An error
    reporter that captures variables (Sentry by default, rich's tracebacks with
    ``show_locals``) would send them on. The traceback keeps every file and line; frames still
    running (the caller's) keep their variables.
    """
    seen: set[int] = set()
    chain: list[BaseException | None] = [error]
    while chain:
        current = chain.pop()
        if current is None or current is handled or id(current) in seen:
            continue
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            # A generator's or a coroutine's frame may be suspended, not finished (an error it
            # caught and kept, raised later elsewhere): before Python 3.13, clearing it would
            # close that generator or coroutine under its owner.
            if not frame.f_code.co_flags & _SUSPENDABLE or (
                task_ended and frame.f_globals.get("__name__", "").startswith(_TASK_LOCAL)
            ):
                with contextlib.suppress(RuntimeError):  # a frame still running
                    frame.clear()
            tb = tb.tb_next
        chain += [current.__cause__, current.__context__]


# Libraries that raise each error in the task that meets it, and keep none to raise again in
# another task (as aiohttp's shared name lookups do): a frame of theirs in the chain of an
# ended task's error finished with it.
_TASK_LOCAL = ("omsclient.", "httpx.", "httpcore.", "h11.")


def forgets_frames(function: Callable[P, R]) -> Callable[P, R]:
    """``function``, whose arguments are secrets (a password, a token, a database URL), its
    errors leaving no variable behind in the frames they went through (see
    :func:`forget_frames`).

    A client refused for a bad option would otherwise carry the password in the finished frame
    of ``__init__``, and in every frame the check went through, to an error reporter that
    captures variables. Only for plain functions: a coroutine's frame cannot be cleared.
    """

    @functools.wraps(function)
    def forgetting(*args: P.args, **kwargs: P.kwargs) -> R:
        # What the caller was handling when the call began: its own, not the call's.
        handled = sys.exc_info()[1]
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            forget_frames(exc, handled)
            # This frame stays in the traceback too, still running until the error leaves it.
            del args, kwargs
            raise

    return forgetting
