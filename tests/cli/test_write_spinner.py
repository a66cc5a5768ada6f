"""A single write waits with the task spinner on a terminal's stderr (as `task wait` does): nothing when stderr is
not a terminal, never on stdout (`-o json` stays parseable), server text in it shown escaped."""

from __future__ import annotations

import functools
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pvectl.cli import tasks
from pvectl.sdk import ProxmoxClient
from tests.cli.conftest import UPID, MockPve
from tests.conftest import TOKEN, FakeClock
from tests.support.simcli import SimCli

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "\x1b]0;owned\x07\x1b[2Jcopying\r"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _on(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO) -> None:
    """The single-write path's spinner writes to ``stream`` (in-process, stderr is the test runner's)."""
    monkeypatch.setattr(tasks, "TaskSpinner", functools.partial(tasks.TaskSpinner, stream=stream))


def test_a_single_write_shows_the_task_spinner_on_a_terminal(cli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    _on(monkeypatch, terminal)
    run = cli("vm", "start", "102", "-o", "json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["outcome"] == "done"  # stdout: the outcome object only
    assert "waiting for task qmstart 102 on pve2" in terminal.getvalue()


def test_no_spinner_when_stderr_is_not_a_terminal(cli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    piped = io.StringIO()
    _on(monkeypatch, piped)
    run = cli("vm", "start", "102")
    assert run.code == 0, run.stderr
    assert piped.getvalue() == ""
    assert "waiting for task" not in run.stderr + run.stdout


def test_the_spinner_escapes_the_task_log_it_shows() -> None:
    mock = MockPve()
    mock.routes[f"GET /nodes/pve1/tasks/{UPID}/log"] = [{"n": 1, "t": HOSTILE}]
    client = ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3", clock=FakeClock(),
                           transport=httpx.MockTransport(mock.handle))  # fmt: skip
    terminal = Terminal()
    spinner = tasks.TaskSpinner(client, stream=terminal)
    spinner.on_state("task", UPID)
    spinner.progress({"status": "running"})
    spinner.stop()
    shown = terminal.getvalue()
    assert "copying" in shown
    assert "\\x1b]0;owned\\x07\\x1b[2Jcopying" in shown
    for raw in ("\x1b]0;", "\x07", "\x1b[2J"):
        assert raw not in shown


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_on_a_real_terminal_the_spinner_goes_to_stderr_only(tmp_path: Path) -> None:
    """`pvectl --sim vm start 102` with stderr on a pty: the spinner there, stdout (a pipe) the outcome alone."""
    env = {**os.environ, "PVECTL_SIM_STATE_DIR": str(tmp_path / "sim"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    for name in ("PVECTL_HOST", "PVECTL_TOKEN", "PVECTL_CONTEXT", "PVECTL_OUTPUT"):
        env.pop(name, None)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pvectl", "--sim", "vm", "start", "102", "-o", "json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, cwd=ROOT, env=env,
    )  # fmt: skip
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=60)
    os.close(leader)
    assert proc.returncode == 0, seen
    assert json.loads(out)["vmid"] == 102
    assert b"waiting for task qmstart 102 on pve2" in seen


def test_a_task_less_wait_shows_its_label_escaped_and_a_follow_up_step_ends_the_spinner() -> None:
    terminal = Terminal()
    spinner = tasks.TaskSpinner(None, stream=terminal)  # type: ignore[arg-type]  # no task: no client call
    spinner.on_state("waiter", "HA migrate of vm:100\x1b[2J to pve2")
    assert spinner._status is not None
    spinner.on_state("then", UPID)
    assert spinner._status is None
    shown = terminal.getvalue()
    assert "waiting for HA migrate of vm:100\\x1b[2J to pve2" in shown and "\x1b[2J" not in shown


def test_the_spinner_stays_off_without_a_terminal() -> None:
    piped = io.StringIO()
    spinner = tasks.TaskSpinner(None, stream=piped)  # type: ignore[arg-type]
    spinner.on_state("task", UPID)
    spinner.progress({"status": "running"})
    spinner.stop()
    assert piped.getvalue() == ""
