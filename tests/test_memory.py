"""Answers are freed as soon as their page is: memory stays flat however long a job runs."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from datetime import datetime

import httpx
import pytest

import omsclient
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import SandboxConfig, SandboxInfo

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))


@pytest.fixture
def collector_off() -> Iterator[None]:
    """Only reference counting frees anything meanwhile: what a collection would free late."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _answers_alive() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, httpx.Response))


async def test_an_answer_is_freed_when_its_call_returns(
    oms_sandbox: SandboxInfo, collector_off: None
) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        before = _answers_alive()
        for _ in range(5):
            await oms.legacy.orders.search(ALL, limit=20)
        # Neither httpx's stream (which refers back to its answer) nor the deadline's timer,
        # which asyncio keeps cancelled until it sweeps it, holds on to an answer.
        assert _answers_alive() <= before


async def test_pages_read_ahead_are_freed_as_they_are_handed_out(
    oms_sandbox_factory: Callable[..., SandboxInfo], collector_off: None
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=2000))
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        before = _answers_alive()
        seen = 0
        async for page in oms.legacy.orders.iterate(ALL, concurrency=4).pages():
            seen += 1
            assert len(page.items) == 100
            # The window's answers and the one of the page in hand, never those before it.
            assert _answers_alive() - before <= 4 + 1
            if seen == 12:
                break
        assert seen == 12


async def test_a_raw_response_keeps_its_answer(oms_sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        raw = await oms.legacy.orders.with_raw_response.search(ALL, limit=2)
        assert raw.status_code == 200
        assert len(raw.parse().items) == 2
        assert "response_status" in raw.text
