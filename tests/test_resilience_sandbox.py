"""Retries, writes, cancellation, timeouts and redaction against the sandbox over real sockets."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import anyio
import pytest

import omsclient
from omsclient.legacy import Condition, Op, OrderField, OrderIncludes, StatusChange
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo, serve

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
PATIENT = omsclient.RetryPolicy(max_retries=12, initial_delay=0.002, max_delay=0.02)
UPDATE_PATH = "/api/json/manage_orders/update_order_status"
# Faults after which the sandbox has applied a write (it spoils the answer afterwards).
APPLIED = {None, "drop", "truncate", "empty"}


@pytest.fixture(scope="module")
def faulty() -> Iterator[SandboxInfo]:
    faults = Faults(
        error_rate=0.05,
        rate_limit_rate=0.05,
        retry_after=0,
        drop_rate=0.05,
        truncate_rate=0.05,
        seed=7,
    )
    with serve(SandboxConfig(orders=5000, products=20, seed=3, faults=faults)) as info:
        yield info


async def test_5000_orders_with_concurrency_8_under_20_percent_faults_come_once_each(
    faulty: SandboxInfo,
) -> None:
    before = len(faulty.state.requests)
    async with omsclient.AsyncClient(**faulty.client_kwargs(), retry=PATIENT) as oms:
        it = oms.legacy.orders.iterate_raw(ALL, concurrency=8)
        ids = [order["order_id"] async for order in it]
    expected = sorted(r.order_id for r in faulty.state.orders)
    assert len(ids) == len(set(ids)) == 5000
    assert sorted(ids) == expected
    faults = Counter(r.fault for r in faulty.state.requests[before:])
    # The faults really happened, of every kind, and were ridden through.
    assert {"error", "rate_limit", "drop", "truncate"} <= set(faults)
    assert sum(n for kind, n in faults.items() if kind) >= 5


async def test_typed_iteration_under_faults_matches_too(faulty: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**faulty.client_kwargs(), retry=PATIENT) as oms:
        orders = [o async for o in oms.legacy.orders.iterate(ALL, concurrency=4, max_items=700)]
    assert [o.order_id for o in orders] == [o.order_id for o in orders if o.order_id]
    assert len({o.order_id for o in orders}) == 700


async def test_a_write_under_faults_is_never_applied_twice(faulty: SandboxInfo) -> None:
    targets = [r.order_id for r in faulty.state.orders if r.status == 1][:40]
    before = len(faulty.state.requests)
    outcome: dict[str, str] = {}
    async with omsclient.AsyncClient(**faulty.client_kwargs(), retry=PATIENT) as oms:
        for order_id in targets:
            try:
                await oms.legacy.orders.update_status(StatusChange(order_id=order_id, new_status=2))
                outcome[order_id] = "ok"
            except omsclient.OmsError as exc:
                outcome[order_id] = type(exc).__name__
    applied: Counter[str] = Counter()
    for record in faulty.state.requests[before:]:
        if record.path == UPDATE_PATH and record.fault in APPLIED:
            applied[record.form["order_id"]] += 1  # one change: the flat form
    assert max(applied.values()) == 1
    for order_id, result in outcome.items():
        if result == "ok":
            assert applied[order_id] == 1
            assert faulty.state.order(order_id).status >= 2  # type: ignore[union-attr]
    assert list(outcome.values()).count("ok") >= 20


async def test_cancelling_a_scan_midway_leaves_the_client_clean() -> None:
    with serve(SandboxConfig(orders=3000, products=10, faults=Faults(latency=0.05))) as info:
        async with omsclient.AsyncClient(**info.client_kwargs(), max_in_flight=4) as oms:
            seen = 0
            with anyio.CancelScope() as scope:
                async for _ in oms.legacy.orders.iterate_raw(ALL, concurrency=4):
                    seen += 1
                    if seen == 250:
                        # Cancelled while the next pages are being fetched.
                        scope.cancel()
            assert scope.cancelled_caught
            assert 250 <= seen < 3000
            current = asyncio.current_task()
            assert not [t for t in asyncio.all_tasks() if t is not current and not t.done()]
            # The client still works, with all four in-flight slots back.
            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(lambda: oms.legacy.orders.search(ALL, limit=1))
            page = await oms.legacy.orders.search(ALL, limit=5)
            assert len(page.items) == 5

            task = asyncio.ensure_future(oms.legacy.orders.search(ALL))
            await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert (await oms.legacy.orders.search(ALL, limit=1)).total == 3000


async def test_timeouts_fire_and_name_the_operation() -> None:
    with serve(SandboxConfig(orders=50, products=5, faults=Faults(latency=0.5))) as info:
        async with omsclient.AsyncClient(
            **info.client_kwargs(),
            timeout=0.1,
            attempt_deadline=5,  # the read timeout is what is tested, on a busy machine too
            retry=omsclient.RetryPolicy(max_retries=1, initial_delay=0),
        ) as oms:
            with pytest.raises(omsclient.RequestTimeoutError) as caught:
                await oms.legacy.orders.search(ALL)
            assert "legacy.orders.search: read timeout of 0.1 s" in str(caught.value)
            assert caught.value.attempts == 2
            # A per-call timeout lifts it for one call only.
            page = await oms.with_options(timeout=5).legacy.orders.search(ALL, limit=1)
            assert page.total == 50


async def test_debug_logs_of_a_failing_run_hold_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(SandboxConfig(orders=30, products=5)) as info:
        async with omsclient.AsyncClient(**info.client_kwargs(), retry=PATIENT) as oms:
            # The answers really carry the user's login token in document URLs ...
            includes = OrderIncludes(login_tokens=True)
            orders = [o async for o in oms.legacy.orders.iterate_raw(ALL, includes=includes)]
            typed = [o async for o in oms.legacy.orders.iterate(ALL, include_login_tokens=True)]
            token = info.state.login_token
            assert f"key={token}" in orders[0]["order_proof_pdf_url"]
            assert f"key={token}" in (typed[0].order_proof_pdf_url or "")
            shown = repr(typed) + str(typed[0]) + repr(typed[0].order_lines)
            # ... and then every attempt of a search fails.
            info.state.queue_faults(*["truncate"] * 13)
            with pytest.raises(omsclient.TransportError) as caught:
                await oms.legacy.orders.search(ALL)
        bad = {**info.client_kwargs(), "password": "wrong-" + info.password}
        async with omsclient.AsyncClient(**bad, retry=PATIENT) as oms:
            with pytest.raises(omsclient.AuthenticationError) as auth:
                await oms.legacy.orders.search(ALL)
    text = caplog.text + str(caught.value) + repr(caught.value) + str(auth.value) + repr(auth.value)
    text += shown
    assert caught.value.attempts == 13
    assert "retrying" in caplog.text
    assert "manage_orders/find" in caplog.text
    for secret in (info.password, "wrong-" + info.password, info.api_token, token):
        assert secret not in text
