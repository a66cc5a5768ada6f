"""Our end of the console: raw mode on a terminal, restored on every way out, and the signals that matter.

In raw mode every key (Ctrl-C, Ctrl-Z, Ctrl-D included) goes to the VM; only the detach key stays with us.
SIGTERM and SIGHUP raise :class:`Terminated`, so the ``finally`` that restores the terminal runs for them as
it does for detach, the server closing and errors; SIGWINCH wakes the session to send the new size.
"""

from __future__ import annotations

import contextlib
import os
import signal
import termios
import threading
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(Exception):
    """A SIGTERM or SIGHUP arrived while attached; the exit code is 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = signum


@contextmanager
def raw_mode(fd: int) -> Iterator[None]:
    """The terminal on ``fd`` in raw mode for the block, and as it was before afterwards, whatever happens."""
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def window_size(fd: int) -> tuple[int, int] | None:
    """(columns, rows) of the terminal on ``fd``, or None when it is none."""
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return size.columns, size.lines


@contextmanager
def signals(wake_fd: int) -> Iterator[None]:
    """SIGWINCH writes ``w`` to ``wake_fd``; SIGTERM and SIGHUP raise Terminated. Main thread only (Python's
    rule for handlers); elsewhere nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_winch(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):  # the pipe is full: a wake-up is already pending
            os.write(wake_fd, b"w")

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    wanted = {signal.SIGWINCH: on_winch, signal.SIGTERM: on_term, signal.SIGHUP: on_term}
    previous = {sig: signal.signal(sig, handler) for sig, handler in wanted.items()}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
