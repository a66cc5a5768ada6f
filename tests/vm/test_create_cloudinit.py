"""Cloud-init on `vm create`: the drive and settings in the create request, the password only in a config update
and never shown, VM files, PVECTL_CI_PASSWORD alone turning nothing on, and `--wait agent|ip`."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, unquote

import pytest
import yaml

from tests.vm.conftest import SimCli
from tests.vm.guest_kit import SharedClock, clock_fixture, gcli_fixture  # noqa: F401 (fixtures)
from tests.vm.test_cli_cloudinit import KEYS, SECRET

BASE = ("vm", "create", "--node", "pve1", "--disk", "local-lvm:8", "--no-ha")


def _form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}


def _sent(gcli: SimCli, method: str, suffix: str) -> list[dict[str, str]]:
    return [_form(r.content) for r in gcli.requests if r.method == method and r.url.path.endswith(suffix)]


@pytest.fixture
def keyfiles(tmp_path: Path) -> list[str]:
    first, second = KEYS.splitlines(keepends=True)
    paths = []
    for i, text in enumerate((first, second)):
        path = tmp_path / f"id{i}.pub"
        path.write_text(text)
        paths.append(str(path))
    return paths


def test_create_with_cloud_init_round_trips_keys_and_hides_the_password(
    gcli: SimCli, keyfiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PVECTL_CI_PASSWORD", SECRET)
    run = gcli(
        "-vv", *BASE, "--name", "ci1", "--ci-user", "admin", "--ssh-key", keyfiles[0], "--ssh-key", keyfiles[1],
        "--ipconfig", "ip=dhcp", "--ipconfig", "1:ip=10.0.0.5/24,gw=10.0.0.1", "--nameserver", "1.1.1.1",
        "--searchdomain", "example.org", "--no-ci-upgrade",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr
    config = gcli("vm", "show", "ci1", "-o", "json").json()
    assert unquote(config["sshkeys"]) == KEYS  # both files' keys, unchanged after PVE's double decoding
    assert config["ciuser"] == "admin" and config["ipconfig1"] == "ip=10.0.0.5/24,gw=10.0.0.1"
    assert (config["ipconfig0"], config["nameserver"], config["searchdomain"]) == ("ip=dhcp", "1.1.1.1", "example.org")
    assert str(config["ciupgrade"]) == "0" and config["cipassword"] == "**********"
    assert config["ide0"].startswith("local-lvm:vm-") and "cloudinit" in config["ide0"]  # ide2 is the CD drive
    (create,) = _sent(gcli, "POST", "/qemu")
    assert "cipassword" not in create and create["ide0"] == "local-lvm:cloudinit"  # the create stores it as given
    assert unquote(create["sshkeys"]) == KEYS  # percent-encoded once, then form-encoded again
    updates = [u for u in _sent(gcli, "PUT", "/config") if "cipassword" in u]
    assert len(updates) == 1 and updates[0]["cipassword"] == SECRET and updates[0]["digest"]
    assert any(w.endswith("/cloudinit") and w.startswith("PUT") for w in gcli.writes())


def test_password_never_in_dry_run_output_or_errors(gcli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVECTL_CI_PASSWORD", SECRET)
    for fmt in ("text", "json", "yaml"):
        dry = gcli(*BASE, "--name", "d1", "--ci-user", "u", "--dry-run", "-o", fmt)
        assert dry.code == 0, dry.stderr
        assert SECRET not in dry.stdout + dry.stderr and "cipassword" in dry.stdout + dry.stderr
    plan = gcli(*BASE, "--name", "d1", "--ci-user", "u", "--dry-run", "-o", "json").json()
    assert [r["step"] for r in plan["requests"]] == ["create", "serial", "cipassword", "cloudinit"]
    outcome = gcli(*BASE, "--name", "d2", "--ci-user", "u", "-o", "json")
    assert outcome.code == 0 and SECRET not in outcome.stdout + outcome.stderr
    assert outcome.json()["done"] == ["create", "serial", "cipassword", "cloudinit"]
    refused = gcli(*BASE, "--name", "d3", "--ci-user", "u", "--cloudinit-storage", "nosuch")
    assert refused.code == 2 and "cloud-init storage 'nosuch'" in refused.stderr
    assert SECRET not in refused.stdout + refused.stderr
    assert not [w for w in gcli.writes() if "d3" in w]


def test_password_stays_hidden_when_its_step_fails(gcli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    from pvectl.sdk import ApiError

    def refuse(*args: object, **kwargs: object) -> None:
        raise ApiError(500, f"refused cipassword={SECRET}")  # a server echoing the value: still masked

    monkeypatch.setattr("pvectl.vm.submit.set_password", refuse)
    monkeypatch.setenv("PVECTL_CI_PASSWORD", SECRET)
    run = gcli(*BASE, "--name", "p1", "--cloud-init")
    assert run.code == 6, run.stderr  # partial: the VM exists, the password is missing
    assert "cloud-init password" in run.stderr and "--cipassword" in run.stderr
    assert SECRET not in run.stdout + run.stderr


def test_env_password_alone_turns_nothing_on(gcli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVECTL_CI_PASSWORD", SECRET)
    plan = gcli(*BASE, "--name", "plain", "--dry-run", "-o", "json").json()
    assert [r["step"] for r in plan["requests"]] == ["create", "serial"]
    assert not any("cloudinit" in str(v) or k.startswith("ci") for k, v in plan["requests"][0]["params"].items())
    assert gcli("vm", "create", "--node", "pve1", "--name", "tpl", "--disk", "local-lvm:8").code == 0
    assert gcli("vm", "template", "tpl", "--yes").code == 0
    clone = gcli("vm", "clone", "tpl", "c1", "--dry-run", "-o", "json").json()
    assert len(clone["requests"]) == 1  # the clone only: no cloud-init write


def test_cloud_init_switch_and_file_keys(gcli: SimCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = gcli(*BASE, "--name", "b1", "--cloud-init", "--dry-run", "-o", "json").json()
    assert bare["requests"][0]["params"]["ide0"] == "local-lvm:cloudinit"
    assert not [k for k in bare["requests"][0]["params"] if k.startswith("ci")]
    clash = gcli(*BASE, "--name", "b2", "--no-cloud-init", "--ci-user", "x")
    assert clash.code == 2 and "--no-cloud-init" in clash.stderr
    monkeypatch.setenv("PVECTL_CI_PASSWORD", SECRET)
    keys = tmp_path / "k.pub"
    keys.write_text(KEYS)
    dry = gcli(*BASE, "--name", "f1", "--ci-user", "admin", "--ssh-key", str(keys), "--ipconfig", "ip=dhcp",
               "--dry-run", "-o", "yaml")  # fmt: skip
    assert dry.code == 0 and SECRET not in dry.stdout
    data = yaml.safe_load(dry.stdout)["vm"]  # the dry-run document's VM file part (issue 28)
    assert data["cloud-init"] is True and data["ipconfig"] == ["0:ip=dhcp"] and "ci-password" not in data
    assert "\n".join(data["ssh-key"]) + "\n" == KEYS
    path = tmp_path / "vm.yaml"
    path.write_text(dry.stdout)
    monkeypatch.delenv("PVECTL_CI_PASSWORD")
    again = gcli("vm", "create", "--from-file", str(path), "--dry-run", "-o", "json").json()
    first = json.loads(gcli(*BASE, "--name", "f1", "--ci-user", "admin", "--ssh-key", str(keys),
                            "--ipconfig", "ip=dhcp", "--dry-run", "-o", "json").stdout)  # fmt: skip
    assert again["requests"][0]["params"] == first["requests"][0]["params"]
    path.write_text("name: f2\nci-password: hunter22\n")
    secret_file = gcli("vm", "create", "--from-file", str(path), "--dry-run")
    assert secret_file.code == 2 and "ci-password: a secret is never read from a file" in secret_file.stderr
    path.write_text("name: f3\nssh-key: id_ed25519.pub\n")
    filename = gcli("vm", "create", "--from-file", str(path), "--dry-run")
    assert filename.code == 2 and "ssh-key" in filename.stderr and "public key's text" in filename.stderr


def test_bad_cloud_init_input_sends_nothing(gcli: SimCli, tmp_path: Path) -> None:
    before = len(gcli.writes())
    bad_ip = gcli(*BASE, "--name", "x", "--ipconfig", "dhcp")
    assert bad_ip.code == 2 and "--ipconfig" in bad_ip.stderr
    missing = gcli(*BASE, "--name", "x", "--ssh-key", str(tmp_path / "nope.pub"))
    assert missing.code == 2 and "--ssh-key" in missing.stderr
    garbage = tmp_path / "garbage.pub"
    garbage.write_text(KEYS + "not a key\n")
    refused = gcli(*BASE, "--name", "x", "--ssh-key", str(garbage))
    assert refused.code == 2 and "garbage.pub line 3: not an OpenSSH public key" in refused.stderr, refused.stderr
    wrong = tmp_path / "wrong.pub"
    wrong.write_text(KEYS.replace("ssh-rsa", "ssh-ed25519"))  # a body of another type: ssh-keygen refuses it
    mixed = gcli(*BASE, "--name", "x", "--ssh-key", str(wrong))
    assert mixed.code == 2 and "line 2: the body of the ssh-ed25519 key is not a ssh-ed25519 key" in mixed.stderr
    nodisk = gcli("vm", "create", "--node", "pve1", "--name", "x", "--ci-user", "u", "--from-file", _no_disks(tmp_path))
    assert nodisk.code == 2 and "--cloudinit-storage" in nodisk.stderr
    assert len(gcli.writes()) == before


def _no_disks(tmp_path: Path) -> str:
    path = tmp_path / "nodisks.yaml"
    path.write_text("disk: []\n")
    return str(path)


def test_create_wait_ip_starts_and_prints_the_address(gcli: SimCli, clock: SharedClock) -> None:
    run = gcli(*BASE, "--name", "w1", "--ci-user", "admin", "--wait", "ip", "--timeout", "2m")
    assert run.code == 0, run.stderr
    assert run.stdout.strip().startswith("192.0.2.") and "created" in run.stderr
    assert any(w.endswith("/status/start") for w in gcli.writes())
    data = gcli(*BASE, "--name", "w2", "--wait", "ip", "-o", "json").json()
    assert data["result"].startswith("192.0.2.") and {i["name"] for i in data["interfaces"]} == {"lo", "eth0"}
    before = len(gcli.writes())
    blind = gcli(*BASE, "--name", "w3", "--no-agent", "--wait", "agent")
    assert blind.code == 2 and "guest agent" in blind.stderr
    assert gcli(*BASE, "--name", "w3", "--wait", "nonsense").code == 2
    assert len(gcli.writes()) == before


def test_start_wait_ip_and_timeout(gcli: SimCli, clock: SharedClock) -> None:
    from pvectl.sim.faults import parse_fault

    assert gcli(*BASE, "--name", "s1").code == 0
    ip = gcli("vm", "start", "s1", "--wait", "ip")
    assert ip.code == 0, ip.stderr
    assert ip.stdout.strip().startswith("192.0.2.") and "started" in ip.stderr  # IP=$(...) gets the address only
    again = gcli("vm", "start", "s1", "--wait", "agent")  # running already: no second start, just the wait
    assert again.code == 0 and "running already" in again.stderr
    assert sum(w.endswith("/status/start") for w in gcli.writes()) == 1
    assert gcli(*BASE, "--name", "s2").code == 0
    vmid = gcli("vm", "show", "s2", "-o", "json").json()["vmid"]
    gcli.sim.faults.add(parse_fault(f"agent:vmid={vmid},state=down"))
    late = gcli("vm", "start", "s2", "--wait", "ip", "--timeout", "20s")
    assert late.code == 7 and "within 20s" in late.stderr and "pvectl vm wait" in late.stderr
    assert gcli("vm", "start", "--all", "--wait", "ip").code == 2  # one VM at a time
    assert gcli("vm", "start", "s1", "--wait", "ip", "--no-wait").code == 2
    assert "--wait" not in gcli("vm", "stop", "--help").stdout


def test_config_defaults_turn_cloud_init_on_and_the_env_password_follows(
    gcli: SimCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "xdg_config_home" / "pvectl" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[vm.defaults]\nci-user = "ops"\nipconfig = ["ip=dhcp"]\n')
    config.chmod(0o600)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg_config_home"))
    monkeypatch.setenv("PVECTL_CI_PASSWORD", SECRET)
    plan = gcli(*BASE, "--name", "d1", "--dry-run", "-o", "json").json()
    assert plan["requests"][0]["params"]["ciuser"] == "ops" and plan["requests"][0]["params"]["ipconfig0"] == "ip=dhcp"
    assert [r["step"] for r in plan["requests"]][2:] == ["cipassword", "cloudinit"]
    off = gcli(*BASE, "--name", "d2", "--no-cloud-init", "--dry-run", "-o", "json").json()
    assert [r["step"] for r in off["requests"]] == ["create", "serial"]
    config.write_text('[vm.defaults]\nci-password = "x"\n')
    refused = gcli(*BASE, "--name", "d3", "--dry-run")
    assert refused.code == 2 and "ci-password: a secret is never read from a file" in refused.stderr


def test_nested_file_never_carries_the_password(gcli: SimCli, tmp_path: Path) -> None:
    path = tmp_path / "vm.json"
    path.write_text(json.dumps({"general": {"name": "n1"}, "cloudinit": {"user": "u", "password": SECRET}}))
    run = gcli("vm", "create", "--node", "pve1", "--from-file", str(path), "--dry-run")
    assert run.code == 2 and "cloudinit.password" in run.stderr and SECRET not in run.stdout + run.stderr
