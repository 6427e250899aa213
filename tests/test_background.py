"""Calls run ahead of their consumer: handed back in the order they finish, on both backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from omsclient._background import Finishing

BACKENDS = ["asyncio", "trio"]


def run(backend: str, main: Callable[[], Awaitable[Any]]) -> Any:
    return anyio.run(main, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_results_come_in_the_order_the_calls_finish(backend: str) -> None:
    async def main() -> list[tuple[str, str]]:
        ahead: Finishing[str, str] = Finishing()
        gates = {key: anyio.Event() for key in "abc"}

        async def call(key: str) -> str:
            await gates[key].wait()
            return key.upper()

        for key in "abc":
            ahead.start(key, lambda key=key: call(key))
        got = []
        for key in "cab":  # started a, b, c; let them finish c, a, b
            gates[key].set()
            got.append(await ahead.next())
        assert len(ahead) == 0
        return got

    assert run(backend, main) == [("c", "C"), ("a", "A"), ("b", "B")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_key_can_run_again_once_its_result_is_taken(backend: str) -> None:
    async def tenfold(n: int) -> int:
        await anyio.lowlevel.checkpoint()
        return n * 10

    async def main() -> list[tuple[int, int]]:
        ahead: Finishing[int, int] = Finishing()
        got = []
        for n in range(3):
            ahead.start(0, lambda n=n: tenfold(n))
            got.append(await ahead.next())
        return got

    assert run(backend, main) == [(0, 0), (0, 10), (0, 20)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_what_a_call_raised_is_raised_for_its_key_and_the_others_go_on(backend: str) -> None:
    async def main() -> tuple[str, tuple[str, str]]:
        ahead: Finishing[str, str] = Finishing()
        slow = anyio.Event()

        async def fails() -> str:
            raise LookupError("window 0 failed")

        async def later() -> str:
            await slow.wait()
            return "fine"

        ahead.start("bad", fails)
        ahead.start("good", later)
        with pytest.raises(LookupError, match="window 0 failed"):
            await ahead.next()
        slow.set()
        return "raised", await ahead.next()

    assert run(backend, main) == ("raised", ("good", "fine"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_ends_every_running_call_and_waits_for_it(backend: str) -> None:
    async def main() -> list[str]:
        ahead: Finishing[int, None] = Finishing()
        ended: list[str] = []

        async def forever(n: int) -> None:
            try:
                await anyio.sleep_forever()
            finally:
                ended.append(f"call {n} ended")

        for n in range(3):
            ahead.start(n, lambda n=n: forever(n))
        await anyio.sleep(0.01)
        await ahead.cancel()
        assert len(ahead) == 0
        return sorted(ended)

    assert run(backend, main) == ["call 0 ended", "call 1 ended", "call 2 ended"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_second_call_under_a_running_key_is_refused(backend: str) -> None:
    async def main() -> None:
        ahead: Finishing[str, None] = Finishing()
        ahead.start("w", anyio.sleep_forever)
        try:
            with pytest.raises(RuntimeError, match="already running under 'w'"):
                ahead.start("w", anyio.sleep_forever)
        finally:
            await ahead.cancel()

    run(backend, main)
