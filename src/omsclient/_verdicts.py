"""How an answer with no status of its own says a call failed: ``{"success": false}``,
JSend's ``{"status": "fail"}``, an ``error`` giving a reason. REST answers are read by them
beside their HTTP status, legacy answers that leave ``response_status`` out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omsclient._responses import one_line, reason_of

__all__ = ["failed_status", "folded", "said_failed", "said_no", "says_it_failed", "worked_state"]

# How a 2xx answer says a delete failed, its keys in any case: a flag that is false
# ({"success": false}, as PHP writes it 0 or "false"; {"ok": false}, {"deleted": 0}), a state
# that is false, an error ({"status": "fail"}, JSend's; {"result": "error"}) or an HTTP error
# code ({"status": 404}), or, with no flag or state saying it worked, a reason ("error",
# "errors": the key a 4xx's reasons come under).
_VERDICTS = ("success", "ok")
_FLAGS = (*_VERDICTS, "deleted")
_STATES = ("status", "result")
_REASONS = ("error", "errors")
_NO = ("false", "0", "no")
_YES = ("true", "1", "yes")
_FAILED = ("error", "fail", "failed", "failure", "false")
_JSEND_FAILED = ("error", "fail")
_WORKED = ("success", "ok", "deleted", "done")
_WARNINGS = ("warning", "warnings")
_NOTHING = ("", "0", "false", "no", "none", "null", "ok", "success", "no error", "no errors", "200")


def _no(value: Any) -> bool:
    """Whether ``value`` is a false flag: false, 0, or its text."""
    if isinstance(value, str):
        return value.strip().casefold() in _NO
    return value is False or (type(value) in (int, float) and value == 0)


def _yes(value: Any) -> bool:
    """Whether ``value`` is a true flag: true, 1, or its text."""
    if isinstance(value, str):
        return value.strip().casefold() in _YES
    return value is True or (type(value) in (int, float) and value == 1)


def _reason(value: Any) -> bool:
    """Whether ``value`` gives a reason for a failure: something beyond empty values, false
    flags, codes of 0 or 200, objects of code 200 (an "OK") and warnings, at any depth.

    An error object of code 0 gives its message's reason all the same: PHP's exceptions carry
    code 0 unless told otherwise.
    """
    if isinstance(value, dict):
        if str(value.get("code")).strip() == "200":
            return False
        return any(
            _reason(item) for key, item in value.items() if str(key).casefold() not in _WARNINGS
        )
    if isinstance(value, list):
        return any(_reason(item) for item in value)
    if isinstance(value, str):
        return value.strip().casefold() not in _NOTHING
    return value is not None and not _no(value) and value != 200


def _failed_state(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() in _FAILED
    return value is False or (type(value) is int and 400 <= value < 600)


def worked_state(value: Any) -> bool:
    """Whether a ``status`` or ``result`` is a word for a call that worked (``"success"``)."""
    return isinstance(value, str) and value.strip().casefold() in _WORKED


def folded(extra: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of an answer beyond the model's, in any case (``Success``, ``SUCCESS``)."""
    return {str(key).casefold(): value for key, value in extra.items()}


def failed_status(value: Any) -> bool:
    """Whether a ``status`` is JSend's word for a failed call, ``"error"`` or ``"fail"``."""
    return isinstance(value, str) and value.strip().casefold() in _JSEND_FAILED


def said_no(keys: Mapping[str, Any]) -> bool:
    """Whether :func:`folded` keys say in so many words that the call failed: a false
    ``success`` or ``ok``, or a :func:`failed_status`, whatever else the answer holds."""
    return any(_no(keys.get(name)) for name in _VERDICTS) or failed_status(keys.get("status"))


def said_failed(keys: dict[str, Any]) -> str:
    """What an answer whose :func:`folded` keys say it failed is called in an error: with the
    reason they give, as an error body's is read."""
    why = reason_of(keys)
    return f"an answer saying it failed ({one_line(why)})" if why else "an answer saying it failed"


def says_it_failed(extra: Mapping[str, Any]) -> bool:
    """Whether the keys of an answer (a delete's beyond the model's) say it failed: a false
    ``success`` or ``ok``, or ``"deleted": false``, first; then a flag or a state saying it
    worked confirms, whatever else the answer holds (``"deleted": 0`` may count rows); then a
    ``deleted`` of 0, a failed state or a reason refuses."""
    keys = folded(extra)
    deleted = keys.get("deleted")
    # "false", as PHP may write it, says no as false does; a 0 may count rows.
    not_deleted = deleted is False or (
        isinstance(deleted, str) and _no(deleted) and deleted.strip() != "0"
    )
    if said_no(keys) or not_deleted:
        return True
    states = [keys.get(name) for name in _STATES]
    if any(_yes(keys.get(name)) for name in _FLAGS) or any(map(worked_state, states)):
        return False
    return (
        _no(deleted)
        or any(map(_failed_state, states))
        or any(_reason(keys.get(name)) for name in _REASONS)
    )
