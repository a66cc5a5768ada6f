"""``pvectl --sim vm console`` on a real terminal (a pty): raw mode while attached, the terminal's settings
restored however the session ends (detach key, server closing, SIGTERM, SIGHUP, an exception)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console.wire import read_fd_until
from tests.faults.concurrent import base_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = base_env(tmp_path_factory.mktemp("console-pty"))
    for verb in ("serial-console enable", "reboot"):  # a new serial port goes live at the next start
        command = [sys.executable, "-m", "pvectl", "--sim", "vm", *verb.split(), "100"]
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    return env


class Terminal:
    """pvectl attached to a pty; ``master`` is our keyboard and screen."""

    def __init__(self, env: dict[str, str]) -> None:
        self.master, self.slave = pty.openpty()
        self.before = termios.tcgetattr(self.slave)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pvectl", "--sim", "vm", "console", "100"],
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        self.seen = b""

    def read_until(self, marker: bytes) -> bytes:
        self.seen = read_fd_until(self.master, marker, self.seen, timeout=30.0)
        return self.seen

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def attrs(self) -> list[object]:
        return termios.tcgetattr(self.slave)

    def wait(self) -> int:
        code = self.proc.wait(timeout=30)
        while select.select([self.master], [], [], 0.2)[0]:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def term(env: dict[str, str]) -> Iterator[Terminal]:
    t = Terminal(env)
    yield t
    t.close()


def _attached(term: Terminal) -> None:
    """Wait for the login prompt; by then the terminal must be raw (no echo, no line editing, no signals)."""
    term.read_until(b"login: ")
    assert b"detach with Ctrl-]" in term.seen
    lflag = term.attrs()[3]
    assert isinstance(lflag, int)
    assert not lflag & (termios.ECHO | termios.ICANON | termios.ISIG)


def test_detach_key_restores_the_terminal(term: Terminal) -> None:
    _attached(term)
    term.type(b"\x03")  # Ctrl-C goes to the VM in raw mode, pvectl stays attached
    term.read_until(b"^C\r\n")
    assert term.proc.poll() is None
    term.type(b"\x1d")
    assert term.wait() == 0
    assert b"Detached from VM 100 (dns1)." in term.seen
    assert term.attrs() == term.before


def test_server_closing_restores_the_terminal(term: Terminal) -> None:
    _attached(term)
    term.type(b"root\r")
    term.read_until(b"Password: ")
    term.type(b"pw\r")
    term.read_until(b"# ")
    term.type(b"exit\r")
    assert term.wait() == 0
    assert b"closed by the server" in term.seen
    assert term.attrs() == term.before


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_signals_restore_the_terminal(term: Terminal, signum: int, code: int) -> None:
    # SIGINT (not a key in raw mode) raises KeyboardInterrupt: the exception path
    _attached(term)
    os.kill(term.proc.pid, signum)
    assert term.wait() == code, term.seen
    assert term.attrs() == term.before
    assert b"Traceback" not in term.seen
