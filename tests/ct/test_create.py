"""`ct create`: the GUI's defaults, flags and files giving the same requests, templates, rules, secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.vm.conftest import SimCli

TEMPLATE = "local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host\n"


def plan(cli: SimCli, *args: str) -> list[dict[str, object]]:
    run = cli("-o", "json", "ct", "create", "--dry-run", *args)
    assert run.code == 0, run.stdout + run.stderr
    requests: list[dict[str, object]] = run.json()["requests"]
    return requests


def test_defaults_are_the_wizards(cli: SimCli) -> None:
    (create,) = plan(cli, "--node", "pve1", "--template", "debian-12", "--disk", "local-lvm:8")
    assert create["method"] == "POST" and create["path"] == "/nodes/pve1/lxc"
    params = create["params"]
    assert isinstance(params, dict)
    assert params["ostemplate"] == TEMPLATE  # the short name found on the node's template storage
    assert params["unprivileged"] == "1" and params["features"] == "nesting=1"
    assert params["rootfs"] == "local-lvm:8"
    assert (params["memory"], params["swap"], params["cores"]) == ("512", "512", "1")
    assert params["net0"] == "name=eth0,bridge=vmbr0,firewall=1,ip=dhcp"
    assert "password" not in params and "start" not in params
    assert cli.writes() == []


def test_privileged_has_no_nesting_by_default(cli: SimCli) -> None:
    (create,) = plan(cli, "--node", "pve1", "--template", TEMPLATE, "--privileged")
    params = create["params"]
    assert isinstance(params, dict)
    assert params["unprivileged"] == "0" and "features" not in params


FLAGS = (
    "--node", "pve1", "--vmid", "300", "--hostname", "web7", "--template", "debian-12", "--disk", "local-lvm:16",
    "--mp", "local-lvm:32,mp=/srv/data,backup=1", "--cores", "2", "--memory", "2048", "--swap", "0",
    "--net", "bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1,tag=20", "--net", "bridge=vmbr9,ip=dhcp,firewall=0",
    "--nameserver", "10.0.0.53", "--searchdomain", "lab.example", "--fuse", "--keyctl", "--onboot",
    "--tag", "web", "--tag", "prod", "--pool", "prod", "--start", "--ssh-key",
)  # fmt: skip

FILE = """\
node: pve1
vmid: 300
hostname: web7
template: debian-12
disk: local-lvm:16
mp: ["local-lvm:32,mp=/srv/data,backup=1"]
cores: 2
memory: 2048
swap: 0
net:
  - bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1,tag=20
  - bridge=vmbr9,ip=dhcp,firewall=0
