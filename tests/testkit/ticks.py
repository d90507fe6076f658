"""A stand-in for asyncio.sleep in a loop the test steps by hand: no sleeping against intervals."""

import asyncio

# A round that has not come back to its wait by then has hung: the test fails, it does not hang.
STEP_BOUND_SECONDS = 30.0


class Ticks:
    """Pass as the loop's wait; `await ticks.step()` lets exactly one round run to its next wait.

    The loop under test calls `await ticks(seconds)` where it would sleep; it waits there until
    the test steps, and `step` returns once the round is done and the loop waits again.
    """

    def __init__(self) -> None:
        self._go: asyncio.Queue[None] = asyncio.Queue()
        self._waiting = asyncio.Event()
        self.waits: list[float] = []  # the intervals the loop asked for

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._waiting.set()
        await self._go.get()

    async def step(self) -> None:
        """Run one round: release the waiting loop, return when it waits again."""
        async with asyncio.timeout(STEP_BOUND_SECONDS):
            await self._waiting.wait()
            self._waiting.clear()
            self._go.put_nowait(None)
            await self._waiting.wait()
