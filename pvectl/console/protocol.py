"""PVE's terminal protocol, as spoken over ``/nodes/{node}/qemu/{vmid}/vncwebsocket`` (no IO here).

Sources: proxmox/pve-xtermjs ``termproxy/src/main.rs`` (the server: ``read_ticket_line``, ``process_queue``,
message types 0 data, 1 resize, 2 ping) and ``xterm.js/src/main.js`` (the web GUI's client).

- The client's first message is ``USER:TICKET\\n``: USER is the ``user`` the termproxy call answered (the
  ticket is bound to it), TICKET its ``ticket``. termproxy checks them with ``POST /access/ticket`` (username,
  password=ticket, path=/vms/ID, privs=VM.Console) and answers ``OK``; on failure it closes the connection.
- Then, from the client: ``0:LEN:DATA`` (LEN counts the bytes of DATA), ``1:COLS:ROWS:`` (window size) and
  ``2`` (keep-alive, every 30 s in main.js). From the server: the terminal's raw output bytes.
- termproxy reads the client's messages as one byte stream (pveproxy strips the websocket framing and
  writes the payloads to termproxy's TCP socket), so a message may span websocket frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

OK = b"OK"
PING = b"2"
KEEPALIVE_SECONDS = 30.0  # xterm.js main.js: setInterval(... socket.send("2") ..., 30*1000)
# pve-http-server's websocket_proxy refuses frames above 128 KiB (64 KiB in older releases); input is sent
# in pieces well below that
MAX_INPUT = 4096


def auth_line(user: str, ticket: str) -> bytes:
    """The first message: ``USER:TICKET\\n`` (termproxy splits at the first ':'; the ticket has more)."""
    if ":" in user or "\n" in user or "\n" in ticket:
        raise ValueError(f"cannot send user {user!r} in a termproxy login line")
    return f"{user}:{ticket}\n".encode()


def data(payload: bytes) -> Iterator[bytes]:
    """Input for the terminal, as ``0:LEN:DATA`` messages of at most MAX_INPUT bytes of DATA each."""
    for start in range(0, len(payload), MAX_INPUT):
        piece = payload[start : start + MAX_INPUT]
        yield b"0:%d:%s" % (len(piece), piece)


def resize(cols: int, rows: int) -> bytes:
    return b"1:%d:%d:" % (cols, rows)


@dataclass(frozen=True)
class Input:
    data: bytes


@dataclass(frozen=True)
class Resize:
    cols: int
    rows: int


@dataclass(frozen=True)
class Ping:
    pass


Message = Input | Resize | Ping


class Reader:
    """The server's side: the client's byte stream in, messages out, whatever the pieces it arrives in.

    Like termproxy, an unknown message type byte is skipped and a number is at most 20 digits.
    """

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes) -> list[Message]:
        self._buf += chunk
        out: list[Message] = []
        while True:
            message = self._next()
            if message is None:
                return out
            out.append(message)

    def _number(self, start: int) -> tuple[int, int] | None:
        """(value, index after its ':') of the number at ``start``, or None while incomplete."""
        end = self._buf.find(b":", start)
        if end < 0:
            if len(self._buf) - start > 20:
                raise ValueError("terminal protocol: number too long")
            return None
        digits = self._buf[start:end]
        if not digits.isdigit():
            raise ValueError(f"terminal protocol: bad number {digits[:20]!r}")
        return int(digits), end + 1

    def _next(self) -> Message | None:
        buf = self._buf
        if not buf:
            return None
        kind = buf[:1]
        if kind == b"2":
            self._buf = buf[1:]
            return Ping()
        if kind not in (b"0", b"1"):
            self._buf = buf[1:]  # termproxy ignores what it does not know
            return self._next()
        if len(buf) < 2:
            return None
        if buf[1:2] != b":":
            raise ValueError("terminal protocol: ':' expected after the message type")
        first = self._number(2)
        if first is None:
            return None
        if kind == b"1":
            second = self._number(first[1])
            if second is None:
                return None
            self._buf = buf[second[1] :]
            return Resize(first[0], second[0])
        length, start = first
        if len(buf) < start + length:
            return None
        self._buf = buf[start + length :]
        return Input(buf[start : start + length])
