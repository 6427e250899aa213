"""Status changes for ``update_order_status``, their two form encodings, and the result.

The API takes one change in the flat form of its request sample (``order_id=INV1234&
new_status=2&...``, the tracking number as ``shipping_code``) and several in the multi-change
form ``changes[n][...]`` (n from 1, the tracking number as ``changes[n][shipping_tracking_code]``).
Every public client of the live server sends the flat form; the multi-change form is documented
but not seen in use, so it is sent only when a request carries more than one change.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs

from omsclient._validate import check_int, check_text, invisible_problem, shown, unpadded
from omsclient.errors import ValidationError

__all__ = ["NewStatus", "StatusChange", "StatusUpdate", "encode_changes"]


class NewStatus(enum.IntEnum):
    """The statuses an order, line or workflow item can be moved to."""

    PRODUCED = 2
    """Produced."""
    SHIPPED = 3
    """Shipped (a tracking number may go with it)."""


def _new_status(value: NewStatus | int) -> NewStatus:
    # Typed as documented, for type checkers (see _conditions._op); checked all the same.
    # Only ints: True would be status 1 and 2.0 a float the form would send as "2.0".
    if isinstance(value, bool) or not isinstance(value, int) or value not in (2, 3):
        raise ValidationError(
            "new_status must be 2 (NewStatus.PRODUCED) or 3 (NewStatus.SHIPPED), "
            f"got {shown(value)}"
        )
    return NewStatus(value)


def _keep(change: Any, attribute: attrs.Attribute[Any], plain: object) -> None:
    # The plain int or str a checked value stands for, which the form sends: str() of an
    # IntEnum member is its name on Python 3.10, of a (str, Enum) member on every Python.
    object.__setattr__(change, attribute.name, plain)


def _positive(name: str) -> Callable[[Any, Any, Any], None]:
    def check(change: Any, attribute: Any, value: Any) -> None:
        if value is None:
            return
        # Ids and quantities are 64-bit columns on the server: a bigger int would be sent and
        # refused there, or fail to print at all past 4,300 digits.
        number = check_int(value, name)
        if number <= 0:
            raise ValidationError(f"{name} must be a positive integer, got {number}")
        _keep(change, attribute, number)

    return check


def _text(name: str, *, required: bool = False) -> Callable[[Any, Any, Any], None]:
    def check(change: Any, attribute: Any, value: Any) -> None:
        if value is None and not required:
            return
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{name} must be a non-blank string, got {shown(value)}")
        unpadded(value, name)
        value = check_text(value, name)  # a lone surrogate named as what it is
        # Controls, line separators, and format characters no one sees (a byte order mark a
        # file read as utf-8 left at its start, a zero-width space); not the joiners, which
        # Persian and emoji sequences write with.
        if problem := invisible_problem(value, name):
            raise ValidationError(problem)
        _keep(change, attribute, value)

    return check


def _flag(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_: Any, __: Any, value: Any) -> None:
        if not isinstance(value, bool):
            raise ValidationError(f"{name} must be a bool, got {shown(value)}")

    return check


@attrs.frozen
class StatusChange:
    """Move a whole order, one line, or (part of) one workflow item to Produced or Shipped.

    Leave ``order_line_id`` out to change the whole order, ``workflow_item_id`` out to change the
    whole line; ``qty`` needs a ``workflow_item_id`` and defaults to the outstanding quantity.
    ``shipping_tracking_code`` is only for ``NewStatus.SHIPPED``. ``contact_customer`` only has an
    effect when the whole order moves. Every value is checked when the change is made: ids and
    quantities are positive ints that fit 64 bits, ``new_status`` the int 2 or 3 (not ``2.0``
    or ``True``), the strings non-blank strings, ``contact_customer`` a bool; anything else raises
    :class:`~omsclient.errors.ValidationError` naming the field, before anything is sent.
    """

    order_id: str = attrs.field(validator=_text("order_id", required=True))
    new_status: NewStatus = attrs.field(converter=_new_status)
    order_line_id: int | None = attrs.field(default=None, validator=_positive("order_line_id"))
    workflow_item_id: int | None = attrs.field(
        default=None, validator=_positive("workflow_item_id")
    )
    qty: int | None = attrs.field(default=None, validator=_positive("qty"))
    contact_customer: bool = attrs.field(default=False, validator=_flag("contact_customer"))
    shipping_tracking_code: str | None = attrs.field(
        default=None, validator=_text("shipping_tracking_code")
    )
    operator_id: int | None = attrs.field(default=None, validator=_positive("operator_id"))
    operator_login: str | None = attrs.field(default=None, validator=_text("operator_login"))

    def __attrs_post_init__(self) -> None:
        if self.qty is not None and self.workflow_item_id is None:
            raise ValidationError("qty needs workflow_item_id (the API rejects it otherwise)")
        if self.shipping_tracking_code is not None and self.new_status is not NewStatus.SHIPPED:
            raise ValidationError("shipping_tracking_code is only sent with new_status=SHIPPED (3)")

    def _fields(self, tracking_key: str) -> list[tuple[str, str]]:
        pairs = [("order_id", self.order_id), ("new_status", str(int(self.new_status)))]
        if self.order_line_id is not None:
            pairs.append(("order_line_id", str(self.order_line_id)))
        if self.workflow_item_id is not None:
            pairs.append(("workflow_item_id", str(self.workflow_item_id)))
        if self.qty is not None:
            pairs.append(("qty", str(self.qty)))
        if self.contact_customer:
            # Left out otherwise, as public clients send it, "as needed": the API's default is
            # false, and "false" is a non-empty string, true to a PHP server that tests it so.
            pairs.append(("contact_customer", "true"))
        if self.shipping_tracking_code is not None:
            pairs.append((tracking_key, self.shipping_tracking_code))
        if self.operator_id is not None:
            pairs.append(("operator_id", str(self.operator_id)))
        if self.operator_login is not None:
            pairs.append(("operator_login", self.operator_login))
        return pairs

    def encode_single(self) -> list[tuple[str, str]]:
        """The flat form of a request holding only this change (tracking as ``shipping_code``)."""
        return self._fields("shipping_code")

    def encode(self, n: int) -> list[tuple[str, str]]:
        """The form fields ``changes[n][...]`` of this change in a multi-change request."""
        return [(f"changes[{n}][{k}]", v) for k, v in self._fields("shipping_tracking_code")]


@attrs.frozen
class StatusUpdate:
    """What :meth:`Orders.update_status <omsclient.legacy.Orders.update_status>` sent, and
    what the server said of it.

    Returned once the server accepted the request.

    Attributes:
        changes: the changes sent, in order. The server accepted the request; the API has no
            answer per change, so read ``description`` for what it says it did.
        format: ``"single"`` (one change, the flat form) or ``"multi"`` (``changes[n][...]``).
        form: the form fields sent, in order, without the credentials.
        description: the ``description`` of the answer's ``response_status`` (``"."`` from the
            docs' sample; a server may say there that some changes were not applied), or None
            when it is blank or absent.
    """

    changes: tuple[StatusChange, ...]
    format: Literal["single", "multi"]
    form: tuple[tuple[str, str], ...]
    description: str | None = None

    def sent_to(self) -> str:
        """The changes sent and their orders, for a message: ``"3 changes, to orders INV1,
        INV2, INV3"``."""
        orders = list(dict.fromkeys(change.order_id for change in self.changes))
        shown_ids = ", ".join(orders[:_NAMED])
        more = f" and {len(orders) - _NAMED} more" if len(orders) > _NAMED else ""
        if len(self.changes) == 1:
            return f"the change to order {shown_ids}"
        where = "order" if len(orders) == 1 else "orders"
        return f"{len(self.changes)} changes, to {where} {shown_ids}{more}"


