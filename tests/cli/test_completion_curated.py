"""Live completion on the curated commands (vm, task) against the simulator, and the cache rules of #13:
a lookup that misses the time box still fills the cache; one cache per simulator state directory."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pvectl.cli import completers
from pvectl.cli.app import app
from tests.cli._subproc import bash_complete
from tests.support.clock import FakeClock

_ITEM = re.compile(r'"((?:[^"]|"")*)"(?::"(?:[^"]|"")*")?')


@pytest.fixture(autouse=True)
def _world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVECTL_SIM_STATE_DIR", str(tmp_path / "sim"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def complete(line: str) -> list[str]:
    """The values zsh would offer for ``line`` (in-process; a generous budget for a loaded machine)."""
    env = {"_PVECTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line, "PVECTL_COMPLETION_TIMEOUT": "30"}
    result = CliRunner().invoke(app, [], prog_name="pvectl", env=env)
    assert result.exit_code == 0, result.output
    if not result.stdout.startswith("_arguments"):
        return []
    body = result.stdout.split("((", 1)[1].rsplit("))", 1)[0]
    return [m.group(1).replace("\\\\:", ":").replace('""', '"') for m in _ITEM.finditer(body)]


def sim(*args: str) -> str:
    result = CliRunner().invoke(app, ["--sim", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("verb", ["show", "start", "stop", "shutdown", "reboot", "delete"])
def test_vm_commands_offer_ids_then_names(verb: str) -> None:
    assert complete(f"pvectl --sim vm {verb} ") == ["100", "101", "102", "9000", "9001"]
    assert complete(f"pvectl --sim vm {verb} 10") == ["100", "101", "102"]
    assert complete(f"pvectl --sim vm {verb} s") == ["scratch"]


def test_vm_ids_carry_name_state_and_node_as_help() -> None:
    env = {"_PVECTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "pvectl --sim vm start ",
           "PVECTL_COMPLETION_TIMEOUT": "30"}  # fmt: skip
    out = CliRunner().invoke(app, [], prog_name="pvectl", env=env).stdout
    assert '"102":"scratch (stopped on pve2)"' in out


def test_serial_console_enable_completes_vms() -> None:
    assert complete("pvectl --sim vm serial-console enable d") == ["dns1", "debian-12-cloud"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("pvectl --sim vm create --node ", ["pve1", "pve2", "pve3"]),
        ("pvectl --sim vm create --pool ", ["lab", "prod"]),
        ("pvectl --sim vm create --tag ", ["db", "infra", "lab", "prod", "web"]),
        ("pvectl --sim vm create --bridge ", ["vmbr0", "vmbr9"]),
        ("pvectl --sim vm create --efi-storage ", ["ceph-pool", "local", "local-lvm"]),  # content images
        ("pvectl --sim vm create --iso-storage ", ["cephfs", "local", "nfs"]),  # content iso
        ("pvectl --sim vm create --disk ", ["ceph-pool:", "local:", "local-lvm:"]),
        ("pvectl --sim vm create --disk virtio1:loc", ["virtio1:local:", "virtio1:local-lvm:"]),
        ("pvectl --sim vm create --disk ceph-pool:", []),  # the size is the user's
        ("pvectl --sim vm create --ostype w2", ["w2k8", "w2k", "w2k3"]),
        ("pvectl --sim vm create --bios ", ["ovmf", "seabios"]),
        ("pvectl --sim vm list --node ", ["pve1", "pve2", "pve3"]),
        ("pvectl --sim vm list --tag p", ["prod"]),
        ("pvectl --sim vm list --status ", ["running", "stopped", "paused", "unknown"]),
        ("pvectl --sim task list --node ", ["pve1", "pve2", "pve3"]),
    ],
)
def test_create_and_list_flags(line: str, expected: list[str]) -> None:
    assert complete(line) == expected


def test_iso_offers_keywords_then_the_nodes_volumes() -> None:
    values = complete("pvectl --sim vm create --node pve1 --iso ")
    assert values[:3] == ["latest-nixos", "none", "cdrom"]
    assert any(re.fullmatch(r"cephfs:iso/nixos-minimal-[\d.]+\w*-x86_64-linux\.iso", v) for v in values[3:])
    assert complete("pvectl --sim vm create --iso cephfs:iso/deb") == [v for v in values if "iso/deb" in v]


def test_task_commands_complete_upids_newest_first(sim_time: FakeClock) -> None:
    first = sim("vm", "start", "scratch", "--no-wait").strip()
    sim_time.advance(1.1)  # UPIDs carry the start second
    second = sim("vm", "stop", "scratch", "--no-wait").strip()
    sim_time.advance(completers.TTL_BY_KIND["upid"] + 0.1)  # the list of tasks goes stale within seconds
    for verb in ("wait", "log", "show"):
        values = complete(f"pvectl --sim task {verb} ")
        assert values[:2] == [second, first], values
    assert complete(f"pvectl --sim task log {second[: second.index(':qm')]}") == [second]


def test_one_cache_per_simulator_state_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = ["100", "101", "102", "9000", "9001"]
    assert complete("pvectl --sim vm start ") == first
    monkeypatch.setenv("PVECTL_SIM_STATE_DIR", str(tmp_path / "other"))
    sim("vm", "create", "--node", "pve1", "--vmid", "777", "--name", "other1")
    assert complete("pvectl --sim vm start ") == sorted([*first, "777"], key=int)  # not the first world's cache
    monkeypatch.setenv("PVECTL_SIM_STATE_DIR", str(tmp_path / "sim"))
    assert complete("pvectl --sim vm start ") == first
    keys = {completers.context_key({"sim": True})}
    monkeypatch.setenv("PVECTL_SIM_STATE_DIR", str(tmp_path / "other"))
    keys.add(completers.context_key({"sim": True}))
    assert len(keys) == 2


ROWS = [{"vmid": 100 + i, "name": f"vm{i}", "type": "qemu", "node": "pve1", "status": "running"} for i in range(3)]


@contextmanager
def slow_server(answer: threading.Event) -> Iterator[tuple[str, list[str]]]:
    """Answers /cluster/resources once ``answer`` is set (it is when the block ends)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            answer.wait(60)
            body = json.dumps({"data": ROWS}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        answer.set()
        server.shutdown()
        server.server_close()


def test_a_late_lookup_still_fills_the_cache_for_the_next_tab(tmp_path: Path) -> None:
    cache = tmp_path / "late-cache"
    answer = threading.Event()
    with slow_server(answer) as (host, seen):
        env = {"PVECTL_HOST": host, "PVECTL_TOKEN": "root@pam!ci=s", "XDG_CACHE_HOME": str(cache),
               "PVECTL_COMPLETION_TIMEOUT": "0.5"}  # fmt: skip
        # The server holds its answer until the TAB is over: a TAB that waited for it would hang (and time out)
        # instead of returning. No wall-clock bound, so a loaded machine cannot fail it.
        first = bash_complete("pvectl vm start ", env, process=True)
        assert first.stdout.strip() == "" and first.stderr == ""
        answer.set()
        deadline = time.monotonic() + 30
        files: list[Path] = []
        while time.monotonic() < deadline and not files:
            files = [f for f in (cache / "pvectl" / "completion").glob("*.json") if "vm" in json.loads(f.read_text())]
            time.sleep(0.2)
        assert files, "the detached lookup did not fill the cache"
        asked = len(seen)
        second = bash_complete("pvectl vm start ", env)
    assert second.stdout.split() == ["100", "101", "102"]
    assert len(seen) == asked  # answered from the cache


def test_a_cached_tab_on_a_curated_command_imports_nothing_heavy(tmp_path: Path) -> None:
    from tests.cli._fake_server import serving
    from tests.cli.test_startup import heavy

    routes = {"/cluster/resources": ROWS}
    with serving(routes) as (host, seen):
        env = {"PVECTL_HOST": host, "PVECTL_TOKEN": "root@pam!ci=s", "XDG_CACHE_HOME": str(tmp_path / "c"),
               "PVECTL_COMPLETION_TIMEOUT": "30"}  # fmt: skip
        bash_complete("pvectl vm start ", env, process=True)
        run = bash_complete("pvectl vm start 1", env, process=True)
    assert run.stdout.split() == ["100", "101", "102"]
    assert seen == ["/cluster/resources"]
    assert heavy(run.modules) == []
    assert "_hashlib" not in run.modules  # OpenSSL: 4 MiB and 20 ms per TAB


def test_api_tree_completes_snapshot_names_and_upids(tmp_path: Path) -> None:
    from tests.cli._fake_server import serving

    upid = "UPID:pve1:00001000:000F5240:6B090C00:snapshot:100:root@pam:"
    routes = {
        # PVE lists the live state as a pseudo snapshot "current"; it is no snapshot to roll back to
        "/nodes/pve1/qemu/100/snapshot": [{"name": "before-upgrade", "description": "pre 25.05"}, {"name": "current"}],
        "/nodes/pve1/lxc/200/snapshot": [{"name": "ct-snap"}, {"name": "current"}],
        "/cluster/tasks": [{"upid": upid, "type": "snapshot", "id": "100", "status": "OK", "starttime": 1}],
    }
    with serving(routes) as (host, _seen):
        env = {"PVECTL_HOST": host, "PVECTL_TOKEN": "root@pam!ci=s", "XDG_CACHE_HOME": str(tmp_path / "c"),
               "PVECTL_COMPLETION_TIMEOUT": "30"}  # fmt: skip
        qemu = bash_complete("pvectl api nodes qemu snapshot rollback --node pve1 --vmid 100 --snapname ", env)
        lxc = bash_complete("pvectl api nodes lxc snapshot rollback --node pve1 --vmid 200 --snapname ", env)
        upids = bash_complete("pvectl api nodes tasks log --node pve1 --upid UPID:pve1:", env)
    assert qemu.stdout.split() == ["before-upgrade"]
    assert lxc.stdout.split() == ["ct-snap"]
    assert upids.stdout.split() == [upid.removeprefix("UPID:pve1:")]  # bash keeps what is before the last ':'
