"""Orders already rendered, as JSON bytes, so reading an order again costs a lookup."""

from __future__ import annotations

import collections
from collections.abc import Hashable


class RenderCache:
    """JSON bytes by key, each kept with the object it was rendered from.

    A write never changes a committed order record: it replaces it with a changed copy. An
    entry whose object is no longer the current record is therefore stale and never served.
    Past ``budget`` bytes, the least recently used entries are dropped first.
    """

    def __init__(self) -> None:
        self._entries: collections.OrderedDict[Hashable, tuple[object, bytes]] = (
            collections.OrderedDict()
        )
        self.size = 0
        """Bytes held."""

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, source: object) -> bytes | None:
        """The bytes rendered for ``key`` from ``source`` itself, or None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] is not source:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, source: object, body: bytes, budget: int) -> None:
        """Keep ``body`` (rendered from ``source``), dropping old entries past ``budget``."""
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old[1])
        if len(body) > budget:
            return
        self._entries[key] = (source, body)
        self.size += len(body)
        while self.size > budget:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.size -= len(dropped)

    def clear(self) -> None:
        """Drop everything."""
        self._entries.clear()
        self.size = 0
