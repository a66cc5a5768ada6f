"""Completion through Typer's environment-variable protocol, in a subprocess, for bash, zsh and fish."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pvectl.cli.completion_classes import script
from tests.cli._fake_server import never_answering, serving
from tests.cli._subproc import ROOT, bash_complete, fish_complete, pvectl, zsh_complete

TOKEN = "root@pam!ci=5ecret"
ROUTES = {
    "/nodes": [{"node": "pve1", "status": "online"}, {"node": "pve2", "status": "online"}],
    "/cluster/resources": [
        {"vmid": 100, "name": "web1", "type": "qemu", "node": "pve1"},
        {"vmid": 101, "name": "db1", "type": "qemu", "node": "pve2"},
    ],
    "/storage": [{"storage": "local", "type": "dir"}, {"storage": "ceph-pool", "type": "rbd"}],
}


def test_bash_commands_and_groups() -> None:
    run = bash_complete("pvectl api nodes qe")
    assert run.stdout.split() == ["qemu"]
    run = bash_complete("pvectl ")
    assert {"api", "task", "completion"} <= set(run.stdout.split())


def test_zsh_groups_with_help_from_the_index() -> None:
    run = zsh_complete("pvectl api nodes qe", process=True)
    assert run.stdout.startswith("_arguments '*: :((")
    assert '"qemu":"Virtual machine index (per node)"' in run.stdout
    assert "rich" not in {m.split(".")[0] for m in run.modules}


def test_fish_options_with_help() -> None:
    run = fish_complete("pvectl api nodes qemu config set --ar", process=True)
    lines = run.stdout.splitlines()
    assert any(line.startswith("--arch\tVirtual processor architecture.") for line in lines)
    assert "rich" not in {m.split(".")[0] for m in run.modules}


def test_enum_and_boolean_values() -> None:
    assert bash_complete("pvectl api nodes qemu config set --arch ").stdout.split() == ["x86_64", "aarch64"]
    assert bash_complete("pvectl api nodes qemu config set --acpi ").stdout.split() == ["1", "0"]


def _env(host: str, cache: Path, budget: str = "20") -> dict[str, str]:
    # a loaded CI machine can need more than the default half second to import and connect;
    # the time-box itself is tested with the default budget below
    return {
        "PVECTL_HOST": host,
        "PVECTL_TOKEN": TOKEN,
        "XDG_CACHE_HOME": str(cache),
        "PVECTL_COMPLETION_TIMEOUT": budget,
    }


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_live_nodes_and_vmids(shell: str, tmp_path: Path) -> None:
    with serving(ROUTES) as (host, seen):
        env = _env(host, tmp_path)
        complete = {"bash": bash_complete, "zsh": zsh_complete, "fish": fish_complete}[shell]
        nodes = complete("pvectl api nodes qemu status start --node ", env)
        vmids = complete("pvectl api nodes qemu status start --node pve1 --vmid 1", env)
    assert nodes.stderr == ""
    assert "pve1" in nodes.stdout and "pve2" in nodes.stdout
    assert "100" in vmids.stdout and "101" in vmids.stdout
    if shell != "bash":
        assert "web1" in vmids.stdout  # the VM name as the description
    assert "/nodes" in seen and "/cluster/resources" in seen


def test_live_values_are_cached_per_context(tmp_path: Path) -> None:
    with serving(ROUTES) as (host, seen):
        first = bash_complete("pvectl api nodes storage list --node ", _env(host, tmp_path))
        assert first.stdout.split() == ["pve1", "pve2"]
        assert seen == ["/nodes"]
        second = bash_complete("pvectl api nodes storage list --node p", _env(host, tmp_path))
        assert second.stdout.split() == ["pve1", "pve2"]
        assert seen == ["/nodes"]  # answered from the cache
    cache_files = list((tmp_path / "pvectl" / "completion").glob("*.json"))
    assert len(cache_files) == 1
    entry = json.loads(cache_files[0].read_text())["node"]
    entry["at"] -= 3600  # expire it
    cache_files[0].write_text(json.dumps({"node": entry}))
    with serving(ROUTES) as (host2, seen2):
        # another host is another context: its own cache file
        bash_complete("pvectl api nodes storage list --node ", _env(host2, tmp_path))
        assert seen2 == ["/nodes"]
    assert len(list((tmp_path / "pvectl" / "completion").glob("*.json"))) == 2


def test_a_server_that_never_answers_is_time_boxed_and_silent(tmp_path: Path) -> None:
    with never_answering() as host:
        run = bash_complete(
            "pvectl api nodes qemu status start --node ", _env(host, tmp_path, budget="0.5"), process=True
        )
    assert run.code == 0
    assert run.stdout.strip() == ""
    assert run.stderr == ""
    assert run.seconds < 5  # the lookup gives up after about half a second


def test_no_server_configured_is_silent(tmp_path: Path) -> None:
    run = bash_complete("pvectl api nodes qemu status start --node ", {"XDG_CACHE_HOME": str(tmp_path)})
    assert run.stdout.strip() == ""
    assert run.stderr == ""


@pytest.mark.parametrize(("shell", "path"), [("bash", "pvectl.bash"), ("zsh", "_pvectl"), ("fish", "pvectl.fish")])
def test_committed_scripts_match_completion_show(shell: str, path: str) -> None:
    committed = (ROOT / "completions" / path).read_text()
    assert committed == script(shell)
    run = pvectl("completion", "show", shell)
    assert run.code == 0
    assert run.stdout == committed
    assert "_PVECTL_COMPLETE" in committed


def test_completion_install_writes_where_the_shell_looks(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    for shell, where in [
        ("bash", tmp_path / "data" / "bash-completion" / "completions" / "pvectl"),
        ("fish", tmp_path / "cfg" / "fish" / "completions" / "pvectl.fish"),
        ("zsh", tmp_path / ".zfunc" / "_pvectl"),
    ]:
        run = pvectl("completion", "install", shell, env=env)
        assert run.code == 0, run.stderr
        assert where.read_text() == script(shell)
    assert os.environ.get("HOME") != str(tmp_path)


def test_live_iso_volumes_and_interfaces_for_the_node_given(tmp_path: Path) -> None:
    routes = {
        **ROUTES,
        "/nodes/pve2/storage": [{"storage": "cephfs", "type": "cephfs"}],
        "/nodes/pve2/storage/cephfs/content": [
            {"volid": "cephfs:iso/nixos-minimal-25.05-x86_64-linux.iso", "size": 1},
            {"volid": "cephfs:iso/debian-13.iso", "size": 2},
        ],
        "/nodes/pve2/network": [{"iface": "vmbr0", "type": "bridge"}, {"iface": "vmbr9", "type": "bridge"}],
    }
    with serving(routes) as (host, seen):
        env = _env(host, tmp_path)
        isos = bash_complete("pvectl api nodes qemu create --node pve2 --vmid 150 --cdrom cephfs:iso/n", env)
        ifaces = bash_complete("pvectl api nodes network get --node pve2 --iface vm", env)
    # bash replaces only the part after the last ':' (COMP_WORDBREAKS), so that is what it gets
    assert isos.stdout.split() == ["iso/nixos-minimal-25.05-x86_64-linux.iso"]
    assert ifaces.stdout.split() == ["vmbr0", "vmbr9"]
    assert "/nodes/pve2/storage/cephfs/content" in seen


BASH_DRIVER = """
source completions/pvectl.bash
COMP_LINE="$LINE"; COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<< "$WORDS"
COMP_CWORD=$CWORD
_pvectl_completion pvectl
printf '%s\\n' "${COMPREPLY[@]}"
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    ("line", "words", "cword", "expected"),
    [
        ("pvectl api nodes qe", "pvectl api nodes qe", 3, ["qemu"]),
        ("pvectl api nodes qemu config set --ar", "pvectl api nodes qemu config set --ar", 6, ["--arch", "--args"]),
        # what bash hands over for a value with a colon: the words are split at ':'
        ("pvectl api nodes qemu create --cdrom lo:iso/", "pvectl api nodes qemu create --cdrom lo : iso/", 8, []),
    ],
)
def test_the_committed_bash_script_in_bash(line: str, words: str, cword: int, expected: list[str]) -> None:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LINE": line, "WORDS": words, "CWORD": str(cword)}
    env.pop("PVECTL_HOST", None)
    proc = subprocess.run(["bash", "-c", BASH_DRIVER], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert proc.stderr == ""
    assert [w for w in proc.stdout.splitlines() if w] == expected


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_iso_volume_with_a_colon_through_real_bash(tmp_path: Path) -> None:
    routes = {
        "/nodes/pve1/storage": [{"storage": "cephfs"}],
        "/nodes/pve1/storage/cephfs/content": [{"volid": "cephfs:iso/nixos-minimal-25.05-x86_64-linux.iso"}],
    }
    line = "pvectl api nodes qemu create --node pve1 --vmid 150 --cdrom cephfs:iso/ni"
    words = "pvectl api nodes qemu create --node pve1 --vmid 150 --cdrom cephfs : iso/ni"
    with serving(routes) as (host, _seen):
        env = {
            **os.environ,
            **_env(host, tmp_path),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "LINE": line,
            "WORDS": words,
            "CWORD": "12",
        }
        proc = subprocess.run(
            ["bash", "-c", BASH_DRIVER], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
        )
    assert proc.stderr == ""
    assert proc.stdout.split() == ["iso/nixos-minimal-25.05-x86_64-linux.iso"]  # bash keeps "cephfs:" itself


def test_values_come_from_the_current_context_of_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config" / "pvectl" / "config.toml"
    config.parent.mkdir(parents=True)
    lab = {**ROUTES, "/nodes": [{"node": "lab1"}]}
    prod = {**ROUTES, "/nodes": [{"node": "prod1"}, {"node": "prod2"}]}
    with serving(lab) as (lab_host, _), serving(prod) as (prod_host, _):
        config.write_text(
            'current-context = "lab"\n'
            f'[contexts.lab]\nhost = "{lab_host}"\nuser = "root@pam"\ntoken-id = "ci"\ntoken-secret = "s1"\n'
            f'[contexts.prod]\nhost = "{prod_host}"\nuser = "root@pam"\ntoken-id = "ci"\ntoken-secret = "s2"\n'
        )
        config.chmod(0o600)
        env = {
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "PVECTL_COMPLETION_TIMEOUT": "20",
        }
        current = bash_complete("pvectl api nodes storage list --node ", env)
        named = bash_complete("pvectl --context prod api nodes storage list --node ", env)
        assert current.stdout.split() == ["lab1"], current.stderr
        assert named.stdout.split() == ["prod1", "prod2"]
        config.write_text(config.read_text().replace('current-context = "lab"', 'current-context = "prod"'))
        switched = bash_complete("pvectl api nodes storage list --node ", env)
        assert switched.stdout.split() == ["prod1", "prod2"]  # another context, another cache


def test_api_paths_for_pvesh_style_commands(tmp_path: Path) -> None:
    assert bash_complete("pvectl api get /cl").stdout.split() == ["/cluster"]
    assert "/nodes/pve1/qemu" in bash_complete("pvectl api get /nodes/pve1/q").stdout.split()
    with serving(ROUTES) as (host, _seen):
        run = bash_complete("pvectl api set /nodes/", _env(host, tmp_path))
    assert run.stdout.split() == ["/nodes/pve1", "/nodes/pve2"]
