"""Status changes for ``update_order_status`` and their multi-change form encoding."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import attrs

from omsclient.errors import ValidationError

__all__ = ["NewStatus", "StatusChange"]


class NewStatus(enum.IntEnum):
    """The statuses an order, line or workflow item can be moved to."""

    PRODUCED = 2
    SHIPPED = 3


def _new_status(value: Any) -> NewStatus:
    try:
        return NewStatus(value)
    except ValueError:
        raise ValidationError(
            f"new_status must be 2 (Produced) or 3 (Shipped), got {value!r}"
        ) from None


def _positive(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_: Any, __: Any, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValidationError(f"{name} must be a positive integer, got {value!r}")

    return check


@attrs.frozen
class StatusChange:
    """Move a whole order, one line, or (part of) one workflow item to Produced or Shipped.

    Leave ``order_line_id`` out to change the whole order, ``workflow_item_id`` out to change the
    whole line; ``qty`` needs a ``workflow_item_id`` and defaults to the outstanding quantity.
    ``shipping_tracking_code`` is only for ``NewStatus.SHIPPED``. ``contact_customer`` only has an
    effect when the whole order moves.
    """

    order_id: str
    new_status: NewStatus = attrs.field(converter=_new_status)
    order_line_id: int | None = attrs.field(default=None, validator=_positive("order_line_id"))
    workflow_item_id: int | None = attrs.field(
        default=None, validator=_positive("workflow_item_id")
    )
    qty: int | None = attrs.field(default=None, validator=_positive("qty"))
    contact_customer: bool = False
    shipping_tracking_code: str | None = None
    operator_id: int | None = attrs.field(default=None, validator=_positive("operator_id"))
    operator_login: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.order_id, str) or not self.order_id.strip():
            raise ValidationError(f"order_id must be a non-empty string, got {self.order_id!r}")
        if self.qty is not None and self.workflow_item_id is None:
            raise ValidationError("qty needs workflow_item_id (the API rejects it otherwise)")
        if self.shipping_tracking_code is not None and self.new_status is not NewStatus.SHIPPED:
            raise ValidationError("shipping_tracking_code is only sent with new_status=SHIPPED (3)")
        if not isinstance(self.contact_customer, bool):
            raise ValidationError(f"contact_customer must be a bool, got {self.contact_customer!r}")

    def encode(self, n: int) -> list[tuple[str, str]]:
        """The form fields ``changes[n][...]`` of this change.

        The tracking code is sent as ``changes[n][shipping_tracking_code]``, the multi-change
        name both order documents give (the single-change name, ``shipping_code``, is not used
        because every request uses the multi-change format).
        """
        p = f"changes[{n}]"
        pairs = [(f"{p}[order_id]", self.order_id)]
        if self.order_line_id is not None:
            pairs.append((f"{p}[order_line_id]", str(self.order_line_id)))
        if self.workflow_item_id is not None:
            pairs.append((f"{p}[workflow_item_id]", str(self.workflow_item_id)))
        if self.qty is not None:
            pairs.append((f"{p}[qty]", str(self.qty)))
        pairs.append((f"{p}[new_status]", str(int(self.new_status))))
        pairs.append((f"{p}[contact_customer]", "true" if self.contact_customer else "false"))
        if self.shipping_tracking_code is not None:
            pairs.append((f"{p}[shipping_tracking_code]", self.shipping_tracking_code))
        if self.operator_id is not None:
            pairs.append((f"{p}[operator_id]", str(self.operator_id)))
        if self.operator_login is not None:
            pairs.append((f"{p}[operator_login]", self.operator_login))
        return pairs