nameserver: 10.0.0.53
searchdomain: lab.example
fuse: true
keyctl: true
onboot: true
tag: [web, prod]
pool: prod
start: true
ssh-key: [{key}]
"""


def test_flags_and_file_give_the_same_requests(cli: SimCli, tmp_path: Path) -> None:
    key = tmp_path / "id.pub"
    key.write_text(KEY, encoding="utf-8")
    from_flags = plan(cli, *FLAGS, str(key))
    ct_file = tmp_path / "web1.yaml"
    ct_file.write_text(FILE.format(key=key), encoding="utf-8")
    from_file = plan(cli, "--from-file", str(ct_file))
    assert from_flags == from_file
    params = from_flags[0]["params"]
    assert isinstance(params, dict)
    assert params["mp0"] == "local-lvm:32,mp=/srv/data,backup=1"
    assert params["net1"] == "name=eth1,bridge=vmbr9,firewall=0,ip=dhcp"
    assert params["features"] == "fuse=1,keyctl=1,nesting=1"
    assert params["ssh-public-keys"] == KEY
    assert [r["step"] for r in from_flags] == ["create", "start"]
    # the dry run's YAML is a container file that gives the same requests again
    run = cli("-o", "yaml", "ct", "create", "--dry-run", *FLAGS, str(key))
    assert run.code == 0, run.stderr
    again = tmp_path / "again.yaml"
    again.write_text(run.stdout.replace(str(key), str(key)), encoding="utf-8")
    data = __import__("yaml").safe_load(run.stdout)
    assert "ssh-key" not in data  # key files are read, not stored: give them again
    assert plan(cli, "--from-file", str(again), "--ssh-key", str(key)) == from_flags


def test_flags_override_the_file(cli: SimCli, tmp_path: Path) -> None:
    ct_file = tmp_path / "ct.yaml"
    ct_file.write_text("node: pve1\ntemplate: debian-12\nmemory: 1024\n", encoding="utf-8")
    (create,) = plan(cli, "--from-file", str(ct_file), "--memory", "4096")
    assert isinstance(create["params"], dict) and create["params"]["memory"] == "4096"


def test_created_on_the_server_as_planned(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "create", "--node", "pve1", "--hostname", "app1", "--template", "debian-12",
              "--disk", "local-lvm:8", "--start")  # fmt: skip
    assert run.code == 0, run.stderr
    outcome = run.json()
    assert outcome["outcome"] == "created" and outcome["done"] == ["create", "start"]
    vmid = outcome["vmid"]
    assert cli.writes() == ["POST /nodes/pve1/lxc", f"POST /nodes/pve1/lxc/{vmid}/status/start"]
    shown = cli("-o", "json", "ct", "show", "app1").json()
    assert shown["status"] == "running" and shown["hostname"] == "app1"
    assert shown["rootfs"].startswith(f"local-lvm:vm-{vmid}-disk-0,size=8G")
    assert shown["unprivileged"] == 1 or shown["unprivileged"] == "1"
    listed = [row["name"] for row in cli("-o", "json", "ct", "list").json()]
    assert "app1" in listed and "dns1" not in listed  # containers only
    assert "app1" not in [row["name"] for row in cli("-o", "json", "vm", "list").json()]


def test_missing_template_needs_pull(cli: SimCli) -> None:
    run = cli("ct", "create", "--node", "pve1", "--template", "debian-13")
    assert run.code == 2
    assert "--pull" in run.stderr and "debian-13-standard_13.1-2_amd64.tar.zst" in run.stderr
    assert cli.writes() == []


def test_pull_downloads_then_creates(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "create", "--node", "pve2", "--template", "debian-13", "--pull",
              "--template-storage", "local", "--disk", "local-lvm:4")  # fmt: skip
    assert run.code == 0, run.stderr
    vmid = run.json()["vmid"]
    assert cli.writes() == ["POST /nodes/pve2/aplinfo", "POST /nodes/pve2/lxc"]
    config = cli("-o", "json", "api", "get", f"/nodes/pve2/lxc/{vmid}/config").json()
    assert config["ostype"] == "debian"
    listed = cli("-o", "json", "ct", "template", "list", "--node", "pve2").json()
    assert "local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst" in [t["volid"] for t in listed]


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("--memory", "8"), "--memory: 8 MiB is below PVE's minimum of 16"),
        (("--net", "bridge=vmbr0,ip=dhcp,gw=10.0.0.1"), "gw= needs a static ip"),
        (("--net", "bridge=vmbr0,ip=10.0.0.5"), "ip=10.0.0.5 is not dhcp, manual or an IPv4 address with /prefix"),
        (("--net", "bridge=vmbr7"), "bridge 'vmbr7' does not exist on pve1"),
        (("--net", "bridge=vmbr0,vlan=3"), "unknown key 'vlan'"),
        (("--privileged", "--keyctl"), "--keyctl: only for unprivileged containers"),
        (("--mount", "nfs"), "only privileged containers can mount NFS/CIFS"),
        (("--mp", "local-lvm:4,mp=srv"), "must be an absolute path"),
        (("--mp", "local-lvm:4"), "needs mp=/PATH"),
        (("--disk", "local:8"), "--disk: storage 'local' takes no container disks on pve1"),
        (("--hostname", "web_1"), "--hostname: 'web_1' is not a DNS name"),
        (("--pool", "nope"), "--pool: pool 'nope' does not exist"),
        (("--vmid", "100"), "--vmid: 100 is taken"),
        (("--template", "local:vztmpl/nope.tar.zst"), "does not exist on pve1"),
        (("--template", "plan9"), "none in the appliance index fits 'plan9'"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_sent(cli: SimCli, args: tuple[str, ...], culprit: str) -> None:
    base = ["--node", "pve1", "--template", "debian-12"]
    run = cli("ct", "create", *base, *args)
    assert run.code == 2, run.stdout + run.stderr
    assert culprit in run.stderr
    assert "Traceback" not in run.stderr
    assert cli.writes() == []


def test_no_node_given_takes_the_node_the_api_is_served_from(cli: SimCli) -> None:
    """vm create's rule (pvectl.vm.resolve._default_node): the ``local`` entry of GET /cluster/status."""
    run = cli("ct", "create", "--template", "debian-12", "--hostname", "n1")
    assert run.code == 0, run.stderr
    assert "note: no node given; using 'pve1' (the node the API is served from)" in run.stderr
    assert cli.writes()[0] == "POST /nodes/pve1/lxc"


