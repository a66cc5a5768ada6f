"""The one poll loop: ask again until the answer says done, a deadline passes or the caller cancels.

Every wait of pvectl polls through here (a task's status, a VM reaching a state, the guest agent, an address,
an HA request taking effect, the reads after a lost answer), so they share one policy:

- the delay starts small and grows (``first`` times ``factor`` per pause, at most ``cap``), or follows an
  explicit ``delays`` schedule whose last value repeats;
- it is slept on the client's injectable clock (tests run without real sleeps);
- a pause never runs past the deadline: it is shortened to end on it (one last look), or with
  ``last_look=False`` the loop stops instead of starting a pause it could not finish;
- with ``cancelled``, a pause is cut into slices of ``CANCEL_CHECK`` seconds and the loop raises
  :class:`Cancelled` within one slice of the flag turning true (Ctrl-C stops a wait within a second);
- a transient read error (a lost connection, a 5xx) is one more "not yet" for up to ``transient_for``
  seconds in a row (TRANSIENT_FOR by default; None: until the deadline); after that, or for any other error,
  the error is raised.

``Poll`` is the loop's state for loops whose body is more than one probe; ``poll_until`` / ``apoll_until``
run a probe (``None`` = not yet) and return its first other answer, or ``None`` when the time is up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from pvectl.sdk._core.errors import ApiError, TLSError, TransportError

if TYPE_CHECKING:
    from pvectl.sdk._core.base import Clock

T = TypeVar("T")

CANCEL_CHECK = 0.1  # seconds between two looks at ``cancelled`` while a wait pauses
TRANSIENT_FOR = 60.0  # seconds of transient errors in a row before a poll gives up on the server


class Cancelled(Exception):
    """``cancelled()`` turned true while polling; what is polled goes on on the server."""


def is_transient(exc: BaseException) -> bool:
    """Errors worth asking again about: lost connections, 5xx and PVE's 595/596 (proxy could not reach the node)."""
    if isinstance(exc, TLSError):
        return False
    if isinstance(exc, TransportError):
        return True
    return isinstance(exc, ApiError) and exc.status >= 500


def delay_at(attempt: int, first: float, cap: float, factor: float = 2.0) -> float:
    """The pause before try ``attempt + 2``: ``first`` grown ``attempt`` times by ``factor``, at most ``cap``."""
    delay = first
    for _ in range(attempt):
        if delay >= cap:
            break
        delay *= factor
    return float(min(delay, cap))


class Poll:
    """One poll loop's clock, deadline, backoff, cancel flag and transient-error budget.

    Probe first, then ``pause()`` (``await apause()``) before each further probe; ``pause`` returns False when
    the loop is over (the deadline passed, or ``tries`` probes were made) without sleeping.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        timeout: float | None = None,
        first: float = 0.1,
        cap: float = 2.0,
        factor: float = 2.0,
        delays: Sequence[float] | None = None,
        tries: int | None = None,
        last_look: bool = True,
        cancelled: Callable[[], bool] | None = None,
        transient: Callable[[BaseException], bool] = is_transient,
        transient_for: float | None = TRANSIENT_FOR,
    ) -> None:
        self.clock = clock
        self.started = clock.monotonic()
        self.timeout = timeout
        self.deadline = None if timeout is None else self.started + timeout
        self.first, self.cap, self.factor = first, max(cap, first), factor
        self.delays = tuple(delays) if delays else None
        self.tries = tries
        self.last_look = last_look
        self.cancelled = cancelled
        self.transient = transient
        self.transient_for = transient_for
        self.pauses = 0
        self.tries_made = 0  # by next_try
        self.failing_since: float | None = None

    # -- state --------------------------------------------------------------------------------------------

    def elapsed(self) -> float:
        return self.clock.monotonic() - self.started

    def left(self) -> float | None:
        """Seconds to the deadline (never below 0), None without one."""
        return None if self.deadline is None else max(0.0, self.deadline - self.clock.monotonic())

    def check_cancel(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled

    def next_delay(self) -> float | None:
        """The next pause, fitted to the deadline; None when the loop is over."""
        if self.tries is not None and self.pauses + 1 >= self.tries:
            return None
        if self.delays is not None:
            delay = self.delays[min(self.pauses, len(self.delays) - 1)]
        else:
            delay = delay_at(self.pauses, self.first, self.cap, self.factor)
        if self.deadline is not None:
            left = self.deadline - self.clock.monotonic()
            if left <= 0 or (not self.last_look and delay > left):
                return None
            delay = min(delay, left)
        return delay

    # -- errors of a probe ----------------------------------------------------------------------------------

    def answered(self) -> None:
        """A probe got an answer: a run of transient errors is over."""
        self.failing_since = None

    def failed(self, exc: BaseException) -> None:
        """A probe failed: return when ``exc`` is transient and within the budget, else raise it."""
        if not self.transient(exc):
            raise exc
        now = self.clock.monotonic()
        if self.failing_since is None:
            self.failing_since = now
        if self.transient_for is not None and now - self.failing_since >= self.transient_for:
            raise exc

    # -- pauses -------------------------------------------------------------------------------------------

    def next_try(self) -> bool:
        """For ``while poll.next_try():`` loops: True at once the first time, then after each pause; False when
        the loop is over."""
        self.tries_made += 1
        return self.tries_made == 1 or self.pause()

    async def anext_try(self) -> bool:
        self.tries_made += 1
        return self.tries_made == 1 or await self.apause()

    def pause(self) -> bool:
        """Sleep the next delay (in ``CANCEL_CHECK`` slices when cancellable); False when the loop is over."""
        self.check_cancel()
        delay = self.next_delay()
        if delay is None:
            return False
        self.pauses += 1
        if self.cancelled is None:
            if delay > 0:
                self.clock.sleep(delay)
            return True
        end = self.clock.monotonic() + delay
        while (left := end - self.clock.monotonic()) > 0:
            self.clock.sleep(min(left, CANCEL_CHECK))
            self.check_cancel()
        return True

    async def apause(self) -> bool:
        """``pause`` for async code (``Clock.asleep``)."""
        self.check_cancel()
        delay = self.next_delay()
        if delay is None:
            return False
        self.pauses += 1
        if self.cancelled is None:
            if delay > 0:
                await self.clock.asleep(delay)
            return True
        end = self.clock.monotonic() + delay
        while (left := end - self.clock.monotonic()) > 0:
            await self.clock.asleep(min(left, CANCEL_CHECK))
            self.check_cancel()
        return True


def poll_until(probe: Callable[[], T | None], poll: Poll) -> T | None:
    """Call ``probe`` until it answers something other than None (returned), pausing between tries; None when
    the time is up. Raises :class:`Cancelled`, a non-transient error of the probe, or a transient one that
    outlasted ``transient_for``."""
    while True:
        poll.check_cancel()
        try:
            result = probe()
        except Exception as exc:
            poll.failed(exc)
            result = None
        else:
            poll.answered()
        if result is not None:
            return result
        if not poll.pause():
            return None


async def apoll_until(probe: Callable[[], Awaitable[T | None]], poll: Poll) -> T | None:
    """``poll_until`` for an async probe."""
    while True:
        poll.check_cancel()
        try:
            result = await probe()
        except Exception as exc:
            poll.failed(exc)
            result = None
        else:
            poll.answered()
        if result is not None:
            return result
        if not await poll.apause():
            return None
