"""Errors of the print-file waiter, in the SDK's one hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omsclient.errors import ApiError, NotFoundError, RequestTimeoutError

if TYPE_CHECKING:
    from omsclient.rest.models import PrintFile

__all__ = ["PrintFileFailedError", "PrintFileNotFoundError", "PrintFileTimeoutError"]


class PrintFileFailedError(ApiError):
    """The server reports ``processingfailed`` for an order item's print file.

    Attributes:
        item_id: The ``ecommerce_order_item_id`` whose file failed.
        print_file: The server's last answer for it.
        pending: The item ids not done when the failure stopped the wait, in the order asked.
        print_files: The last answer for every item polled, by item id, the ready ones (with
            their ``url``) and the failed one included.
    """

    def __init__(
        self,
        message: str,
        *,
        item_id: str,
        print_file: PrintFile,
        pending: list[str] | None = None,
        print_files: dict[str, PrintFile] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.item_id: str = item_id
        self.print_file: PrintFile = print_file
        self.pending: list[str] = pending if pending is not None else []
        self.print_files: dict[str, PrintFile] = (
            print_files if print_files is not None else {item_id: print_file}
        )


class PrintFileNotFoundError(NotFoundError):
    """The server knows no print file for some of the order items waited for (HTTP 404).

    A :class:`~omsclient.errors.NotFoundError` raised at the end of the polling round in which
    the server answered 404, so it names every item unknown in that round and keeps what the
    server said of the others. ``status_code``, ``body``, ``path`` and ``response`` are those of
    the first 404; it is raised from that :class:`~omsclient.errors.NotFoundError`.

    Attributes:
        missing_ids: The item ids the server answered 404 for, in the order asked.
        pending: The other item ids not done (neither ready nor failed), in the order asked:
            the ones to wait for again.
        print_files: The last answer for every other item polled, by item id, the ready
            ones (with their ``url``) included.
    """

    def __init__(
        self,
        message: str,
        *,
        missing_ids: list[str],
        pending: list[str],
        print_files: dict[str, PrintFile],
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.missing_ids: list[str] = missing_ids
        self.pending: list[str] = pending
        self.print_files: dict[str, PrintFile] = print_files


class PrintFileTimeoutError(RequestTimeoutError):
    """Print files were not ready (nor failed) when the waiter's overall timeout ran out.

    A :class:`~omsclient.errors.RequestTimeoutError` (and so a ``TimeoutError``) whose
    ``attempts`` counts the polling rounds.

    Attributes:
        pending: The item ids still not done, in the order asked.
        print_files: The last answer for every item polled at least once, by item id.
        timeout: The overall timeout, in seconds.
    """

    def __init__(
        self,
        message: str,
        *,
        pending: list[str],
        print_files: dict[str, PrintFile],
        timeout: float,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.pending: list[str] = pending
        self.print_files: dict[str, PrintFile] = print_files
        self.timeout: float = timeout
