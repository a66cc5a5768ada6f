"""`pvectl vm template`, `vm wait` and `vm exec` against the simulator (simulated time: no real sleeps)."""

from __future__ import annotations

from pathlib import Path

from pvectl.sim.faults import parse_fault
from tests.vm.conftest import SimCli
from tests.vm.guest_kit import SharedClock, clock_fixture, gcli_fixture  # noqa: F401 (fixtures)


def _make(gcli: SimCli, name: str, *extra: str) -> int:
    run = gcli("vm", "create", "--node", "pve1", "--name", name, "-o", "json", *extra)
    assert run.code == 0, run.stderr
    return int(run.json()["vmid"])


def test_template_asks_refuses_running_and_converts(gcli: SimCli) -> None:
    vmid = _make(gcli, "gold", "--start")
    running = gcli("vm", "template", "gold", "--yes")
    assert running.code == 2 and f"pvectl vm shutdown {vmid}" in running.stderr
    assert gcli("vm", "stop", "gold").code == 0
    unasked = gcli("vm", "template", "gold")
    assert unasked.code == 2 and "--yes" in unasked.stderr
    assert not any(w.endswith("/template") for w in gcli.writes())
    done = gcli("vm", "template", "gold", "--yes")
    assert done.code == 0, done.stderr
    assert "is now a template" in done.stdout
    assert str(gcli("vm", "show", str(vmid), "-o", "json").json()["template"]) == "1"
    again = gcli("vm", "template", str(vmid), "--yes")
    assert again.code == 2 and "already a template" in again.stderr


def test_wait_for_ip_and_agent(gcli: SimCli, clock: SharedClock) -> None:
    _make(gcli, "guest", "--start")
    started = clock.now
    ip = gcli("vm", "wait", "guest", "--for", "ip")
    assert ip.code == 0, ip.stderr
    assert ip.stdout.strip().startswith("192.0.2.")
    assert clock.now - started < 4 + 2 + 0.01  # the agent's delay plus at most one backoff step
    six = gcli("vm", "wait", "guest", "--for", "ip", "--family", "6", "-o", "json").json()
    assert six["result"].startswith("2001:db8::") and {i["name"] for i in six["interfaces"]} == {"lo", "eth0"}
    assert gcli("vm", "wait", "guest", "--for", "agent").code == 0
    assert gcli("vm", "wait", "guest", "--for", "status=running").code == 0


def test_wait_timeout_and_bad_input(gcli: SimCli) -> None:
    _make(gcli, "idle")
    late = gcli("vm", "wait", "idle", "--for", "status=running", "--timeout", "3s")
    assert late.code == 7 and "within 3s" in late.stderr and "status stopped" in late.stderr
    assert gcli("vm", "wait", "idle", "--for", "nonsense").code == 2
    assert gcli("vm", "wait", "idle", "--for", "ip", "--family", "5").code == 2
    noagent = _make(gcli, "blind", "--no-agent", "--start")
    blind = gcli("vm", "wait", str(noagent), "--for", "agent")
    assert (
        blind.code == 1
        and "no guest agent configured" in blind.stderr
        and "pvectl vm set 104 --agent --reboot" in blind.stderr
    )


def test_exec_propagates_output_and_exit_codes(gcli: SimCli, clock: SharedClock, tmp_path: Path) -> None:
    _make(gcli, "box", "--start")
    clock.now += 10
    hello = gcli("vm", "exec", "box", "--", "echo", "hello", "world")
    assert (hello.code, hello.stdout) == (0, "hello world\n")
    assert gcli("vm", "exec", "box", "--", "false").code == 1
    assert gcli("vm", "exec", "box", "--", "sh", "-c", "exit 42").code == 42
    missing = gcli("vm", "exec", "box", "--", "cat", "/nope")
    assert missing.code == 1 and "No such file" in missing.stderr and missing.stdout == ""
    os_release = gcli("vm", "exec", "box", "-o", "json", "--", "cat", "/etc/os-release").json()
    assert os_release["exitcode"] == 0 and "debian" in os_release["out-data"]
    script = tmp_path / "in.txt"
    script.write_text("from a file\n")
    fed = gcli("vm", "exec", "box", "--input", str(script), "--", "cat")
    assert fed.stdout == "from a file\n"


def test_exec_errors(gcli: SimCli, clock: SharedClock) -> None:
    vmid = _make(gcli, "locked", "--start")
    clock.now += 10
    gcli.sim.faults.add(parse_fault(f"agent:vmid={vmid},state=no-exec"))
    refused = gcli("vm", "exec", "locked", "--", "true")
    assert refused.code == 1 and "guest-exec" in refused.stderr and "qemu-ga" in refused.stderr
    stopped = _make(gcli, "off")
    off = gcli("vm", "exec", str(stopped), "--", "true")
    assert off.code != 0 and "not running" in off.stderr
