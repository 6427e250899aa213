"""What belongs to a client, and so to this process: pickling it says what to send instead.

A process pool pickles each job's arguments; without these refusals the error would name a
lock, a lambda or a function deep inside the client, never what to do.
"""

from __future__ import annotations

from typing import ClassVar, NoReturn, SupportsIndex

__all__ = ["InsideAClient", "OfThisProcess", "OfThisScan"]


class OfThisProcess:
    """A base for what holds a client's connections or event loop (its session, its loop
    thread, its resources and iterators): it refuses to be pickled or copied, saying why."""

    __slots__ = ()

    _what: ClassVar[str] = ""

    _instead: ClassVar[str] = (
        "create a client in the process that uses it (in a process pool, in its initializer) "
        "and send it the arguments of your calls instead"
    )

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        what = self._what or f"{type(self).__name__} objects"
        raise TypeError(
            f"{what} cannot be pickled or copied: they hold an omsclient client, whose "
            f"connections and event loop belong to this process; {self._instead}"
        )


class OfThisScan(OfThisProcess):
    """A scan: a copy would share its position, so another process (or a second reader)
    starts from its state instead."""

    __slots__ = ()

    _instead = (
        "to go on from where it is, in another process too, send scan.state.to_dict() and "
        "pass ScanState.from_dict(...) (ProductScanState for products) as scan(state=...) "
        "to a client made there"
    )


class InsideAClient(OfThisProcess):
    """A part of the client (its session, its loop thread) that no user hands out: reached,
    it is inside whatever holds the client, which is what the user pickled."""

    __slots__ = ()

    _what = "objects holding a client (its resources, such as oms.legacy.orders, and methods)"
