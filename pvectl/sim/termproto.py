"""termproxy's side of PVE's terminal protocol, as the simulator's console reads it (no IO here).

Written from proxmox/pve-xtermjs ``termproxy/src/main.rs``: ``read_ticket_line`` takes the first line,
``USER:TICKET``, split at the first ':'; then ``process_queue`` reads a byte stream (pveproxy forwards the
websocket payloads to termproxy's TCP socket without framing) of ``0:LEN:`` followed by LEN bytes for the
pty, ``1:COLS:ROWS:`` to resize it, and skips any other byte one at a time (the client's ``2`` keep-alive
among them). ``remove_number`` drops 20 bytes when no ':' comes within them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def split_login(line: bytes) -> tuple[str, str] | None:
    """``USER:TICKET`` -> (user, ticket); None without a ':' ("authentication data is invalid")."""
    user, colon, ticket = line.partition(b":")
    if not colon:
        return None
    return user.decode(errors="replace"), ticket.decode(errors="replace")


@dataclass
class Stream:
    """The client's bytes after the login line: ``keys`` for the pty, the newest ``size`` (cols, rows)."""

    queue: bytearray = field(default_factory=bytearray)
    data_left: int = 0  # bytes of a ``0:LEN:`` message still to pass through

    def push(self, chunk: bytes) -> tuple[bytes, list[tuple[int, int]]]:
        """Feed bytes; return what goes to the pty and the resizes, in order of arrival."""
        self.queue += chunk
        keys = bytearray()
        sizes: list[tuple[int, int]] = []
        while self.queue:
            if self.data_left:
                piece = self.queue[: self.data_left]
                del self.queue[: len(piece)]
                self.data_left -= len(piece)
                keys += piece
                continue
            if len(self.queue) < 2:
                break
            kind = self.queue[0]
            if kind == ord("0"):
                length = self._number(2)
                if length is None:
                    break
                self.data_left = length
            elif kind == ord("1"):
                cols_end = self.queue.find(b":", 2)
                rows_end = self.queue.find(b":", cols_end + 1) if cols_end >= 0 else -1
                if rows_end < 0:
                    break  # incomplete: wait for more
                cols, rows = self.queue[2:cols_end], self.queue[cols_end + 1 : rows_end]
                del self.queue[: rows_end + 1]
                if cols.isdigit() and rows.isdigit():
                    sizes.append((int(cols), int(rows)))
            else:
                del self.queue[:1]  # ping or garbage
        return bytes(keys), sizes

    def _number(self, start: int) -> int | None:
        end = self.queue.find(b":", start)
        if end < 0:
            if len(self.queue) - start > 20:
                del self.queue[:20]
            return None
        digits = bytes(self.queue[start:end])
        del self.queue[: end + 1]
        return int(digits) if digits.isdigit() else 0
