"""Arguments that are secrets, and answers, stay out of the frames an error goes through.

Error reporters (Sentry by default, rich's ``show_locals``) send the variables of every frame
of a traceback, the finished ones included: a client refused for a bad option, or a sync for a
bad window count, must not hand them the password, the token or the database password; a page
refused once its call had ended, not its orders with their login keys.
"""

from __future__ import annotations

import json
import traceback
from datetime import datetime
from typing import Any

import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.dbsync import DatabaseUrlError, sync_orders, sync_products
from omsclient.legacy import Condition, Op, OrderField

from .conftest import LEGACY, PASSWORD, TOKEN
from .hostile import frame_variables

DB_PASSWORD = "db-pa55-secret"
GATEWAY_KEY = "gw-key-secret-123"

BAD_OPTIONS: list[dict[str, Any]] = [
    {"max_in_flight": 0},
    {"requests_per_second": -1},
    {"timeout": -1},
    {"attempt_deadline": 0},
    {"max_response_bytes": 0},
    {"http_client": "not a client"},
    {"order_field_numbering": "neither"},
    {"store_id": 1.5},
    {"legacy_url": "ftp://shop.test"},
    {"app_name": "bad\nname"},
]


def assert_no_secret(exc: BaseException) -> None:
    shown = "\n".join(frame_variables(exc))
    for secret in (PASSWORD, TOKEN, GATEWAY_KEY):
        assert secret not in shown


@pytest.mark.parametrize("bad", BAD_OPTIONS, ids=lambda bad: next(iter(bad)))
async def test_an_async_client_refused_keeps_no_credential_in_its_frames(
    client_kwargs: dict[str, Any], bad: dict[str, Any]
) -> None:
    kwargs = {**client_kwargs, "default_headers": {"X-Api-Key": GATEWAY_KEY}, **bad}
    with pytest.raises(errors.ConfigurationError) as caught:
        omsclient.AsyncClient(**kwargs)
    assert_no_secret(caught.value)


def test_a_token_refused_is_kept_in_no_frame(client_kwargs: dict[str, Any]) -> None:
    # A token with a line break cannot be a header: refused, the token in the frames checking it.
    secret_token = f"{TOKEN}\n"
    with pytest.raises(errors.ConfigurationError) as caught:
        omsclient.AsyncClient(**{**client_kwargs, "api_token": secret_token})
    assert_no_secret(caught.value)


@pytest.mark.parametrize("bad", BAD_OPTIONS[:3], ids=lambda bad: next(iter(bad)))
def test_a_blocking_client_refused_keeps_no_credential_in_its_frames(
    client_kwargs: dict[str, Any], bad: dict[str, Any]
) -> None:
    kwargs = {**client_kwargs, "default_headers": {"X-Api-Key": GATEWAY_KEY}, **bad}
    with pytest.raises(errors.ConfigurationError) as caught:
        omsclient.Client(**kwargs)
    assert_no_secret(caught.value)


@pytest.mark.parametrize("bad", [{"timeout": -1}, {"default_headers": {"X-Bad": "a\nb"}}])
def test_a_view_refused_keeps_no_gateway_credential_in_its_frames(
    client_kwargs: dict[str, Any], bad: dict[str, Any]
) -> None:
    headers = {"X-Api-Key": GATEWAY_KEY, **bad.get("default_headers", {})}
    options = {**bad, "default_headers": headers}
    with omsclient.Client(**client_kwargs) as oms:
        for client in (oms, oms.async_client):
            with pytest.raises(errors.ConfigurationError) as caught:
                client.with_options(**options)
            assert_no_secret(caught.value)


def test_a_refused_client_made_while_handling_an_error_leaves_the_callers_frames(
    client_kwargs: dict[str, Any],
) -> None:
    # The error being handled is the caller's: its frames keep their variables.
    def callers_own() -> None:
        mine = "the caller's"  # noqa: F841
        raise KeyError("handled by the caller")

    try:
        callers_own()
    except KeyError as exc:
        handled = exc
        with pytest.raises(errors.ConfigurationError) as caught:
            omsclient.AsyncClient(**{**client_kwargs, "max_in_flight": 0})
    assert caught.value.__context__ is handled
    frames = [tb.tb_frame for tb in _tracebacks(handled)]
    assert frames[-1].f_locals == {"mine": "the caller's"}
    assert_no_secret(caught.value)


