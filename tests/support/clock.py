"""Test clocks. The SDK reads ``monotonic``/``sleep``/``asleep``; the simulator reads ``time``/``sleep``.

``FakeClock`` is one time line for both that moves only when the code under test sleeps or the test calls
``advance``: task polling, retries, the simulator's task durations and the guest agent's boot delay then pass
without a real sleep. ``WallClock`` is real wall time plus an offset the test moves (for a simulator served over
real sockets, whose certificate and ticket checks use the machine's time); its sleeps are only recorded.
"""

from __future__ import annotations

import time


class FakeClock:
    """A clock that only moves when the code under test sleeps (or the test advances it)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class WallClock:
    """Real time plus an offset tests can add to (ticket expiry); records requested sleeps (latency)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
