"""``pvectl ct console`` in fresh processes with stdin a pipe (the container's termproxy over vncwebsocket)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.console.test_pty import ROOT
from tests.faults.concurrent import base_env


def run(env: dict[str, str], *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pvectl", *args], input=stdin, env=env, cwd=ROOT, capture_output=True, timeout=60
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return base_env(tmp_path_factory.mktemp("ct-console"))


def test_piped_session_into_a_running_container(env: dict[str, str]) -> None:
    done = run(env, "-vv", "--sim", "ct", "console", "ns1", stdin=b"root\nhunter2\nhostname\nexit\n")
    assert done.returncode == 0, done.stderr
    assert b"root@ns1:~# hostname\r\nns1\r\n" in done.stdout
    assert b"hunter2" not in done.stdout
    assert b"/lxc/110/termproxy" in done.stderr and b"/lxc/110/vncwebsocket?port=59" in done.stderr
    assert b"PVEVNC:" not in done.stderr  # the ticket never shows


def test_a_stopped_container_gets_the_start_command(env: dict[str, str]) -> None:
    done = run(env, "--sim", "ct", "console", "cache1")
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "error: CT 111 is not running; start it first",
        "  remedy: pvectl ct start 111",
    ]


def test_a_vm_is_not_a_container(env: dict[str, str]) -> None:
    done = run(env, "--sim", "ct", "console", "dns1")
    assert done.returncode == 4 and b"no CT named 'dns1'" in done.stderr, done.stderr