def test_no_node_and_no_rule_that_picks_one_is_a_usage_error(cli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pvectl.vm.resolve._default_node", lambda ref, names: (None, ""))
    run = cli("ct", "create", "--template", "debian-12")
    assert run.code == 2, run.stderr
    assert "--node: no node given (available: pve1, pve2); give --node, or set the context's node" in run.stderr
    assert cli.writes() == []


def test_the_contexts_node_comes_before_the_rule(cli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pvectl.cli.runner.default_node", lambda ctx: "pve2")
    (create,) = plan(cli, "--template", "debian-12")
    assert create["path"] == "/nodes/pve2/lxc"


def test_password_is_sent_but_never_printed(cli: SimCli) -> None:
    secret = "s3cret-pw"
    dry = cli("-o", "json", "ct", "create", "--node", "pve1", "--template", "debian-12", "--password-stdin",
              "--dry-run", stdin=f"{secret}\n")  # fmt: skip
    assert dry.code == 0 and secret not in dry.stdout + dry.stderr
    assert dry.json()["requests"][0]["params"]["password"] in ("***", "**********")  # masked, still listed
    run = cli("-o", "json", "ct", "create", "--node", "pve1", "--template", "debian-12", "--password-stdin",
              stdin=f"{secret}\n")  # fmt: skip
    assert run.code == 0 and secret not in run.stdout + run.stderr
    body = next(r for r in cli.requests if r.method == "POST").content.decode()
    assert f"password={secret}" in body


def test_short_password_is_refused_before_sending(cli: SimCli) -> None:
    run = cli("ct", "create", "--node", "pve1", "--template", "debian-12", "--password-stdin", stdin="abc\n")
    assert run.code == 2 and "--password: PVE takes at least 5 characters" in run.stderr
    assert "abc" not in run.stderr and cli.writes() == []


def test_password_file_key_is_refused(cli: SimCli, tmp_path: Path) -> None:
    f = tmp_path / "ct.json"
    f.write_text(json.dumps({"node": "pve1", "template": "debian-12", "password": "hunter22"}), encoding="utf-8")
    run = cli("ct", "create", "--from-file", str(f))
    assert run.code == 2 and "password: not read from files" in run.stderr and "hunter22" not in run.stderr


def test_wait_ip_prints_the_address(cli: SimCli) -> None:
    run = cli("ct", "create", "--node", "pve1", "--template", "debian-12", "--vmid", "321",
              "--net", "bridge=vmbr0,ip=10.9.8.7/24,gw=10.9.8.1", "--wait", "ip")  # fmt: skip
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == "10.9.8.7"


def test_ct_help_says_there_is_no_exec(cli: SimCli) -> None:
    run = cli("ct", "--help")
    text = " ".join(run.stdout.split())
    assert "There is no `ct exec`" in text and "pvectl ct console" in text


@pytest.mark.parametrize(("hostname", "other"), [("ns1", "CT 190"), ("dns1", "VM 100")])
def test_a_hostname_another_guest_has_is_refused(cli: SimCli, hostname: str, other: str) -> None:
    """As vm create refuses a taken name: PVE allows it, but `ct show NAME` would then be ambiguous."""
    run = cli("ct", "create", "--node", "pve1", "--template", "debian-12", "--hostname", hostname)
    assert run.code == 2, run.stderr
    assert f"--hostname: '{hostname}' is already the name of {other} (nothing was sent)" in run.stderr
    assert "--allow-duplicate-name" in run.stderr and cli.writes() == []
    run = cli("ct", "create", "--node", "pve1", "--template", "debian-12", "--hostname", hostname,
              "--allow-duplicate-name")  # fmt: skip
    assert run.code == 0, run.stderr
    assert cli.writes() == ["POST /nodes/pve1/lxc"]
