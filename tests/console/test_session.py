"""The attached session: detach key, server closing, end of piped input, window size, keep-alive."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pvectl.console import protocol
from pvectl.console.session import DETACH_KEY, Session
from pvectl.sdk import ProxmoxClient
from tests.console.wire import attach, read_fd_until


class Pipes:
    """stdin and stdout of a session as pipes; ``output`` reads what the session wrote."""

    def __init__(self) -> None:
        self.in_r, self.in_w = os.pipe()
        self.out_r, self.out_w = os.pipe()
        self.seen = b""

    def type(self, data: bytes) -> None:
        os.write(self.in_w, data)

    def end_input(self) -> None:
        os.close(self.in_w)
        self.in_w = -1

    def output(self, marker: bytes) -> bytes:
        self.seen = read_fd_until(self.out_r, marker, self.seen)
        return self.seen

    def close(self) -> None:
        for fd in (self.in_r, self.in_w, self.out_r, self.out_w):
            if fd >= 0:
                os.close(fd)


@pytest.fixture
def pipes() -> Iterator[Pipes]:
    p = Pipes()
    yield p
    p.close()


def _run(session: Session, first: bytes) -> tuple[threading.Thread, list[str]]:
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(session.run(first)), daemon=True)
    thread.start()
    return thread, result


def _ended(thread: threading.Thread, result: list[str]) -> str:
    thread.join(timeout=10)
    assert not thread.is_alive(), "the session did not end"
    return result[0]


def test_detach_key_ends_the_session_and_is_not_sent(client: ProxmoxClient, pipes: Pipes) -> None:
    with attach(client) as (ws, _, first):
        session = Session(ws, stdin_fd=pipes.in_r, stdout_fd=pipes.out_w, detach_key=DETACH_KEY)
        thread, result = _run(session, first)
        pipes.type(b"ro")
        pipes.output(b"login: ro")
        pipes.type(DETACH_KEY + b"ot\r")
        assert _ended(thread, result) == "detached"
        session.close()


def test_server_closing_ends_the_session(client: ProxmoxClient, pipes: Pipes) -> None:
    with attach(client) as (ws, _, first):
        session = Session(ws, stdin_fd=pipes.in_r, stdout_fd=pipes.out_w, detach_key=None)
        thread, result = _run(session, first)
        pipes.type(b"root\rpw\rexit\r")
        assert _ended(thread, result) == "closed"
        session.close()
    assert pipes.output(b"logout\r\n")


def test_end_of_piped_input_detaches_after_the_last_answers(client: ProxmoxClient, pipes: Pipes) -> None:
    with attach(client) as (ws, _, first):
        session = Session(ws, stdin_fd=pipes.in_r, stdout_fd=pipes.out_w, detach_key=None)
        thread, result = _run(session, first)
        pipes.type(b"root\r")
        pipes.output(b"Password: ")  # (a loaded machine may take longer than QUIET_AFTER_EOF to answer)
        pipes.end_input()
        assert _ended(thread, result) == "input-ended"
        session.close()


def test_window_size_is_sent_at_start_and_on_wake(client: ProxmoxClient, pipes: Pipes) -> None:
    size = [(100, 30)]
    with attach(client) as (ws, _, first):
        session = Session(ws, stdin_fd=pipes.in_r, stdout_fd=pipes.out_w, detach_key=DETACH_KEY, size=lambda: size[0])
        thread, result = _run(session, first)
        pipes.type(b"root\rpw\rstty size\r")
        pipes.output(b"\r\n30 100\r\n")
        size[0] = (120, 50)
        os.write(session.wake_w, b"w")  # what SIGWINCH's handler does
        time.sleep(0.2)
        pipes.type(b"stty size\r")
        pipes.output(b"\r\n50 120\r\n")
        pipes.type(DETACH_KEY)
        assert _ended(thread, result) == "detached"
        session.close()


class FakeWs:
    """Records what the session sends; its output ends when it is closed."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = threading.Event()

    def send(self, message: bytes) -> None:
        self.sent.append(message)

    def __iter__(self) -> Iterator[bytes]:
        self.closed.wait()
        return iter(())

    def close(self) -> None:
        self.closed.set()


def test_keepalive_and_input_framing(pipes: Pipes) -> None:
    ws = FakeWs()
    fake: Any = ws
    session = Session(fake, stdin_fd=pipes.in_r, stdout_fd=pipes.out_w, size=lambda: (80, 24), keepalive=0.05)
    thread, result = _run(session, b"")
    time.sleep(0.3)
    pipes.type(b"ab" + DETACH_KEY)
    assert _ended(thread, result) == "detached"
    session.close()
    assert ws.sent[0] == protocol.resize(80, 24)
    assert ws.sent.count(protocol.PING) >= 2
    assert ws.sent[-1] == b"0:2:ab"
    session.close()  # a second close is harmless


def test_a_signal_ends_the_session_from_its_loop(pipes: Pipes) -> None:
    ws = FakeWs()
    fake: Any = ws
    session = Session(fake, stdin_fd=pipes.in_r, stdout_fd=pipes.out_w)
    thread, result = _run(session, b"")
    time.sleep(0.1)
    session.signal(signal.SIGWINCH)
    session.signal(signal.SIGTERM)
    assert _ended(thread, result) == "terminated"
    assert session.terminated_by == signal.SIGTERM
    session.close()
