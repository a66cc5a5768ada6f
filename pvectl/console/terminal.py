"""Our end of the console: raw mode on a terminal, restored on every way out, and the signals that matter.

In raw mode every key (Ctrl-C, Ctrl-Z, Ctrl-D included) goes to the VM; only the detach key stays with us.
SIGTERM, SIGHUP and SIGINT end the session and SIGWINCH sends the new size: their handlers only tell the
session (which wakes up and returns), so a signal never lands as an exception inside the websocket library
(which would take it for a broken connection) and the terminal is restored on the way out like on any other.
"""

from __future__ import annotations

import os
import signal
import termios
import threading
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


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
def signals(notify: Callable[[int], None]) -> Iterator[None]:
    """``notify(signum)`` for SIGWINCH, SIGTERM, SIGHUP and SIGINT during the block, the previous handlers
    afterwards. Main thread only (Python's rule for handlers); elsewhere nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        notify(signum)

    wanted = (signal.SIGWINCH, signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    previous = {sig: signal.signal(sig, handler) for sig in wanted}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
