"""The resumable state of a stable order scan: where each window stands."""

from __future__ import annotations

import itertools
from typing import Any

import attrs

from omsclient._validate import shown
from omsclient.errors import ValidationError
from omsclient.legacy._scan_dates import FIRST_SECOND, LAST_SECOND, second_of, wire_second

__all__ = ["STATE_VERSION", "ScanState", "WindowState", "state_problem"]

STATE_VERSION = 1
_SECONDS = range(FIRST_SECOND, LAST_SECOND + 2)
"""The seconds a cursor or an end may hold: the API's years (a scan starts in them), and the
second after the last, where a window that read it ends."""


@attrs.frozen
class WindowState:
    """Where one window of an order scan stands.

    Attributes:
        cursor: the UTC second (epoch) the next request starts at (``date_ordered >=``).
        end: the exclusive upper bound of the window (epoch second), None when open-ended.
        ids: the order ids already yielded whose date ordered falls in the cursor's second.
        done: every matching order of the window has been yielded.
    """

    cursor: int
    end: int | None = None
    ids: tuple[str, ...] = ()
    done: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (dates as ``YYYY-MM-DDTHH:MM:SS`` UTC)."""
        return {
            "cursor": wire_second(self.cursor),
            "end": None if self.end is None else wire_second(self.end),
            "ids": list(self.ids),
            "done": self.done,
        }

    @classmethod
    def from_dict(cls, data: Any) -> WindowState:
        """The inverse of :meth:`to_dict`.

        Raises:
            ValidationError: not the state of a window.
        """
        try:
            return _window_of(data)
        except ValueError as exc:
            raise ValidationError(f"invalid window state: {exc}") from None


def _window_of(data: Any) -> WindowState:
    """The window ``data`` holds; a ValueError saying what is wrong with it if none."""
    if not isinstance(data, dict):
        raise ValueError(f"a window must be an object, got {shown(data)}")
    ids = data.get("ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError("a window's ids must be a list of strings")
    end = data.get("end")
    done = data.get("done", False)
    if not isinstance(done, bool):
        # "false" is true: the window would be skipped, its orders never read.
        raise ValueError(f"a window's done must be true or false, got {shown(done)}")
    return WindowState(
        cursor=second_of(data.get("cursor"), "cursor"),
        end=None if end is None else second_of(end, "end"),
        ids=tuple(ids),
        done=done,
    )


@attrs.frozen
class ScanState:
    """The resumable state of an order scan: one :class:`WindowState` per window.

    Save ``state.to_dict()`` (JSON-ready: ``json.dumps`` it) and pass
    ``ScanState.from_dict(...)`` as ``scan(state=...)`` to continue where a scan stopped, in
    this process or another.

    Attributes:
        windows: where each window stands, in date order.
        start: the first second (epoch) of the range the scan was planned over, its ``since``;
            None from the oldest order (or in a state saved before it was kept). The last
            window's ``end`` is the range's end.
    """

    windows: tuple[WindowState, ...]
    start: int | None = None

    @property
    def done(self) -> bool:
        """Every window has been read to its end (the open-ended last one: caught up)."""
        return all(w.done for w in self.windows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "kind": "orders",
            "version": STATE_VERSION,
            "start": None if self.start is None else wire_second(self.start),
            "windows": [w.to_dict() for w in self.windows],
        }

    @classmethod
    def from_dict(cls, data: Any) -> ScanState:
        """The inverse of :meth:`to_dict`.

        Raises:
            ValidationError: not the state of an order scan.
        """
        try:
            if not isinstance(data, dict) or data.get("kind") != "orders":
                raise ValueError("not the state of an order scan")
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"unsupported scan state version {shown(data.get('version'))}")
            windows = data.get("windows")
            if not isinstance(windows, list) or not windows:
                raise ValueError("windows must be a non-empty list")
            start = data.get("start")
            state = cls(
                tuple(map(_window_of, windows)),
                None if start is None else second_of(start, "start"),
            )
            problem = state_problem(state)
            if problem is not None:
                raise ValueError(problem)
            return state
        except ValueError as exc:
            raise ValidationError(f"invalid scan state: {exc}") from None


def _second(value: object) -> bool:
    return type(value) is int and value in _SECONDS


def _window_problem(n: int, w: object) -> str | None:
    if not isinstance(w, WindowState):
        return f"window {n} must be a WindowState, got {type(w).__name__}"
    if not _second(w.cursor) or not (w.end is None or _second(w.end)):
        # Said of both forms: a WindowState holds epoch seconds, to_dict() writes dates.
        return (
            f"window {n}: cursor and end must be seconds of the API's years 1000..9999 (epoch "
            "seconds in a WindowState, dates like 2024-01-31T00:00:00 in to_dict()'s form)"
        )
    if not w.done and w.cursor > LAST_SECOND:
        return f"window {n}: its cursor is past the API's last second, yet it is not done"
    if not isinstance(w.ids, tuple) or not all(isinstance(i, str) for i in w.ids):
        return f"window {n}: ids must be a tuple of strings"
    if not isinstance(w.done, bool):
        return f"window {n}: done must be True or False, got {shown(w.done)}"
    if w.end is not None and w.cursor > w.end:
        return f"window {n}: its cursor is past its end"
    return None


def state_problem(state: ScanState) -> str | None:
    """What makes ``state`` no state a scan could have saved, or None.

    A scan's windows follow one another: each but the last ends where the next one began, at or
    before that one's cursor. Windows that overlap would hand out the orders they share twice.
    """
    windows = state.windows
    if not isinstance(windows, tuple) or not windows:
        return "windows must be a non-empty tuple of WindowState"
    for n, w in enumerate(windows):
        problem = _window_problem(n, w)
        if problem is not None:
            return problem
    if state.start is not None and not _second(state.start):
        return "start must be a second of the API's years 1000..9999"
    if state.start is not None and state.start > windows[0].cursor:
        return "start must be at or before the first window's cursor"
    for n, (w, following) in enumerate(itertools.pairwise(windows)):
        if w.end is None or w.end > following.cursor:
            return f"windows {n} and {n + 1} overlap: their orders would be handed out twice"
    return None
