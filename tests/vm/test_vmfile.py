"""The VM file: flat flag-named keys (like [vm.defaults]), the nested step form, its JSON Schema, and the
`vm create --dry-run -o yaml` -> `--from-file` round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pvectl.vm.config import VmConfig
from pvectl.vm.vmfile import VmFileError, load, schema, to_flat
from tests.vm.conftest import SimCli

FLAT = {
    "name": "web1",
    "memory": 4096,
    "cores": 4,
    "tag": ["web", "prod"],
    "disk": ["scsi0:ceph-pool:32", {"storage": "local-lvm", "size": 100, "ssd": False}, "virtio0:ceph-pool:10"],
    "vlan": 20,
    "iso": "none",
    "cpu": "x86-64-v3",
    "network": True,
}


def test_flat_keys_are_the_flag_names() -> None:
    config = load(FLAT)
    assert (config.general.name, config.memory.memory, config.cpu.cores, config.cpu.type) == (
        "web1",
        4096,
        4,
        "x86-64-v3",
    )
    assert config.general.tags == ["web", "prod"]
    assert config.network.vlan == 20
    assert config.os.media == "none"
    assert [(d.bus, d.index, d.storage, d.size_gib, d.ssd) for d in config.disks] == [
        ("scsi", 0, "ceph-pool", 32, True),
        ("scsi", None, "local-lvm", 100, False),
        ("virtio", 0, "ceph-pool", 10, False),  # no SSD emulation on virtio: not set, so not applied
    ]


def test_the_nested_step_form_is_still_read() -> None:
    config = load({"general": {"name": "web1"}, "memory": {"memory": 4096}, "cpu": {"cores": 4}})
    assert (config.general.name, config.memory.memory, config.cpu.cores) == ("web1", 4096, 4)


def test_every_flag_key_has_a_place() -> None:
    config = load({"disk-format": "qcow2", "disk-size": 50, "iso": "local:iso/debian.iso", "tag": "a;b"})
    assert (config.disks[0].format, config.disks[0].size_gib) == ("qcow2", 50)
    assert (config.os.iso, config.os.iso_storage, config.general.tags) == ("local:iso/debian.iso", "local", ["a", "b"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tags": ["a"]}, "tags: unknown key; did you mean 'tag'?"),
        ({"bios": "uefi"}, "bios: 'uefi' is not one of ovmf, seabios"),
        ({"network": False, "vlan": 20}, "vlan: has no effect with network: false"),
        ({"disk": [{"storag": "x"}]}, "disk[0].storag: unknown disk key; did you mean 'storage'?"),
        ({"disk": ["ceph-pool"]}, "disk[0]: 'ceph-pool': expected"),
        ({"general": {"nme": "x"}}, "general.nme:"),
        (["name"], "(top): expected a mapping"),
    ],
)
def test_bad_keys_are_named(data: Any, message: str) -> None:
    with pytest.raises(VmFileError) as info:
        load(data)
    assert str(info.value).startswith(message)


def test_to_flat_reads_back_to_the_same_config() -> None:
    config = load(FLAT)
    again = load(to_flat(config))
    assert again.model_dump() == config.model_dump()
    assert [d.model_fields_set >= {"ssd"} for d in again.disks] == [False, True, False]  # defaults stay defaults


def test_the_schema_accepts_what_pvectl_writes_and_rejects_typos() -> None:
    validator = jsonschema.Draft202012Validator(schema())
    jsonschema.Draft202012Validator.check_schema(schema())
    validator.validate(to_flat(load(FLAT)))
    validator.validate(FLAT)
    validator.validate(VmConfig().model_dump(mode="json"))  # the nested form
    assert not validator.is_valid({"tags": ["a"]})
    assert not validator.is_valid({"bios": "uefi"})
    assert not validator.is_valid({"disk": [{"storag": "x"}]})


def test_vm_create_schema_prints_it() -> None:
    from typer.testing import CliRunner

    from pvectl.cli.app import app

    result = CliRunner().invoke(app, ["vm", "create", "--schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == schema()


def test_dry_run_yaml_is_a_file_from_file_reads_back(cli: SimCli, tmp_path: Path) -> None:
    flags = ("--node", "pve1", "--name", "rt1", "--disk", "virtio0:ceph-pool:10", "--disk", "sata1:local-lvm:5")
    first = cli("vm", "create", *flags, "--vlan", "30", "--tag", "x", "--dry-run", "-o", "yaml")
    assert first.code == 0, first.stderr
    path = tmp_path / "vm.yaml"
    path.write_text(first.stdout)
    data = yaml.safe_load(first.stdout)["vm"]  # issue 28: the document of -o json, whose vm part is the file
    assert (data["name"], data["vlan"], data["tag"]) == ("rt1", 30, ["x"])
    assert yaml.safe_load(first.stdout)["requests"][0]["path"] == "/nodes/pve1/qemu"
    plan = cli(
        "vm", "create", *flags, "--vlan", "30", "--tag", "x", "--vmid", str(data["vmid"]), "--dry-run", "-o", "json"
    )
    again = cli("vm", "create", "--from-file", str(path), "--dry-run", "-o", "json")
    assert again.code == 0, again.stderr
    assert again.json() == plan.json()
    assert cli("vm", "create", "--from-file", str(path), "--dry-run", "-o", "yaml").stdout == first.stdout
    assert cli.writes() == []


def test_flat_file_creates_a_vm(cli: SimCli, tmp_path: Path) -> None:
    path = tmp_path / "vm.yaml"
    path.write_text("node: pve1\nname: flat1\nmemory: 1024\nvlan: 20\ndisk: [ceph-pool:8]\n")
    run = cli("vm", "create", "--from-file", str(path))
    assert run.code == 0, run.stderr
    shown = cli("vm", "show", "flat1", "-o", "json").json()
    assert shown["memory"] in (1024, "1024")
    assert "tag=20" in shown["net0"]


def test_a_bad_flat_file_is_a_usage_error_naming_file_and_key(cli: SimCli, tmp_path: Path) -> None:
    path = tmp_path / "vm.yaml"
    path.write_text("name: x\nmemroy: 1024\n")
    run = cli("vm", "create", "--node", "pve1", "--from-file", str(path))
    assert run.code == 2
    assert f"--from-file {path}: memroy: unknown key; did you mean 'memory'?" in run.stderr
    assert cli.writes() == []


def test_the_readme_example_is_a_valid_file() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    data = yaml.safe_load(example)
    jsonschema.validate(data, schema())
    assert load(data).general.name == "web1"


def test_a_flat_file_goes_over_the_config_files_defaults(
    cli: SimCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "xdg_config_home" / "pvectl" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[vm.defaults]\nmemory = 4096\ncores = 4\n")
    config.chmod(0o600)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg_config_home"))
    path = tmp_path / "vm.yaml"
    path.write_text("name: layered\ncores: 8\n")
    params = cli("vm", "create", "--node", "pve1", "--from-file", str(path), "--dry-run", "-o", "json").json()
    create = params["requests"][0]["params"]
    assert (create["memory"], create["cores"], create["name"]) == ("4096", "8", "layered")
