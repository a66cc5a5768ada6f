"""End to end in a real pseudo-terminal: ``pvectl --sim vm create -i`` in a fresh process, answering each
question when it appears on the screen, then ``pvectl --sim vm list`` shows the new VM."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.cli._subproc import ROOT, pvectl
from tests.prompts.keys import CLEAR, ENTER

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][A-Z0-9]|[=>])")
WAIT = 30.0  # seconds for any one screen to appear: generous, only a hang reaches it


class Terminal:
    """A process on a pseudo-terminal, with expect-style reading of what it draws."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        self.proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, start_new_session=True
        )
        os.close(slave)
        self.fd = master
        self.screen = ""
        self.seen = 0

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the process closed the terminal
            return False
        if not data:
            return False
        for _ in range(data.count(b"\x1b[6n")):  # answer cursor position requests, as a terminal does
            self.send("\x1b[1;1R")
        self.screen += ANSI.sub("", data.decode("utf-8", "replace"))
        return True

    def expect(self, text: str) -> None:
        """Wait until ``text`` is drawn (after what was already matched)."""
        deadline = time.monotonic() + WAIT
        while True:
            found = self.screen.find(text, self.seen)
            if found >= 0:
                self.seen = found + len(text)
                return
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(f"{text!r} did not appear; the screen ends with:\n{self.screen[-1500:]}")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def answer(self, question: str, keys: str = ENTER) -> None:
        self.expect(f"? {question}")
        self.send(keys)

    def finish(self) -> int:
        """Wait for the process to end (reading what it draws meanwhile); its exit status."""
        deadline = time.monotonic() + WAIT
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError(f"pvectl did not finish; the screen ends with:\n{self.screen[-1500:]}")
        while select.select([self.fd], [], [], 0.1)[0] and self._read(0):
            pass  # the last lines
        os.close(self.fd)
        return self.proc.returncode


def answer_all(term: Terminal, name: str) -> None:
    """Every question up to the plan, with the defaults except a name and memory 3072 (8 refused first)."""
    term.answer("Node")
    term.answer("VM ID")
    term.answer("Name", name + ENTER)
    for question in ("Resource pool", "Tags", "New tags", "Add to HA", "Start after creation"):
        term.answer(question)
    term.answer("Customise advanced General options?")
    for question in ("Media", "ISO storage", "ISO image", "Guest OS"):
        term.answer(question)
    for question in ("Machine", "BIOS", "EFI disk", "EFI storage", "Secure Boot keys", "SCSI controller"):
        term.answer(question)
    for question in ("QEMU agent", "TPM", "Serial console"):
        term.answer(question)
    for question in ("Bus", "Storage", "Size (GiB)", "Format", "IO thread", "SSD emulation", "Backup", "Async IO"):
        term.answer(question)
    term.answer("Customise advanced options of scsi0?")
    term.answer("Add another disk?")
    for question in ("Sockets", "Cores", "CPU type", "Customise advanced CPU options?"):
        term.answer(question)
    term.answer("Memory (MiB)", CLEAR + "8" + ENTER)
    term.expect("must be at least 16 MiB, got 8")  # the rule, shown while typing
    term.send(CLEAR + "3072" + ENTER)
    term.answer("Customise advanced Memory options?")
    for question in ("Network device", "Bridge", "Model", "Firewall", "Customise advanced Network options?",
                     "Add another network device?"):  # fmt: skip
        term.answer(question)
    term.answer("Configure cloud-init?")  # the optional step: Enter = no
    term.answer("Review: change a step, or go on")
    term.expect("Plan for VM")  # the summary: the --dry-run text


def test_create_in_a_real_terminal(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PVECTL_")},
        "TERM": "xterm-256color",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    term = Terminal([sys.executable, "-m", "pvectl", "--sim", "vm", "create", "-i"], env)
    try:
        answer_all(term, "term1")
        term.answer("Create VM")
        code = term.finish()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert code == 0, term.screen[-2000:]
    assert re.search(r"VM \d+ created on pve1", term.screen)
    assert "Traceback" not in term.screen
    listed = pvectl("--sim", "-o", "json", "vm", "list", env={k: env[k] for k in ("XDG_STATE_HOME", "XDG_CONFIG_HOME")})
    assert listed.code == 0, listed.stderr
    vm = next(v for v in json.loads(listed.stdout) if v["name"] == "term1")
    assert vm["node"] == "pve1"


def test_ctrl_c_during_a_slow_create_prints_the_outcome_so_far(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PVECTL_")},
        "TERM": "xterm-256color",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PVECTL_SIM_FAULTS": "task-slow:seconds=60,type=qmcreate",
    }
    term = Terminal([sys.executable, "-m", "pvectl", "--sim", "vm", "create", "-i"], env)
    try:
        answer_all(term, "slow1")
        term.answer("Create VM")
        term.expect("create VM")  # the progress line of the create request
        time.sleep(2)  # the create task runs (60 s)
        # ^C on a terminal is SIGINT to the foreground process (this pty is not its controlling terminal)
        term.proc.send_signal(signal.SIGINT)
        code = term.finish()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert code == 130, term.screen[-2000:]
    # the submitter's "interrupted" outcome, as the flags print it: what exists, the UPID, the remedies
    assert re.search(r"interrupted: VM \d+ is being created on pve1", term.screen)
    assert "pvectl task wait 'UPID:" in term.screen
    assert re.search(r"pvectl vm serial-console enable \d+", term.screen)
    assert "Traceback" not in term.screen
