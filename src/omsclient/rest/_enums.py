"""String enums that keep values they do not know, so a new server status never breaks a read."""

from __future__ import annotations

from enum import Enum
from typing import Any

from omsclient._decoding import coerce_str, register_hooks, show

__all__ = ["AddressType", "BatchOrderStatus", "PrintFileStatus", "TolerantEnum"]


class TolerantEnum(str, Enum):
    """A string enum that accepts any value.

    A known value (compared case-insensitively) gives its member; an unknown one gives a member
    made on the fly, with ``known`` False, that compares equal to its string and is written
    back unchanged. Members compare equal to their values: ``status == "ready"``.

    An unknown member's name and repr show its value only when it is short and printable
    (``UNKNOWN('on_hold')``), else describe it (``UNKNOWN(a string of 140 characters)``):
    the value is whatever the server sent. ``value`` and ``str()`` give it whole.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            # No status: None makes Enum raise "True is not a valid AddressType", where
            # str() kept a Python rendering (to_dict wrote back 'True', "{'c': 1}").
            return None
        text = value if isinstance(value, str) else str(value)
        folded = text.casefold()
        for member in cls:
            if member.value.casefold() == folded:
                return member
        member = str.__new__(cls, text)
        # Not text.upper(): "processing_failed" would be named PROCESSING_FAILED like the
        # member of "processingfailed". A name with parentheses is no identifier, so it can
        # never be a member's name. The server may echo anything here, a login key or a
        # token, so the name shows the value as error messages do: short, or only described.
        member._name_ = f"UNKNOWN({show(text)})"
        member._value_ = text
        # Not cached, as Flag's pseudo-members are: a server sending a new text each time (a
        # progress message, an echo) grew the class's map for the life of the process, and
        # kept what it echoed. Two alike compare equal, as strings do; only `is` tells them.
        return member

    @property
    def value(self) -> str:
        """The text: a declared member's, or whatever the server sent for an unknown one."""
        # Typed str, not the declared members' literals, which type checkers would take it
        # to be: a test of .value against a spelling the API does not document would
        # always be false to them, though the point of the enum is that it can be true.
        return str(self._value_)

    @property
    def known(self) -> bool:
        """Whether the value is one the API documents (a declared member)."""
        # By identity, not by name: a pseudo-member is no declared member whatever its name.
        return type(self)._member_map_.get(self._name_) is self

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        if self.known:
            return Enum.__repr__(self)
        # Enum's repr would add the value in full after the name.
        return f"<{type(self).__name__}.{self._name_}>"


class PrintFileStatus(TolerantEnum):
    """Where an order item's print file is (``GET /api/v1/order-items/{id}/print``)."""

    RECEIVED = "received"
    """Queued for processing."""
    PROCESSING = "processing"
    """Being generated."""
    PROCESSING_FAILED = "processingfailed"
    """Generation failed; no file will come."""
    READY = "ready"
    """Generated; ``url`` points to the file."""


class BatchOrderStatus(TolerantEnum):
    """The state of a batch order.

    The API documents only the status of a new batch; every other value the server sends is
    kept as an unknown member (``status.known`` is False, ``status.value`` is the text).
    """

    BATCHING = "Batching"
    """Just created: items are being combined."""


class AddressType(TolerantEnum):
    """What an order address is for (``type_id``)."""

    BILLING = "billing"
    """The address the order is billed to."""
    SHIPPING = "shipping"
    """The address the order is shipped to."""


def _structure_enum(value: Any, cls: type[TolerantEnum]) -> TolerantEnum:
    # Text as a string field takes it: an object or an array, kept as its Python repr, was
    # written back by to_dict as a string no server sent.
    return cls(coerce_str(value))


def _unstructure_enum(member: TolerantEnum) -> str:
    return str(member.value)


# Registered on the base class: the str hook would otherwise catch these str subclasses first.
register_hooks(TolerantEnum, _structure_enum, _unstructure_enum)
