"""``pvectl sim serve/reset/status`` and the ``--sim`` connection, as separate processes would use them."""

from __future__ import annotations

import os
import queue
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.sim.embedded import sim_connection, stop_embedded
from pvectl.sim.paths import SERVER_FILE
from pvectl.sim.tls import fingerprint_of


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 30.0) -> list[str]:
    """Lines the process prints up to ``marker`` (read in a thread, so the wait is bounded)."""
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line.rstrip("\n"))
            if marker in line:
                break
        else:
            lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"no '{marker}' in output: {seen}")


def serve_process(state_dir: Path, *args: str) -> subprocess.Popen[str]:
    """``pvectl sim serve --port 0 ARGS`` in a process of its own, on ``state_dir``."""
    env = {**os.environ, "PVECTL_SIM_STATE_DIR": str(state_dir), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "pvectl", "sim", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def served(state_dir: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    proc = serve_process(state_dir, "--faults", "latency:seconds=0,path=/x")
    try:
        yield proc, read_until(proc, "Press Ctrl-C")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def field(lines: list[str], label: str) -> str:
    return next(line.split(label, 1)[1].strip() for line in lines if label in line)


def test_serve_prints_how_to_connect_and_serves_https(
    served: tuple[subprocess.Popen[str], list[str]], state_dir: Path
) -> None:
    proc, lines = served
    url = lines[0].split(" listening on ")[1]
    assert url.startswith("https://127.0.0.1:") and url.endswith("/api2/json")
    fingerprint = field(lines, "certificate SHA-256 fingerprint:")
    assert fingerprint == fingerprint_of((state_dir / "cert.pem").read_bytes())
    token = field(lines, "API token:")
    password = field(lines, "password:")
    context = ssl.create_default_context(cafile=str(state_dir / "cert.pem"))
    with httpx.Client(base_url=url, verify=context) as http:
        assert http.get("/version", headers={"Authorization": f"PVEAPIToken={token}"}).json()["data"]["version"] == (
            "9.1.9"
        )
        assert http.post("/access/ticket", data={"username": "root@pam", "password": password}).status_code == 200
    code, out, _ = run("sim", "status")
    assert code == 0 and "server:      running at https://127.0.0.1:" in out
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "simulator stopped" in out
    assert not (state_dir / SERVER_FILE).exists()


def test_reset_and_status(state_dir: Path) -> None:
    code, out, _ = run("sim", "status")
    assert code == 0 and "none yet" in out
    code, out, _ = run("sim", "reset")
    assert code == 0 and "state.db" in out
    code, out, _ = run("sim", "status")
    assert code == 0 and "VMs: 5" in out and "nodes: pve1, pve2, pve3" in out and "not running" in out


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("sim", "serve", "--faults", "meteor"), "error: --faults: unknown fault kind 'meteor'"),
        (("sim", "serve", "--host", "192.0.2.1"), "error: refusing to listen on non-loopback address '192.0.2.1'"),
        (("sim", "reset", "--seed", "SEED"), "error: seed file SEED: key 'nodes' has the wrong type"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(state_dir: Path, tmp_path: Path, args: tuple[str, ...], culprit: str) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("nodes: 2\n", encoding="utf-8")
    args = tuple(str(seed) if a == "SEED" else a for a in args)
    code, _, err = run(*args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith(culprit.replace("SEED", str(seed)))


def test_corrupt_state_file_is_exit_2(state_dir: Path) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / "state.db").write_text("garbage", encoding="utf-8")
    code, _, err = run("sim", "status")
    assert code == 2 and "is corrupt" in err and "pvectl sim reset" in err


@pytest.fixture
def embedded(state_dir: Path) -> Iterator[None]:
    yield
    stop_embedded()


def test_sim_connection_is_one_server_per_process(embedded: None, state_dir: Path) -> None:
    first = sim_connection()
    assert sim_connection() is first
    assert first.base_url.startswith("https://127.0.0.1:") and first.user == "root@pam"
    assert first.fingerprint == fingerprint_of(Path(first.ca_file).read_bytes())
    assert first.token.startswith("root@pam!sim=") and first.password


SCRIPT = """
import sys
from pvectl.sdk import ProxmoxClient
from pvectl.sim.embedded import sim_connection
c = sim_connection()
with ProxmoxClient(c.base_url, token=c.token, verify=c.ca_file) as client:
    if sys.argv[1] == "create":
        client.nodes("pve1").qemu.create(vmid=777, name="persisted").wait(timeout=10, poll=0.05)
    print(sorted(vm["vmid"] for vm in client.request("GET", "/nodes/pve1/qemu")))
"""


def test_state_persists_between_processes(state_dir: Path) -> None:
    env = {**os.environ, "PVECTL_SIM_STATE_DIR": str(state_dir)}
    outs = [
        subprocess.run(
            [sys.executable, "-c", SCRIPT, step], env=env, capture_output=True, text=True, timeout=60, check=True
        ).stdout
        for step in ("create", "list")
    ]
    assert outs == ["[100, 777, 9000, 9001]\n", "[100, 777, 9000, 9001]\n"]


def test_faults_for_the_embedded_simulator_come_from_the_environment(
    embedded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "PVECTL_SIM_FAULTS", "fail:path=/cluster/nextid,status=500,message=cfs locked; latency:seconds=0"
    )
    conn = sim_connection()
    with httpx.Client(verify=ssl.create_default_context(cafile=conn.ca_file)) as http:
        r = http.get(
            f"{conn.base_url}/api2/json/cluster/nextid", headers={"Authorization": f"PVEAPIToken={conn.token}"}
        )
    assert r.status_code == 500 and r.reason_phrase == "cfs locked"


def test_state_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pvectl.sim.paths import state_dir

    monkeypatch.delenv("PVECTL_SIM_STATE_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_dir() == tmp_path / "xdg" / "pvectl" / "sim"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_dir() == tmp_path / "home" / ".local" / "state" / "pvectl" / "sim"


def test_embedded_simulator_takes_faults_from_tests(embedded: None) -> None:
    from pvectl.sdk import ProxmoxClient
    from pvectl.sdk._core.errors import TaskFailed
    from pvectl.sim.embedded import embedded_simulator
    from pvectl.sim.faults import TaskFail

    conn = sim_connection()
    embedded_simulator().inject(TaskFail(type="qmcreate", message="no space left on device"))
    with ProxmoxClient(conn.base_url, token=conn.token, verify=conn.ca_file) as client:
        task = client.nodes("pve1").qemu.create(vmid=900)
        with pytest.raises(TaskFailed, match="no space left on device"):
            task.wait(timeout=10, poll=0.05)


def test_example_seed_is_a_valid_seed_of_the_first_world(state_dir: Path, tmp_path: Path) -> None:
    from pvectl.sim.world import DEFAULT_SEED, first_seed, load_seed

    code, out, _ = run("sim", "example-seed")
    assert code == 0 and out.startswith("# A seed file (YAML or JSON)")
    seed = tmp_path / "world.yaml"
    seed.write_text(out, encoding="utf-8")
    assert load_seed(seed) == {**DEFAULT_SEED, **first_seed()}
    code, out, _ = run("sim", "reset", "--seed", str(seed))
    assert code == 0
