"""The short ``repr`` of models: identifying fields only, as API client objects print."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["short_repr"]


def short_repr(*names: str) -> Callable[[Any], str]:
    """A ``__repr__`` naming only the identifying attributes, as API client objects print.

    A whole order prints as kilobytes, and its URLs may carry a credential (the legacy
    documents' login keys, a print file's signed download link); the full data stays
    available through the attributes and ``to_dict``.
    """

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({shown}, ...)"

    return __repr__
