"""Client-wide flow control: in-flight cap, 429 pauses everyone, rate limit, cancellation."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TypeVar

import anyio
import httpx
import pytest
import trio
import trio.testing

import omsclient
from omsclient._throttle import Throttle
from omsclient.legacy import Condition, Op, OrderField

from .conftest import form_of, ok, on_virtual_time

T = TypeVar("T")

COND = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2020, 1, 1))


class SlowServer:
    """Answers order searches after ``delay``, counting how many it serves at once."""

    def __init__(self, total: int = 1000, delay: float = 0.01) -> None:
        self.total = total
        self.delay = delay
        self.active = 0
        self.peak = 0
        self.started: list[float] = []
        self.script: list[httpx.Response] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.started.append(time.monotonic())
        if self.script:
            return self.script.pop(0)
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.active -= 1
        form = form_of(request)
        offset, limit = int(form["offset"]), int(form["limit"])
        rows = [{"order_id": f"INV{i}"} for i in range(offset, min(offset + limit, self.total))]
        return httpx.Response(200, json=ok(orders=rows, total=self.total))


def make(
    client_kwargs: dict[str, object], server: SlowServer, **kw: object
) -> omsclient.AsyncClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return omsclient.AsyncClient(**client_kwargs, http_client=http, **kw)  # type: ignore[arg-type]


async def test_in_flight_cap_holds_across_many_concurrent_iterators(
    client_kwargs: dict[str, object],
) -> None:
    server = SlowServer(total=2000)
    async with make(client_kwargs, server, max_in_flight=3) as oms:
        results: list[int] = []

        async def scan() -> None:
            results.append(
                len([o async for o in oms.legacy.orders.iterate_raw(COND, concurrency=8)])
            )

        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(scan)
    assert results == [2000] * 4
    assert server.peak == 3


async def test_a_429_pauses_every_request_of_the_client(
    client_kwargs: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SlowServer(delay=0)
    server.script = [httpx.Response(429, headers={"Retry-After": "0.4"})]
    async with make(client_kwargs, server) as oms:
        throttle = oms._session.throttle
        paused = asyncio.Event()
        pause = throttle.pause

        def pause_and_tell(seconds: float) -> None:
            pause(seconds)
            paused.set()

        monkeypatch.setattr(throttle, "pause", pause_and_tell)
        first = asyncio.ensure_future(oms.legacy.orders.search(COND, limit=1))
        # Until the client has taken in the 429, however long a loaded machine takes: a request
        # sent before that would rightly go out unpaused.
        await paused.wait()
        await oms.legacy.orders.search(COND, limit=1)  # an unrelated request of the same client
        await first
    t429 = server.started[0]
    assert len(server.started) == 3
    assert all(t - t429 >= 0.39 for t in server.started[1:])


def on_virtual_time_with(
    client_kwargs: dict[str, object],
    answer: Callable[[httpx.Request], Coroutine[None, None, httpx.Response]],
    main: Callable[[omsclient.AsyncClient], Awaitable[T]],
    **options: object,
) -> tuple[T, list[float]]:
    """``main(oms)`` on a virtual clock (see ``on_virtual_time``), for a client whose every
    request ``answer`` answers; with when the client's limiter let each request go, from the
    start."""

    async def run() -> tuple[T, list[float]]:
        start = trio.current_time()
        http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        async with omsclient.AsyncClient(
            **{**client_kwargs, **options},  # type: ignore[arg-type]
            http_client=http,
        ) as oms:
            throttle = oms._session.throttle
            throttle._clock = trio.current_time
            slot = throttle.slot
            sent: list[float] = []

            @asynccontextmanager
            async def stamped() -> AsyncIterator[None]:
                async with slot():
                    sent.append(trio.current_time() - start)
                    yield

            throttle.slot = stamped  # type: ignore[method-assign]
            return await main(oms), sent

    return on_virtual_time(run)


async def answer_empty(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=ok(orders=[], total=0))


async def search_concurrently(oms: omsclient.AsyncClient, n: int) -> None:
    async with anyio.create_task_group() as tasks:
        for _ in range(n):
            tasks.start_soon(lambda: oms.legacy.orders.search(COND, limit=1))


def test_requests_per_second_spaces_requests(client_kwargs: dict[str, object]) -> None:
    _, sent = on_virtual_time_with(
        client_kwargs,
        answer_empty,
        lambda oms: search_concurrently(oms, 10),
        requests_per_second=20,
    )
    assert sent == pytest.approx([i * 0.05 for i in range(10)])


def test_a_late_wake_does_not_send_the_next_request_right_behind(
    client_kwargs: dict[str, object],
) -> None:
    # The first answer blocks the event loop (a big page being decoded, say) while the second
    # request waits for its slot: it goes out late, and the third, whose slot was due by then,
    # must still wait a whole interval after it rather than follow it at once.
    answered: list[None] = []

    async def blocking_first_answer(request: httpx.Request) -> httpx.Response:
        if not answered:
            answered.append(None)
            await anyio.sleep(0.01)  # the second request is asleep until its slot (0.1)
            # The loop held up past that slot, on purpose: the clock moves, no task runs.
            trio.lowlevel.current_clock().jump(0.35)  # type: ignore[attr-defined]
        return await answer_empty(request)

    _, sent = on_virtual_time_with(
        client_kwargs,
        blocking_first_answer,
        lambda oms: search_concurrently(oms, 3),
        requests_per_second=10,
    )
    # The second went out late, at 0.36, and the third a whole interval after it.
    assert sent == pytest.approx([0.0, 0.36, 0.46])


def test_a_request_held_between_its_slot_and_leaving_holds_back_the_next(
    client_kwargs: dict[str, object],
) -> None:
    # The loop busy right after the second request took its rate slot, before it went out
    # (another task decoding a page, say): the third, whose slot was due by then, went out
    # with it, not a whole interval after it.
    arrived: list[float] = []

    async def stamped(request: httpx.Request) -> httpx.Response:
        arrived.append(trio.current_time())
        return await answer_empty(request)

    async def main(oms: omsclient.AsyncClient) -> None:
        throttle = oms._session.throttle
        taken = throttle.slot
        granted: list[None] = []

        @asynccontextmanager
        async def held_after_the_second() -> AsyncIterator[None]:
            async with taken():
                granted.append(None)
                if len(granted) == 2:
                    # Held up past the third's slot: the clock moves, no task runs.
                    trio.lowlevel.current_clock().jump(0.15)  # type: ignore[attr-defined]
                yield

        throttle.slot = held_after_the_second  # type: ignore[method-assign]
        await search_concurrently(oms, 3)

    on_virtual_time_with(client_kwargs, stamped, main, requests_per_second=10)
    assert [b - a for a, b in itertools.pairwise(arrived)] == pytest.approx([0.25, 0.1])


async def test_cancellation_mid_request_leaves_the_client_usable(
    client_kwargs: dict[str, object],
) -> None:
    server = SlowServer(delay=0.5)
    async with make(client_kwargs, server, max_in_flight=2) as oms:
        with anyio.move_on_after(0.05):
            async for _ in oms.legacy.orders.iterate_raw(COND, concurrency=2):
                pass
        with anyio.move_on_after(0.05):
            await oms.legacy.orders.search(COND)
        server.delay = 0
        # Both in-flight slots were given back: two concurrent requests still go through.
        async with anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(lambda: oms.legacy.orders.search(COND, limit=1))
        page = await oms.legacy.orders.search(COND, limit=3)
    assert len(page.items) == 3
    current = asyncio.current_task()
    assert not [t for t in asyncio.all_tasks() if t is not current and not t.done()]


def test_the_rate_holds_after_waiting_for_in_flight_slots(client_kwargs: dict[str, object]) -> None:
    answers = 0

    async def first_two_slow(request: httpx.Request) -> httpx.Response:
        nonlocal answers
        answers += 1
        # The others queue for the two in-flight slots meanwhile.
        await anyio.sleep(1.0 if answers <= 2 else 0.0)
        return await answer_empty(request)

    _, sent = on_virtual_time_with(
        client_kwargs,
        first_two_slow,
        lambda oms: search_concurrently(oms, 8),
        requests_per_second=5,
        max_in_flight=2,
    )
    # Spaced by 1/5 s, not sent back to back once the slow answers free their slots.
    assert len(sent) == 8
    assert min(b - a for a, b in itertools.pairwise(sent)) >= 0.2 - 1e-9


def test_a_429_pauses_the_requests_waiting_for_a_rate_slot(
    client_kwargs: dict[str, object],
) -> None:
    # At two a second, the second request sleeps until its slot at 0.5 while the first is on
    # the wire; the 429 comes back at 0.1 and must hold it, and the others queued behind it,
    # until 1.1. On the virtual clock the 429 is always back before that slot.
    answered: list[None] = []

    async def late_429_first(request: httpx.Request) -> httpx.Response:
        if not answered:
            answered.append(None)
            await anyio.sleep(0.1)
            return httpx.Response(429, headers={"Retry-After": "1"})
        return await answer_empty(request)

    _, sent = on_virtual_time_with(
        client_kwargs,
        late_429_first,
        lambda oms: search_concurrently(oms, 4),
        requests_per_second=2,
        retry=omsclient.RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.01),
    )
    assert len(sent) == 5  # the 429's retry and three others
    assert sent[0] == 0.0
    assert min(sent[1:]) >= 1.1 - 1e-9


async def sent_after_a_pause(
    requests: int, *, come_at: float = 0.0, answer: float = 0.0, **options: int | None
) -> list[float]:
    """When each of ``requests`` concurrent requests, started at ``come_at`` and answered in
    ``answer`` seconds, leaves a throttle paused for 1 s at 0."""
    throttle = Throttle(**options, clock=trio.current_time)  # type: ignore[arg-type]
    start = trio.current_time()
    throttle.pause(1.0)
    await anyio.sleep(come_at)
    sent: list[float] = []

    async def request() -> None:
        async with throttle.slot():
            sent.append(trio.current_time() - start)
            await anyio.sleep(answer)

    async with anyio.create_task_group() as tasks:
        for _ in range(requests):
            tasks.start_soon(request)
    return sent


def test_a_shorter_pause_does_not_end_a_longer_one_early() -> None:
    # Two requests in flight get a 429 each: Retry-After 30, then Retry-After 1. The server
    # asked for 30 s; the second answer must not let the client back in after 1 s.
    async def main() -> float:
        throttle = Throttle(max_in_flight=4, requests_per_second=None, clock=trio.current_time)
        start = trio.current_time()
        throttle.pause(30.0)
        throttle.pause(1.0)
        async with throttle.slot():
            return trio.current_time() - start

    assert on_virtual_time(main) == pytest.approx(30.0)


def test_the_requests_a_pause_held_go_out_one_at_a_time() -> None:
    # All at once, they would be the burst that brings the next 429.
    sent = on_virtual_time(lambda: sent_after_a_pause(4, max_in_flight=4, requests_per_second=None))
    assert sent == pytest.approx([1.0, 1.25, 1.5, 1.75])


def test_the_requests_a_pause_held_beyond_max_in_flight_leave_twice_as_fast() -> None:
    # Let out as slots freed, the four queued behind the first went out together at 1.75: the
    # burst the spacing is there to prevent, a second late.
    sent = on_virtual_time(
        lambda: sent_after_a_pause(12, max_in_flight=4, requests_per_second=None)
    )
    assert sent == pytest.approx(
        [1.0, 1.25, 1.5, 1.75, 2.0, 2.125, 2.25, 2.375, 2.5, 2.5625, 2.625, 2.6875]
    )


def test_the_requests_a_pause_held_never_leave_together_while_answers_free_slots() -> None:
    # Queued behind 16 slots, each answered in 0.3 s: the ones that took a slot the first
    # freed waited for the first 16 to be let out, then went out together (15 at once).
    sent = on_virtual_time(
        lambda: sent_after_a_pause(60, answer=0.3, max_in_flight=16, requests_per_second=None)
    )
    gaps = [later - earlier for earlier, later in itertools.pairwise(sorted(sent))]
    assert min(gaps) > 0.001


def test_a_backlog_a_pause_held_drains_at_the_servers_pace_not_a_slot_a_second() -> None:
    # 64 fetches queued behind 4 slots, each answered in 0.1 s, after a pause of 1 s: spaced one
    # by one, they took 16 s more, and a call made meanwhile waited behind all of them.
    sent = on_virtual_time(
        lambda: sent_after_a_pause(64, answer=0.1, max_in_flight=4, requests_per_second=None)
    )
    assert sent[:4] == pytest.approx([1.0, 1.25, 1.5, 1.75])
    # The ramp takes under two seconds however long it is, the rest the answers' time.
    assert max(sent) < 1.0 + 2.0 + 64 / 4 * 0.1


def test_the_requests_a_pause_held_go_out_at_the_clients_rate_when_it_has_one() -> None:
    sent = on_virtual_time(lambda: sent_after_a_pause(4, max_in_flight=4, requests_per_second=10))
    assert sent == pytest.approx([1.0, 1.1, 1.2, 1.3])


def test_requests_that_come_after_a_pause_and_its_ramp_go_out_together() -> None:
    sent = on_virtual_time(
        lambda: sent_after_a_pause(4, come_at=3.0, max_in_flight=4, requests_per_second=None)
    )
    assert sent == pytest.approx([3.0] * 4)


def test_requests_made_during_a_pauses_ramp_take_their_turn_in_it() -> None:
    # A caller's next request, made once its answer came, took the slot that answer freed and
    # left at once, ahead of those waiting their turn: with threads sharing a client, every
    # request after the first max_in_flight went out unspaced.
    async def main() -> list[tuple[str, float]]:
        throttle = Throttle(max_in_flight=4, requests_per_second=None, clock=trio.current_time)
        throttle.pause(1.0)
        sent: list[tuple[str, float]] = []

        async def request(name: str, at: float) -> None:
            await anyio.sleep(at)
            async with throttle.slot():
                sent.append((name, trio.current_time()))

        async with anyio.create_task_group() as tasks:
            for i in range(4):
                tasks.start_soon(request, f"held {i}", 0.0)
                tasks.start_soon(request, f"new {i}", 1.1)
        return sent

    sent = on_virtual_time(main)
    assert {name for name, _ in sent[:4]} == {f"held {i}" for i in range(4)}
    assert [at for _, at in sent] == pytest.approx([1.0, 1.25, 1.5, 1.75, 2.0, 2.125, 2.25, 2.375])


def test_a_request_cancelled_in_a_pauses_ramp_leaves_its_step_to_the_next() -> None:
    # Counted before its wait, the step of one cancelled while it waited was lost: the ones
    # after it left at the next wave's pace, sooner than their turn.
    async def main() -> list[float]:
        throttle = Throttle(max_in_flight=4, requests_per_second=None, clock=trio.current_time)
        throttle.pause(1.0)
        sent: list[float] = []

        async def request() -> None:
            async with throttle.slot():
                sent.append(trio.current_time())

        async with anyio.create_task_group() as tasks:
            with anyio.move_on_after(1.1):  # in the second's wait, for the slot at 1.25
                async with anyio.create_task_group() as cancelled:
                    cancelled.start_soon(request)
                    cancelled.start_soon(request)
            for _ in range(6):
                tasks.start_soon(request)
        return sent

    sent = on_virtual_time(main)
    # Four a second (max_in_flight), the cancelled one not among them, then twice as fast.
    assert sent == pytest.approx([1.0, 1.25, 1.5, 1.75, 2.0, 2.125, 2.25])


def test_a_pause_spaces_the_first_max_in_flight_however_many_they_are() -> None:
    # Above 1,000, a second over max_in_flight requests is under a millisecond a request: the
    # ramp took itself for over before it began, and every held request left at once.
    sent = on_virtual_time(
        lambda: sent_after_a_pause(300, max_in_flight=2000, requests_per_second=None)
    )
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert min(gaps) == pytest.approx(1 / 2000)


def test_after_a_429_the_clients_other_requests_go_out_one_at_a_time(
    client_kwargs: dict[str, object],
) -> None:
    async def main() -> list[float]:
        sent: list[float] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(trio.current_time())
            if len(sent) == 1:
                return httpx.Response(429, headers={"Retry-After": "1"})
            return httpx.Response(200, json=ok(orders=[], total=0))

        http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        async with omsclient.AsyncClient(
            **client_kwargs,  # type: ignore[arg-type]
            http_client=http,
            max_in_flight=4,
        ) as oms:
            oms._session.throttle._clock = trio.current_time
            with pytest.raises(omsclient.RateLimitError):
                await oms.with_options(max_retries=0).legacy.orders.search(COND)
            async with anyio.create_task_group() as tasks:
                for _ in range(3):
                    tasks.start_soon(lambda: oms.legacy.orders.search(COND, limit=1))
        return [t - sent[0] for t in sent[1:]]

    assert on_virtual_time(main) == pytest.approx([1.0, 1.25, 1.5])


def test_the_retry_of_the_request_that_got_the_429_waits_its_turn_with_the_others(
    client_kwargs: dict[str, object],
) -> None:
    # Sleeping out the pause on its own, it went out at the moment the first held request
    # was released: two at once, the burst the spacing is there to prevent.
    async def main() -> list[float]:
        sent: list[float] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(trio.current_time())
            if len(sent) == 1:
                return httpx.Response(429, headers={"Retry-After": "1"})
            return httpx.Response(200, json=ok(orders=[], total=0))

        async def held() -> None:
            await anyio.sleep(0.5)  # well into the pause
            await oms.legacy.orders.search(COND, limit=1)

        http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        async with omsclient.AsyncClient(
            **{**client_kwargs, "retry": omsclient.RetryPolicy(max_retries=1)},  # type: ignore[arg-type]
            http_client=http,
            max_in_flight=4,
        ) as oms:
            oms._session.throttle._clock = trio.current_time
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(lambda: oms.legacy.orders.search(COND, limit=1))
                for _ in range(3):
                    tasks.start_soon(held)
        return sorted(t - sent[0] for t in sent[1:])

    assert on_virtual_time(main) == pytest.approx([1.0, 1.25, 1.5, 1.75])