_NAMED = 10
# PHP reads at most this many fields of a request by default (max_input_vars) and drops the
# rest: the credentials, sent last, with them, and the server answers "Authentication failed".
MAX_FORM_FIELDS = 1000
_CREDENTIAL_FIELDS = 2


def encode_changes(changes: StatusChange | Sequence[StatusChange]) -> StatusUpdate:
    """The request for ``changes``: flat for one change, ``changes[n][...]`` for several.

    Raises:
        ValidationError: no change, something that is not a :class:`StatusChange`, a change
            listed twice, or more form fields than :data:`MAX_FORM_FIELDS` with the credentials.
    """
    if isinstance(changes, StatusChange):
        changes = [changes]
    if isinstance(changes, (str, bytes)) or not isinstance(changes, Sequence):
        raise ValidationError(
            f"changes must be a StatusChange or a list of them, got {shown(changes)}"
        )
    if not changes:
        raise ValidationError("update_status needs at least one StatusChange")
    first: dict[StatusChange, int] = {}
    for n, change in enumerate(changes, start=1):
        if not isinstance(change, StatusChange):
            raise ValidationError(f"change {n} must be a StatusChange, got {shown(change)}")
        earlier = first.setdefault(change, n)
        if earlier != n:
            # A quantity produced or shipped twice: the server applies each change it reads.
            raise ValidationError(
                f"change {n} is the same as change {earlier}: it would be applied twice"
            )
    if len(changes) == 1:
        return StatusUpdate(tuple(changes), "single", tuple(changes[0].encode_single()))
    form = [pair for n, change in enumerate(changes, start=1) for pair in change.encode(n)]
    if len(form) + _CREDENTIAL_FIELDS > MAX_FORM_FIELDS:
        fit, fields = 0, _CREDENTIAL_FIELDS
        for n, change in enumerate(changes, start=1):
            fields += len(change.encode(n))
            if fields > MAX_FORM_FIELDS:
                break
            fit = n
        raise ValidationError(
            f"update_status: {len(changes)} changes make {len(form):,} form fields, and with the "
            f"credentials more than the {MAX_FORM_FIELDS:,} a PHP server reads by default "
            "(max_input_vars): it would drop the rest, the credentials with them, and answer "
            f"'Authentication failed'; send at most {fit} of these changes a call"
        )
    return StatusUpdate(tuple(changes), "multi", tuple(form))
