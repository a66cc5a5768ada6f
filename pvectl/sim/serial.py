"""A VM's serial console as the simulator plays it: a getty login prompt, then a tiny shell.

It behaves like a terminal in cooked mode with echo: typed characters come back, Backspace erases, Enter
ends the line, Ctrl-C drops it; the password is not echoed (any password logs in). The shell knows
``echo``, ``hostname``, ``whoami``, ``tty``, ``stty size`` (the size of the last resize message) and
``exit``/``logout``, which end the session: unlike a real getty, which would prompt again, the simulator
closes the console then, so that clients can be tested against a server that closes.
"""

from __future__ import annotations

ERASE = (b"\x7f", b"\x08")
INTERRUPT = b"\x03"
EOF_KEY = b"\x04"


class FakeSerial:
    def __init__(self, hostname: str, tty: str = "ttyS0") -> None:
        self.hostname = hostname
        self.tty = tty
        self.cols, self.rows = 80, 20  # termproxy's pty starts at 80x20 (run_pty: pty.set_size(80, 20))
        self.user: str | None = None
        self.logged_in = False
        self.closed = False
        self._line = b""

    def banner(self) -> bytes:
        return f"\r\nDebian GNU/Linux 12 {self.hostname} {self.tty}\r\n\r\n".encode() + self._prompt()

    def resize(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows

    def _prompt(self) -> bytes:
        if self.logged_in:
            return f"{self.user}@{self.hostname}:~# ".encode()
        return b"Password: " if self.user is not None else f"{self.hostname} login: ".encode()

    def feed(self, data: bytes) -> bytes:
        """Input typed at the console -> what the console prints back."""
        out = b""
        for i in range(len(data)):
            if self.closed:
                break
            out += self._key(data[i : i + 1])
        return out

    def _key(self, key: bytes) -> bytes:
        echo = self.logged_in or self.user is None  # no echo while the password is typed
        if key in (b"\r", b"\n"):
            line, self._line = self._line.decode(errors="replace"), b""
            return b"\r\n" + self._enter(line)
        if key in ERASE:
            if not self._line:
                return b""
            self._line = self._line[:-1]
            return b"\b \b" if echo else b""
        if key == INTERRUPT:
            self._line = b""
            return b"^C\r\n" + self._prompt()
        if key == EOF_KEY and not self._line and self.logged_in:
            return self._enter("logout")
        self._line += key
        return key if echo and key >= b" " else b""

    def _enter(self, line: str) -> bytes:
        if not self.logged_in:
            if self.user is None:
                self.user = line.strip() or None
            else:
                self.logged_in = True
                return f"Last login: never on {self.tty}\r\n".encode() + self._prompt()
            return self._prompt()
        words = line.split()
        if words and words[0] in ("exit", "logout"):
            self.closed = True
            return b"logout\r\n"
        return self._run(words) + self._prompt()

    def _run(self, words: list[str]) -> bytes:
        if not words:
            return b""
        name, args = words[0], words[1:]
        answers = {
            "echo": " ".join(args),
            "hostname": self.hostname,
            "whoami": self.user or "",
            "tty": f"/dev/{self.tty}",
        }
        if name in answers:
            return answers[name].encode() + b"\r\n"
        if words == ["stty", "size"]:
            return f"{self.rows} {self.cols}\r\n".encode()
        return f"-bash: {name}: command not found\r\n".encode()
