"""Simulator controls: servers on any loopback address, certificates for --host, faults that end, bad specs."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.sim.embedded import sim_connection, stop_embedded
from pvectl.sim.faults import KINDS, FaultSpecError, fault_spec, parse_fault
from pvectl.sim.store import Store
from pvectl.sim.tls import names_of
from tests.sim.test_cli import read_until


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def embedded(state_dir: Path) -> Iterator[None]:
    yield
    stop_embedded()


def test_status_finds_a_server_on_another_loopback_address_and_its_certificate_covers_it(state_dir: Path) -> None:
    env = {**os.environ, "PVECTL_SIM_STATE_DIR": str(state_dir), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pvectl", "sim", "serve", "--host", "127.0.0.21", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = read_until(proc, "Press Ctrl-C")
        url = lines[0].split(" listening on ")[1]
        assert url.startswith("https://127.0.0.21:")
        code, out, _ = run("sim", "status")
        assert code == 0 and f"server:      running at {url.removesuffix('/api2/json')}" in out
        assert "127.0.0.21" in names_of((state_dir / "cert.pem").read_bytes())
        # verification against the certificate file, host name included (no "IP address mismatch")
        context = ssl.create_default_context(cafile=str(state_dir / "cert.pem"))
        with httpx.Client(verify=context) as http:
            assert http.get(f"{url}/version").status_code == 401  # TLS fine; no credentials given
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    code, out, _ = run("sim", "status")
    assert "not running" in out


def test_environment_faults_end_when_the_variable_is_unset(embedded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def pve2_online() -> bool:
        conn = sim_connection()
        with httpx.Client(verify=ssl.create_default_context(cafile=conn.ca_file)) as http:
            nodes = http.get(
                f"{conn.base_url}/api2/json/nodes", headers={"Authorization": f"PVEAPIToken={conn.token}"}
            ).json()["data"]
        return bool(next(n["status"] for n in nodes if n["node"] == "pve2") == "online")

    monkeypatch.setenv("PVECTL_SIM_FAULTS", "node-offline:node=pve2; lock-vm:vmid=100")
    assert not pve2_online()
    stop_embedded()
    code, out, _ = run("sim", "status")
    assert code == 0 and "faults:      node-offline:node=pve2; lock-vm:vmid=100" in out
    monkeypatch.delenv("PVECTL_SIM_FAULTS")
    assert pve2_online()  # a process without the variable undoes what it did
    state = Store(Path(os.environ["PVECTL_SIM_STATE_DIR"]) / "state.db").snapshot()
    assert "lock" not in state["vms"]["100"]["config"] and state["env_faults"] == []


def test_faults_clear_undoes_recorded_faults(embedded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVECTL_SIM_FAULTS", "node-offline:node=pve1")
    sim_connection()
    stop_embedded()
    code, out, _ = run("sim", "faults", "clear")
    assert code == 0 and out.strip() == "cleared: node-offline:node=pve1"
    state = Store(Path(os.environ["PVECTL_SIM_STATE_DIR"]) / "state.db").snapshot()
    assert state["nodes"]["pve1"]["online"] is True and state["env_faults"] == []
    code, out, _ = run("sim", "faults", "clear")
    assert out.strip() == "no faults recorded in the state"
    code, out, _ = run("sim", "status")
    assert "faults:" not in out


@pytest.mark.parametrize(
    ("spec", "culprit"),
    [
        ("latency:seconds=-1", "fault 'latency': seconds must be a number >= 0, got -1"),
        ("task-slow:seconds=nan", "fault 'task-slow': seconds must be a number >= 0"),
        ("fail:path=/x,nth=0", "fault 'fail': nth and count must be >= 1"),
        ("fail:path=/x,count=-2", "fault 'fail': nth and count must be >= 1"),
        ("fail:path=cluster/nextid", "fault 'fail': path must be an API path"),
        ("fail:path=/x,method=PATCH", "fault 'fail': method must be one of GET, POST, PUT, DELETE"),
        ("fail:path=/x,status=99", "fault 'fail': status must be an HTTP status"),
        ("task-fail:count=0", "fault 'task-fail': count must be >= 1"),
        ("steal-vmid:count=0", "fault 'steal-vmid': count must be >= 1"),
        ("lock-vm:vmid=5", "fault 'lock-vm': vmid must be between 100 and 999999999"),
        ("lock-vm:vmid=100,lock=weird", "fault 'lock-vm': lock must be one of backup"),
        ("latency:seconds=soon", "fault 'latency': seconds must be a number, got 'soon'"),
    ],
)
def test_every_fault_spec_is_validated(spec: str, culprit: str) -> None:
    with pytest.raises(FaultSpecError) as err:
        parse_fault(spec)
    assert str(err.value).startswith(culprit)


@pytest.mark.parametrize(
    "spec", ["latency:seconds=0.5,path=/version", "fail:path=/x,nth=2,status=503", "expire-tickets", "lock-vm:vmid=101"]
)
def test_fault_specs_round_trip(spec: str) -> None:
    assert parse_fault(fault_spec(parse_fault(spec))) == parse_fault(spec)
    assert fault_spec(parse_fault(spec)) == spec


def test_bad_fault_on_the_command_line_is_one_line_and_exit_2(state_dir: Path) -> None:
    code, _, err = run("sim", "serve", "--port", "0", "--faults", "latency:seconds=-1")
    lines = err.strip().splitlines()
    assert code == 2 and lines == ["error: --faults: fault 'latency': seconds must be a number >= 0, got -1"]


def test_bad_fault_in_the_environment_names_the_variable(state_dir: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PVECTL_SIM_STATE_DIR": str(state_dir),
        "PVECTL_SIM_FAULTS": "latency:seconds=-1",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    env.pop("PVECTL_HOST", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pvectl", "--sim", "vm", "list"], env=env, capture_output=True, text=True, timeout=120
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "seconds must be a number >= 0, got -1" in lines[0] and "PVECTL_SIM_FAULTS" in lines[0]


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_port_out_of_range_is_a_usage_error(state_dir: Path, port: str) -> None:
    code, _, err = run("sim", "serve", "--port", port)
    assert code == 2 and err.strip() == f"error: --port: must be between 0 and 65535, got {port}"


def test_sim_help_documents_the_variable_and_every_fault_kind() -> None:
    code, out, _ = run("sim", "--help")
    assert code == 0 and "PVECTL_SIM_FAULTS" in out and "sim faults clear" in out
    for kind in KINDS:
        assert f"\n  {kind}" in out, kind
    assert max(len(line) for line in out.splitlines()) <= 80


def test_a_format_1_state_file_is_migrated(state_dir: Path) -> None:
    store = Store(state_dir / "scratch.db", {"task_seconds": 0})
    new = store.snapshot()
    old = {**new, "format": 1}
    old["volumes"] = list(new["volumes"].values())
    old["tasks"] = []
    for vm in old["vms"].values():
        vm.pop("pool", None)
    old.pop("env_faults")
    (state_dir / "state.json").write_text(json.dumps(old), encoding="utf-8")
    code, out, _ = run("sim", "status")
    assert code == 0 and "VMs: 3" in out, out
    migrated = Store(state_dir / "state.db").snapshot()
    assert migrated["vms"]["100"]["pool"] == "prod" and migrated["volumes"] == new["volumes"]
    assert (state_dir / "state.json.v1").exists() and not (state_dir / "state.json").exists()


def test_large_answers_are_gzipped_when_accepted(http: httpx.Client, token: str) -> None:
    headers = {"Authorization": f"PVEAPIToken={token}"}
    zipped = http.get("/cluster/resources", headers={**headers, "Accept-Encoding": "gzip"})
    plain = http.get("/cluster/resources", headers={**headers, "Accept-Encoding": "identity"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert zipped.json() == plain.json() and len(plain.json()["data"]) > 5
    small = http.get("/version", headers={**headers, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # 1 KiB or less goes as it is
