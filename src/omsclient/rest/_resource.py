"""What the catalog resources share: paths, and the create, get, update and delete calls."""

from __future__ import annotations

from typing import Generic, TypeVar

from omsclient._decoding import unstructure
from omsclient._process_bound import OfThisProcess
from omsclient.errors import ValidationError
from omsclient.rest._fields import check_model, given, integer_id
from omsclient.rest._transport import RestTransport, item_path
from omsclient.rest.models import Deletion

__all__ = ["Resource"]

M = TypeVar("M")


class Resource(OfThisProcess, Generic[M]):
    """One REST collection (``/api/v1/<name>``) of ``model`` objects keyed by ``id_name``;
    ``integer_ids`` where the spec types that id as an integer in paths (a string is sent only
    as the text of one)."""

    __slots__ = ("_id_name", "_integer_ids", "_model", "_name", "_path", "_rest")

    def __init__(
        self,
        rest: RestTransport,
        *,
        path: str,
        model: type[M],
        name: str,
        id_name: str,
        integer_ids: bool,
    ) -> None:
        self._rest = rest
        self._path = path
        self._model = model
        self._name = name
        self._id_name = id_name
        self._integer_ids = integer_ids

    def _op(self, verb: str) -> str:
        return f"rest.{self._name}.{verb}"

    def _item(self, id: int | str, operation: str) -> tuple[str, str]:
        """The path of the object ``id`` names, and the id as the answer names it."""
        if self._integer_ids:
            # A product's uuid where its id belongs would answer 404, which reads as "already
            # deleted" to a delete.
            id = integer_id(id, self._id_name, operation)
        return item_path(self._path, id, self._id_name, operation)

    async def _create(self, obj: M, key: str | None = None) -> M:
        """POST ``obj``; its field ``key``, a value the caller chose for the object alone (a
        variant's uuid), must be the answer's too: another create's answer, its id kept,
        would name someone else's object to a later update or delete."""
        op = self._op("create")
        check_model(obj, op)
        sent = None
        if key is not None and getattr(obj, key) is not None:
            sent = (key, str(getattr(obj, key)))
        body = unstructure(obj)
        return await self._rest.call(self._model, "POST", self._path, op, body, sent=sent)

    async def _update(self, id: int | str, /, **fields: object) -> M:
        """PUT the ``fields`` given (not ``NOT_GIVEN``), each checked against the model."""
        op = self._op("update")
        path, asked = self._item(id, op)
        body = given(self._model, op, fields)
        if not body:
            raise ValidationError(f"{op}: give at least one field to change")
        return await self._rest.call(self._model, "PUT", path, op, body, asked=asked)

    async def _get(self, id: int | str) -> M:
        op = self._op("get")
        path, asked = self._item(id, op)
        return await self._rest.call(self._model, "GET", path, op, asked=asked)

    async def _delete(self, id: int | str) -> Deletion:
        op = self._op("delete")
        path, _ = self._item(id, op)
        return await self._rest.delete(path, op, **{self._id_name: id})
