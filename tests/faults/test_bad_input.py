"""Every bad input: one line naming the flag, exit 2, and -- checked at the proxy -- no write sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pvectl.cli.app import app
from tests.faults.conftest import Faulty

CREATE = ("vm", "create", "--node", "pve1")
BAD = [
    (("-o", "xml", *CREATE), "-o/--output"),
    ((*CREATE, "--min-memory", "-1"), "--min-memory"),
    ((*CREATE, "--rate", "nan"), "--rate"),
    ((*CREATE, "--disk", "ceph-pool:32,format=xyz"), "--disk"),
    ((*CREATE, "--disk", "ceph-pool:32,aio=bogus"), "--disk"),
    ((*CREATE, "--iso", "cephfs:iso/nixos-minimal-25.05.1234.abcdef-x86_64-linux.iso,media=disk"), "--iso"),
    ((*CREATE, *("--disk ceph-pool:1 " * 33).split()), "--disk"),
    ((*CREATE, "--timeout", "10x"), "--timeout"),
    ((*CREATE, "--timeout", "0s"), "--timeout"),
    ((*CREATE, "--pool", "nope"), "--pool"),
    ((*CREATE, "--iso", "cephfs:iso/missing.iso"), "--iso"),
    ((*CREATE, "--vmid", "100"), "100"),
    (("vm", "start", "102", "--timeout", "forever"), "--timeout"),
    (("vm", "delete", "102", "--yes", "--timeout", "-5"), "--timeout"),
    (("task", "wait", "UPID:pve1:0000A1B2:0001C3D4:6740AB12:qmstart:100:root@pam:", "--timeout", "x"), "--timeout"),
]


@pytest.mark.parametrize(("args", "flag"), BAD, ids=[" ".join(a[-2:])[:40] for a, _ in BAD])
@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_bad_input_sends_nothing(pve: Faulty, args: tuple[str, ...], flag: str, dry_run: bool) -> None:
    if dry_run and args[:2] != ("vm", "create") and "create" not in args:
        pytest.skip("--dry-run is a vm create option")
    run = pve(*args, *(["--dry-run"] if dry_run else []))
    assert run.code == 2, run.text
    first = run.stderr.splitlines()[0]
    assert first.startswith("error: ") and flag in run.stderr, run.stderr
    assert "internal error" not in run.text
    assert pve.proxy.writes() == []


def test_bad_output_format_from_the_environment_stops_a_generated_command(
    pve: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PVECTL_OUTPUT", "xml")
    run = pve("api", "nodes", "qemu", "status", "stop", "--node", "pve1", "--vmid", "100")
    assert run.code == 2 and "-o/--output" in run.stderr, run.text
    assert pve.proxy.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1:99999", "127.0.0.1:0"])
def test_port_out_of_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["--host", host, "--token", "root@pam!t=s", "vm", "list"])
    assert result.exit_code == 2 and "65535" in result.stderr, result.stderr


def test_dry_run_sends_no_write_and_reads_like_a_run(pve: Faulty) -> None:
    run = pve("-o", "json", *CREATE, "--pool", "lab", "--dry-run")
    assert run.code == 0, run.text
    assert pve.proxy.writes() == []
    reads = {p for m, p in pve.proxy.requests}
    assert {"/pools", "/nodes/pve1/storage", "/nodes/pve1/network"} <= reads
