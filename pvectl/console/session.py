"""The attached console: our input to the VM's serial port, its output to us, until one side ends it.

A thread receives the websocket's messages and writes them to our output; the calling thread waits (select)
on our input and a wake-up pipe (the receiver ending, SIGWINCH), sends input as ``0:LEN:DATA``, the window
size as ``1:COLS:ROWS:`` and the keep-alive ``2`` every 30 s. It ends when:

- the detach key is typed (terminal only; Ctrl-] by default, like telnet): ``detached``;
- the server closes the connection (the VM stopped, termproxy ended): ``closed``;
- our input ends (a pipe) and no output came for QUIET_AFTER_EOF seconds: ``input-ended``;
- SIGTERM, SIGHUP or SIGINT arrives (:meth:`Session.signal`): ``terminated`` (``terminated_by`` says which).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pvectl.console import protocol

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

DETACH_KEY = b"\x1d"  # Ctrl-]
DETACH_NAME = "Ctrl-]"
QUIET_AFTER_EOF = 1.0  # like `nc -q`: after our input ends, the last answers still get a second to arrive
READ_SIZE = 4096

Size = Callable[[], "tuple[int, int] | None"]


class Session:
    def __init__(
        self,
        ws: ClientConnection,
        *,
        stdin_fd: int,
        stdout_fd: int,
        detach_key: bytes | None = DETACH_KEY,
        size: Size | None = None,
        keepalive: float = protocol.KEEPALIVE_SECONDS,
    ) -> None:
        self.ws = ws
        self.stdin_fd, self.stdout_fd = stdin_fd, stdout_fd
        self.detach_key = detach_key
        self.size = size
        self.keepalive = keepalive
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self._closed = threading.Event()
        self._last_output = time.monotonic()
        self._receiver: threading.Thread | None = None
        self._done = False
        self.terminated_by: int | None = None

    # -- the receiving thread ------------------------------------------------------------------------------

    def _receive(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            for message in self.ws:
                self._write(message if isinstance(message, bytes) else message.encode())
        except (ConnectionClosed, OSError):
            pass  # PVE closes without a close frame when the terminal ends: that is the normal end
        finally:
            self._closed.set()
            self._wake(b"c")

    def _write(self, data: bytes) -> None:
        self._last_output = time.monotonic()
        view = memoryview(data)
        while view:
            written = os.write(self.stdout_fd, view)
            view = view[written:]

    def _wake(self, token: bytes) -> None:
        with contextlib.suppress(OSError):  # full (a wake-up is pending) or already closed
            os.write(self.wake_w, token)

    # -- the calling thread --------------------------------------------------------------------------------

    def signal(self, signum: int) -> None:
        """From a signal handler: SIGWINCH sends the window size, any other signal ends the session."""
        if signum != signal.SIGWINCH:
            self.terminated_by = signum
        self._wake(b"w" if signum == signal.SIGWINCH else b"t")

    def _send(self, message: bytes) -> bool:
        from websockets.exceptions import ConnectionClosed

        try:
            self.ws.send(message)
        except (ConnectionClosed, OSError):
            return False
        return True

    def send_size(self) -> bool:
        size = self.size() if self.size is not None else None
        return True if size is None else self._send(protocol.resize(*size))

    def _input(self, data: bytes) -> str | None:
        """Send typed input; the end reason when it holds the detach key or the connection is gone."""
        cut = data.find(self.detach_key) if self.detach_key else -1
        payload = data if cut < 0 else data[:cut]
        if payload and not all(self._send(m) for m in protocol.data(payload)):
            return "closed"
        return "detached" if cut >= 0 else None

    def run(self, first_output: bytes = b"") -> str:
        """Pump until the session ends; returns detached, closed, input-ended or terminated."""
        if first_output:
            self._write(first_output)
        self._receiver = threading.Thread(target=self._receive, name="pvectl-console", daemon=True)
        self._receiver.start()
        if not self.send_size():
            return "closed"
        next_ping = time.monotonic() + self.keepalive
        input_ended = False
        while not self._closed.is_set():
            now = time.monotonic()
            timeout = next_ping - now
            if input_ended:
                quiet = now - self._last_output
                if quiet >= QUIET_AFTER_EOF:
                    return "input-ended"
                timeout = min(timeout, QUIET_AFTER_EOF - quiet)
            watched = [self.wake_r] if input_ended else [self.wake_r, self.stdin_fd]
            ready, _, _ = select.select(watched, [], [], max(timeout, 0.0))
            if self.terminated_by is not None:
                return "terminated"
            if self.wake_r in ready and b"w" in os.read(self.wake_r, 64) and not self.send_size():
                return "closed"
            if self.stdin_fd in ready:
                data = os.read(self.stdin_fd, READ_SIZE)
                if not data:
                    input_ended, self._last_output = True, time.monotonic()
                    continue
                end = self._input(data)
                if end is not None:
                    return end
            if time.monotonic() >= next_ping:
                if not self._send(protocol.PING):
                    return "closed"
                next_ping = time.monotonic() + self.keepalive
        return "closed"

    def close(self) -> None:
        """Close the websocket (a close frame when it is still open), stop the receiver, free the pipe.

        Safe to call more than once (the pipe's descriptors are closed once: their numbers get reused)."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            self.ws.close()
        if self._receiver is not None:
            self._receiver.join(timeout=5)
        for fd in (self.wake_r, self.wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
