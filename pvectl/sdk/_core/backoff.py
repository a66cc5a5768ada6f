"""The backoff of a poll loop (a task's status, a VM arriving, an HA request taking effect): a first delay that
doubles up to a cap, measured on the client's injectable clock so tests run without real sleeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pvectl.sdk._core.base import Clock


class Backoff:
    """``elapsed()`` since it was made; ``wait()`` sleeps the current delay, then doubles it (at most ``cap``)."""

    def __init__(self, clock: Clock, first: float = 0.1, cap: float = 2.0) -> None:
        self.clock = clock
        self.delay = first
        self.cap = cap
        self.started = clock.monotonic()

    def elapsed(self) -> float:
        return self.clock.monotonic() - self.started

    def wait(self) -> None:
        self.clock.sleep(self.delay)
        self.delay = min(self.cap, self.delay * 2)
