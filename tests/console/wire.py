"""Helpers for talking to the simulator's console websocket through pvectl.console.connect."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pvectl.console.connect import Ticket, login, open_ticket, open_websocket

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

    from pvectl.sdk import ProxmoxClient

NODE = "pve1"


@contextmanager
def attach(client: ProxmoxClient, vmid: int = 100) -> Iterator[tuple[ClientConnection, Ticket, bytes]]:
    """A logged-in console websocket (closed at the end of the block)."""
    ticket = open_ticket(client, NODE, vmid, "serial0")
    with open_websocket(client, NODE, vmid, ticket) as ws:
        yield ws, ticket, login(ws, ticket, vmid)


def read_until(ws: ClientConnection, marker: bytes, seen: bytes = b"", timeout: float = 10.0) -> bytes:
    """Output until ``marker`` shows (AssertionError with what came, after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{marker!r} never came; got {seen!r}"
        try:
            message = ws.recv(timeout=left)
        except TimeoutError:
            continue
        seen += message if isinstance(message, bytes) else message.encode()
    return seen


def read_fd_until(fd: int, marker: bytes, seen: bytes = b"", timeout: float = 10.0) -> bytes:
    """What ``fd`` (a pipe, a pty) gives until ``marker`` shows, or until it ends; AssertionError after
    ``timeout``."""
    import os
    import select

    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{marker!r} never came; got {seen!r}"
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # a pty whose other side is gone
                chunk = b""
            if not chunk:
                break
            seen += chunk
    return seen


def log_in(ws: ClientConnection, first: bytes) -> bytes:
    """Type a user and a password; the output up to the shell prompt."""
    from pvectl.console import protocol

    read_until(ws, b"login: ", first)
    ws.send(next(protocol.data(b"root\r")))
    read_until(ws, b"Password: ")
    ws.send(next(protocol.data(b"hunter2\r")))
    return read_until(ws, b"# ")