def _tracebacks(exc: BaseException) -> list[Any]:
    out, tb = [], exc.__traceback__
    while tb is not None:
        out.append(tb)
        tb = tb.tb_next
    return out


DB_URLS = [
    f"postgresql://etl:{DB_PASSWORD}@db.test/shop",
    f"postgresql://etl:{DB_PASSWORD}@db.test:port/shop",  # a bad port: refused as read
]


@pytest.mark.parametrize("db_url", DB_URLS)
@pytest.mark.parametrize("sync", [sync_orders, sync_products])
async def test_a_sync_refused_before_connecting_keeps_no_database_password_in_its_frames(
    oms: omsclient.AsyncClient, db_url: str, sync: Any
) -> None:
    bad: dict[str, Any] = {"progress": "not callable"}
    with pytest.raises((errors.ValidationError, DatabaseUrlError)) as caught:
        sync(oms, db_url, **bad)
    shown = "\n".join(frame_variables(caught.value))
    assert DB_PASSWORD not in shown
    assert PASSWORD not in shown


def test_a_blocking_sync_refused_keeps_no_database_password_in_its_frames(
    client_kwargs: dict[str, Any],
) -> None:
    with omsclient.Client(**client_kwargs) as oms, pytest.raises(errors.ValidationError) as caught:
        sync_orders(oms, DB_URLS[0], windows=0)
    assert DB_PASSWORD not in "\n".join(frame_variables(caught.value))


async def test_a_database_that_cannot_be_opened_leaves_its_password_in_no_frame(
    oms: omsclient.AsyncClient,
) -> None:
    # Port 1 refuses the connection: psycopg's connect and the store's constructor both held
    # the URL, password and all, in frames of plain functions in the sync's worker thread.
    with pytest.raises(DatabaseUrlError, match="cannot connect") as caught:
        await sync_orders(oms, f"postgresql://etl:{DB_PASSWORD}@127.0.0.1:1/shop")
    assert DB_PASSWORD not in "\n".join(frame_variables(caught.value))
    # Nor in psycopg's error, whose connection holds the password: it is not in the chain.
    assert (caught.value.__cause__, caught.value.__context__) == (None, None)


LOGIN_KEY = "0123456789abcdef0123456789abcdef01234567"


def _page(rows: list[dict[str, Any]], total: object) -> dict[str, Any]:
    return {
        "response_status": {"code": 10001, "severity": "SUCCESS"},
        "total": total,
        "orders": rows,
    }


def _order(n: int, ordered: str) -> dict[str, Any]:
    return {
        "order_id": f"INV{n}",
        "date_ordered": ordered,
        "quote_pdf_url": f"https://shop.test/q/{n}?user[id]=4321&key={LOGIN_KEY}",
    }


@pytest.mark.parametrize(
    ("read", "rows", "total", "where"),
    [
        # PHP's false for the count: refused by the page's reading, the rows in its frame.
        ("iterate_raw", [_order(1, "2024-06-01T10:00:00.000+00:00")], False, "read_page"),
        # A server ignoring the sort: refused by the scan's check of the rows' order.
        (
            "scan",
            [
                _order(1, "2024-06-02T10:00:00.000+00:00"),
                _order(2, "2024-06-01T10:00:00.000+00:00"),
            ],
            2,
            "_within",
        ),
    ],
    ids=["iterate_raw-total", "scan-order"],
)
async def test_a_page_refused_after_its_call_leaves_no_order_in_the_frames(
    oms: omsclient.AsyncClient, read: str, rows: list[dict[str, Any]], total: object, where: str
) -> None:
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_orders/find").respond(
            content=json.dumps(_page(rows, total)).encode(),
            headers={"content-type": "application/json"},
        )
        with pytest.raises(errors.DecodeError) as caught:
            if read == "scan":
                [o async for o in oms.legacy.orders.scan(raw=True)]
            else:
                since = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2024, 1, 1))
                [o async for o in oms.legacy.orders.iterate_raw(since)]
    assert f"in {where}" in "".join(traceback.format_exception(caught.value))
    assert LOGIN_KEY not in "\n".join(frame_variables(caught.value))
