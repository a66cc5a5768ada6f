"""The poll loops' one backoff: doubling delays up to a cap, on the injected clock (no real sleep)."""

from __future__ import annotations

from pvectl.sdk._core.backoff import Backoff


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_delays_double_up_to_the_cap_and_elapsed_follows_the_clock() -> None:
    clock = FakeClock()
    backoff = Backoff(clock, first=0.1, cap=0.5)  # type: ignore[arg-type]
    for _ in range(5):
        backoff.wait()
    assert clock.slept == [0.1, 0.2, 0.4, 0.5, 0.5]
    assert abs(backoff.elapsed() - 1.7) < 1e-9
