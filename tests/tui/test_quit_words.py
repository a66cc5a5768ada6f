"""Leaving the TUI prints what ``-i`` prints (issue 29): a real pseudo-terminal, a fresh process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.prompts.test_e2e_terminal import Terminal
from tests.tui.test_terminal import CTRL_C, _env, _run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


def test_ctrl_c_then_yes_says_nothing_was_sent(tmp_path: Path) -> None:
    term = Terminal([sys.executable, "-m", "pvectl", "--sim", "vm", "create", "--tui"], _env(tmp_path))
    try:
        term.expect("next free:")
        term.send(CTRL_C)
        term.expect("Quit (y)")
        term.send("y")
    finally:
        code = _run(term)
    assert code == 130, term.screen[-2000:]
    tail = term.screen[-300:]
    assert "interrupted: nothing was sent" in tail
    assert "error:" not in tail and "Traceback" not in term.screen
