"""The one poll loop (pvectl.sdk._core.backoff): growing delays to a cap, the deadline never overshot, Ctrl-C
within CANCEL_CHECK, transient read errors tolerated up to a bound. All on a fake clock: no real sleep."""

from __future__ import annotations

import asyncio

import pytest

from pvectl.sdk._core.backoff import CANCEL_CHECK, TRANSIENT_FOR, Cancelled, Poll, apoll_until, delay_at, poll_until
from pvectl.sdk._core.errors import ApiError, NotFound, TransportError
from tests.support.clock import FakeClock


def test_delays_grow_by_the_factor_up_to_the_cap() -> None:
    clock = FakeClock()
    poll = Poll(clock, first=0.1, cap=0.5)  # type: ignore[arg-type]
    assert poll_until(lambda: None, Poll(clock, first=0.1, cap=0.5, tries=6)) is None  # type: ignore[arg-type]
    assert clock.sleeps == [0.1, 0.2, 0.4, 0.5, 0.5]
    assert abs(poll.elapsed() - 1.7) < 1e-9
    assert [round(delay_at(i, 0.1, 2.0, 1.5), 4) for i in range(3)] == [0.1, 0.15, 0.225]
    assert delay_at(40, 0.5, 8.0) == 8.0


def test_an_explicit_schedule_repeats_its_last_delay() -> None:
    clock = FakeClock()
    poll_until(lambda: None, Poll(clock, delays=(0.2, 0.5, 1.0), tries=6))  # type: ignore[arg-type]
    assert clock.sleeps == [0.2, 0.5, 1.0, 1.0, 1.0]


def test_the_probe_answer_ends_the_loop() -> None:
    clock = FakeClock()
    answers = iter([None, None, "done"])
    assert poll_until(lambda: next(answers), Poll(clock)) == "done"  # type: ignore[arg-type]
    assert clock.sleeps == [0.1, 0.2]


@pytest.mark.parametrize("timeout", [0.0, 0.05, 1.0, 3.3, 10.0])
def test_a_pause_never_runs_past_the_deadline_and_the_last_look_is_on_it(timeout: float) -> None:
    clock = FakeClock()
    looks: list[float] = []

    def probe() -> None:
        looks.append(clock.now)

    assert poll_until(probe, Poll(clock, timeout=timeout, first=0.1, cap=2.0)) is None  # type: ignore[arg-type]
    assert clock.now == pytest.approx(1000.0 + timeout)  # slept to the deadline, not beyond
    assert looks[-1] == pytest.approx(1000.0 + timeout)  # ... and looked once more there


def test_without_a_last_look_the_loop_stops_before_a_pause_it_cannot_finish() -> None:
    clock = FakeClock()
    poll_until(lambda: None, Poll(clock, timeout=1.0, delays=(0.5, 1.0), last_look=False))  # type: ignore[arg-type]
    assert clock.sleeps == [0.5]


def test_cancel_is_seen_within_cancel_check_of_the_flag() -> None:
    clock = FakeClock()
    flag_at = 1000.0 + 3.33  # in the middle of a long pause

    def cancelled() -> bool:
        return clock.now >= flag_at

    with pytest.raises(Cancelled):
        poll_until(lambda: None, Poll(clock, first=1.0, cap=30.0, cancelled=cancelled))  # type: ignore[arg-type]
    assert flag_at <= clock.now <= flag_at + CANCEL_CHECK + 1e-9
    assert max(clock.sleeps) <= CANCEL_CHECK + 1e-9
    assert CANCEL_CHECK <= 0.5  # the Ctrl-C policy: stop waiting within a second


def test_transient_errors_are_one_more_not_yet_until_their_budget_is_spent() -> None:
    clock = FakeClock()
    answers: list[object] = [TransportError("connection reset"), ApiError(503, "busy"), "done"]

    def probe() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert poll_until(probe, Poll(clock, transient_for=10.0)) == "done"  # type: ignore[arg-type]

    def failing() -> None:
        raise TransportError("connection reset")

    clock = FakeClock()
    with pytest.raises(TransportError):
        poll_until(failing, Poll(clock, timeout=100.0, transient_for=5.0, cap=1.0))  # type: ignore[arg-type]
    assert 5.0 <= clock.now - 1000.0 <= 6.0  # reported once the budget is spent, not before


def test_a_good_answer_resets_the_transient_budget() -> None:
    clock = FakeClock()
    script = ["reset"] * 4 + ["no"] + ["reset"] * 4 + ["yes"]

    def probe() -> str | None:
        step = script.pop(0)
        if step == "reset":
            raise TransportError("connection reset")
        return "done" if step == "yes" else None

    # every run of errors lasts 4 pauses of 1 s: less than the 5 s budget each, though 8 s in all
    assert poll_until(probe, Poll(clock, first=1.0, cap=1.0, transient_for=5.0)) == "done"  # type: ignore[arg-type]


def test_other_errors_end_the_wait_at_once() -> None:
    clock = FakeClock()

    def probe() -> None:
        raise NotFound(404, "no such VM")

    with pytest.raises(NotFound):
        poll_until(probe, Poll(clock, transient_for=60.0))  # type: ignore[arg-type]
    assert clock.sleeps == []


def test_the_async_twin_has_the_same_policy() -> None:
    clock = FakeClock()
    answers = iter([None, None, None, 7])

    async def probe() -> int | None:
        return next(answers)

    assert asyncio.run(apoll_until(probe, Poll(clock, first=0.1, cap=0.2))) == 7  # type: ignore[arg-type]
    assert clock.sleeps == [0.1, 0.2, 0.2]

    async def never() -> None:
        return None

    clock = FakeClock()
    flag_at = 1000.0 + 0.75
    poll = Poll(clock, first=0.5, cap=5.0, cancelled=lambda: clock.now >= flag_at)  # type: ignore[arg-type]
    with pytest.raises(Cancelled):
        asyncio.run(apoll_until(never, poll))
    assert flag_at <= clock.now <= flag_at + CANCEL_CHECK + 1e-9


def test_without_a_deadline_transient_errors_are_still_bounded() -> None:
    """A wait with no timeout (an HA request, `task log -f`) does not ask a dead server forever."""
    clock = FakeClock()
    calls = [0]

    def failing() -> str:
        calls[0] += 1
        if calls[0] > 10_000:  # far beyond the bound: end the test instead of looping on
            return "never gave up"
        raise ApiError(502, "bad gateway")

    with pytest.raises(ApiError):
        poll_until(failing, Poll(clock))  # type: ignore[arg-type]
    assert TRANSIENT_FOR <= clock.now - 1000.0 <= TRANSIENT_FOR + 2.0
