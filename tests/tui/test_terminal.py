"""End to end in a real pseudo-terminal: ``pvectl --sim vm create --tui`` in a fresh process, driven by keys
(Enter = next, Ctrl-S = create, Esc = close), then ``pvectl --sim vm list`` shows the new VM; Ctrl-C asks
before quitting and exits 130 with nothing sent."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from tests.cli._subproc import pvectl
from tests.prompts.test_e2e_terminal import Terminal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

ENTER, ESC, CTRL_C, CTRL_S = "\r", "\x1b", "\x03", "\x13"


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PVECTL_")},
        "TERM": "xterm-256color",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }


def _run(term: Terminal) -> int:
    try:
        return term.finish()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()


def test_create_with_the_wizard_in_a_real_terminal(tmp_path: Path) -> None:
    env = _env(tmp_path)
    term = Terminal([sys.executable, "-m", "pvectl", "--sim", "vm", "create", "--tui", "--name", "tui1"], env)
    try:
        term.expect("next free:")  # General, with the next free id loaded
        signs = ("latest NixOS minimal", "SCSI controller", "Disk 1: scsi0", "CPU type", "Memory (MiB)", "Firewall",
                 "Cloud-Init (optional)")  # fmt: skip
        for sign in signs:  # each step's screen, with its server data loaded
            term.send(ENTER)
            term.expect(sign)
        term.send(ENTER)
        term.expect("Ready")
        term.send(CTRL_S)
        term.expect("Success")
        term.send(ESC)
    finally:
        code = _run(term)
    assert code == 0, term.screen[-2000:]
    assert re.search(r"VM \d+ created on pve1", term.screen)
    assert "Traceback" not in term.screen
    listed = pvectl("--sim", "-o", "json", "vm", "list", env={k: env[k] for k in ("XDG_STATE_HOME", "XDG_CONFIG_HOME")})
    assert listed.code == 0, listed.stderr
    vm = next(v for v in json.loads(listed.stdout) if v["name"] == "tui1")
    assert vm["node"] == "pve1"


def test_ctrl_c_asks_and_quits_with_130(tmp_path: Path) -> None:
    term = Terminal([sys.executable, "-m", "pvectl", "--sim", "vm", "create", "--tui"], _env(tmp_path))
    try:
        term.expect("next free:")
        term.send(CTRL_C)
        term.expect("nothing was sent")
        term.send("y")
    finally:
        code = _run(term)
    assert code == 130, term.screen[-2000:]
    assert "Traceback" not in term.screen


def test_quit_during_a_slow_create_detaches_and_prints_the_outcome_so_far(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "PVECTL_SIM_FAULTS": "task-slow:seconds=60,type=qmcreate"}
    term = Terminal([sys.executable, "-m", "pvectl", "--sim", "vm", "create", "--tui", "--name", "slow1"], env)
    try:
        term.expect("next free:")
        for sign in (
            "latest NixOS minimal",
            "SCSI controller",
            "Disk 1: scsi0",
            "CPU type",
            "Memory (MiB)",
            "Firewall",
            "Cloud-Init (optional)",
        ):
            term.send(ENTER)
            term.expect(sign)
        term.send(ENTER)
        term.expect("Ready")
        term.send(CTRL_S)
        term.expect("running")
        term.send(CTRL_C)
        term.expect("Wait (w)")
        term.send("d")
    finally:
        code = _run(term)
    assert code == 130, term.screen[-2000:]
    # the submitter's "interrupted" outcome, as the flags print it: what exists, the UPID, the remedies
    # Ctrl-C may land while the create request is still in flight (no UPID yet: the remedy is to look at the VM)
    # or while its task runs (the UPID and how to follow it); both are the truthful outcome of that moment
    assert re.search(r"interrupted: VM \d+ is being created on pve1", term.screen), term.screen[-1500:]
    # the remedies name the simulator, so that they reach the same server when copied
    assert "pvectl --sim task wait 'UPID:" in term.screen or re.search(r"pvectl --sim vm show \d+", term.screen)
    assert re.search(r"pvectl --sim vm serial-console enable \d+", term.screen)
    assert "Traceback" not in term.screen
