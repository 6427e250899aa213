"""``template_config``: the customiser's JSON, URL-encoded on the wire and a dict in Python."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote_plus

import orjson

from omsclient._decoding import register_hooks, show
from omsclient._exact_json import dumps_exact, loads_exact
from omsclient._responses import json_kind
from omsclient._validate import json_problems
from omsclient.errors import ValidationError

__all__ = ["TemplateConfig", "as_received", "as_template_config", "decode_template_config"]

# What JavaScript's encodeURIComponent leaves as is: the customiser encodes with it, so a config
# sent from here is byte for byte what the customiser would have sent.
_SAFE = "!~*'()"
# Characters every URL encoder escapes: a string holding one is raw JSON, not encoded JSON.
_RAW_JSON_MARKS = frozenset('{}"')


def decode_template_config(raw: str) -> dict[str, Any]:
    """Decode a URL-encoded JSON object (a raw JSON object string is read as is).

    ``unquote_plus`` reads both encodeURIComponent (``%20``) and form encoding (``+``): an
    encoded ``+`` is always ``%2B`` in either.

    Raises:
        ValueError: ``raw`` is not a JSON object, encoded or not, or escapes bytes that are
            no text (see :func:`_unquoted`).
    """
    text = raw if _RAW_JSON_MARKS.intersection(raw) else _unquoted(raw)
    try:
        # Exact: orjson reads an integer past 64 bits as a float, which an edit of another
        # key then sent rounded, and refuses a lone surrogate (half an emoji a customiser
        # cut text at), which JSON escapes and every other reading keeps.
        data = loads_exact(text)
    except ValueError as exc:
        raise ValueError(f"is not URL-encoded JSON ({_problem_of(exc)})") from None
    except RecursionError:
        raise ValueError("is not URL-encoded JSON (nested too deep)") from None
    if not isinstance(data, dict):
        raise ValueError(f"encodes a JSON {json_kind(data)}, not an object")
    return data


def _problem_of(exc: ValueError) -> str:
    """What the reader says is wrong, without where: the text is not quoted, so a position
    in it would mean nothing to the message's reader."""
    return getattr(exc, "msg", None) or str(exc) or type(exc).__name__


def _as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler :func:`_unquoted` names: the bytes UTF-8 refused, read as
    Windows-1252 (a byte it leaves undefined raises)."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("cp1252"), error.end


_WINDOWS_1252 = "omsclient.windows-1252"
codecs.register_error(_WINDOWS_1252, _as_windows_1252)


def _unquoted(raw: str) -> str:
    """``raw`` unquoted as UTF-8, each byte that is no UTF-8 read as Windows-1252: an escape
    of such a byte (``Caf%E9``) is PHP's ``urlencode`` of text in a Western single-byte
    charset, and Windows-1252 is what browsers send for pages labelled ISO-8859-1 (``%80`` is
    the euro sign, not a control character). Read as UTF-8 it would be U+FFFD, which an
    edited config would send back; read whole as Windows-1252, a config mixing both would
    turn its UTF-8 (``Caf%C3%A9``) into ``CafÃ©``.

    Raises:
        ValueError: bytes neither charset reads (``%81``).
    """
    try:
        return unquote_plus(raw, errors=_WINDOWS_1252)
    except UnicodeDecodeError as exc:
        problem = f"escapes bytes that are no UTF-8 nor Windows-1252 ({exc.reason})"
        raise ValueError(problem) from None


def _encode(data: Mapping[str, Any]) -> str:
    problems = json_problems(data, "template_config")
    if problems:
        # orjson would send NaN and infinity as null, and fail on a 65-bit integer.
        raise ValidationError("; ".join(problems))
    return quote(orjson.dumps(data), safe=_SAFE)


class TemplateConfig(dict[str, Any]):
    """A decoded ``template_config``: a dict of the customiser's settings.

    ``raw`` is the URL-encoded string as received (None when built from a dict). When the
    server sent something that does not decode, the dict is empty, ``problem`` says why and
    ``raw`` is kept, so the value is written back unchanged.
    """

    __slots__ = ("problem", "raw")

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        /,
        *,
        raw: str | None = None,
        problem: str | None = None,
    ) -> None:
        super().__init__(data or {})
        self.raw = raw
        self.problem = problem

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TemplateConfig) and (self.problem or other.problem):
            # An undecodable config is an empty dict: only what was sent tells two apart, and
            # a job comparing orders must see that it changed.
            same = self.raw == other.raw and self.problem == other.problem
            return same and dict.__eq__(self, other)
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # a dict: mutable, so unhashable

    # Without these, pickle keeps the slots only from protocol 2 on and refuses 0 and 1.
    def __getstate__(self) -> tuple[str | None, str | None]:
        return self.raw, self.problem

    def __setstate__(self, state: tuple[str | None, str | None]) -> None:
        self.raw, self.problem = state

    @classmethod
    def from_raw(cls, raw: str) -> TemplateConfig:
        """Decode an encoded string; an undecodable one gives an empty config with ``problem``."""
        try:
            return cls(decode_template_config(raw), raw=raw)
        except ValueError as exc:
            return cls(raw=raw, problem=str(exc))

    def encode(self) -> str:
        """The URL-encoded compact JSON sent as ``template_config``.

        A string that was received or given is reused while the dict still holds what it
        decodes to, so a config read from the server goes back byte for byte (a raw JSON one
        encoded as is: a number in it is sent as written).
        """
        if self.raw is not None and self.problem is not None and not self:
            return self.raw
        received = as_received(self)
        return _encode(self) if received is None else received

    def __repr__(self) -> str:
        return f"TemplateConfig({dict.__repr__(self)})"


def as_received(config: TemplateConfig) -> str | None:
    """What ``config`` sends when it still holds what its ``raw`` string decodes to: that
    string, URL-encoded if it was raw JSON. None when built from a dict, or changed since.

    Nothing in it is checked: what was received goes back as it came, a number an edit would
    be refused for included (an integer past 64 bits, a lone surrogate).
    """
    raw = config.raw
    if raw is None:
        return None
    try:
        received = decode_template_config(raw)
        # Compared as JSON and with ==: in Python 1 == 1.0 == True, so an edit from 1 to True
        # (or 1.0) would look like no change, and in JSON NaN is written null.
        unchanged = dumps_exact(received) == dumps_exact(config) and received == config
    except (ValueError, TypeError):  # a value no JSON writer takes: a change
        return None
    if not unchanged:
        return None
    return quote(raw.encode(), safe=_SAFE) if _RAW_JSON_MARKS.intersection(raw) else raw


def as_template_config(
    value: TemplateConfig | Mapping[str, Any] | str | None,
) -> TemplateConfig | None:
    """Accept a config as a dict or an encoded string (an attrs field converter)."""
    if value is None or isinstance(value, TemplateConfig):
        return value
    if isinstance(value, str):
        return TemplateConfig.from_raw(value)
    if isinstance(value, Mapping):
        return TemplateConfig(value)
    return TemplateConfig(
        problem=f"must be a dict or a URL-encoded JSON string, got {type(value).__name__}"
    )


def _structure(value: Any, _: Any) -> TemplateConfig:
    if isinstance(value, (str, Mapping)):
        return as_template_config(value)  # type: ignore[return-value]
    if type(value) is list and not value:
        # A config held decoded comes back from PHP as [] when empty, as every empty object.
        return TemplateConfig()
    raise TypeError(f"expected a URL-encoded JSON string or an object, got {show(value)}")


register_hooks(TemplateConfig, _structure, TemplateConfig.encode)
