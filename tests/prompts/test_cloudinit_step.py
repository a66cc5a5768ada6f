"""The optional Cloud-Init step of ``vm create -i`` (real questionary prompts through a pipe, the simulator)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.input import PipeInput
from pydantic import SecretStr

from pvectl.vm.config import VmConfig
from pvectl.vm.summary import step_parts
from tests.prompts.keys import ENTER, answers, typed
from tests.prompts.test_flow import create_params, prompts
from tests.vm.conftest import SimCli
from tests.vm.test_cli_cloudinit import KEYS, SECRET


def _step(keyfile: str, *, password: str = SECRET, again: str = SECRET) -> str:
    """Yes to "Configure cloud-init?", then user, password twice, key files, net0's IP config, DNS servers,
    DNS domain, upgrade (Enter: PVE's default), storage (Enter: the first disk's)."""
    return "y" + typed("admin") + password + ENTER + again + ENTER + typed(keyfile) + typed("ip=dhcp") + ENTER * 4


def test_cloud_init_step_plans_the_settings_and_never_shows_the_password(
    cli: SimCli, term: PipeInput, tmp_path: Path
) -> None:
    keyfile = tmp_path / "id.pub"
    keyfile.write_text(KEYS)
    keys = answers(cloudinit=_step(str(keyfile)), upto="review") + ENTER
    run = prompts(cli, term, keys, "--dry-run", "-o", "json")
    params = create_params(run)
    assert params["ciuser"] == "admin" and params["ipconfig0"] == "ip=dhcp"
    assert params["ide0"] == "ceph-pool:cloudinit"  # the first disk's storage; ide2 holds the ISO
    plan = run.json()
    assert [r["step"] for r in plan["requests"]] == ["create", "serial", "cipassword", "cloudinit"]
    assert SECRET not in run.stdout + run.stderr
    assert cli.writes() == []


def test_no_to_cloud_init_leaves_it_off_even_with_the_env_password(
    cli: SimCli, term: PipeInput, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PVECTL_CI_PASSWORD", SECRET)
    run = prompts(cli, term, answers(upto="review") + ENTER, "--dry-run", "-o", "json")
    params = create_params(run)
    assert not [k for k in params if k.startswith("ci") or "cloudinit" in params[k]]


def test_mismatched_password_and_bad_key_file_are_asked_again(cli: SimCli, term: PipeInput, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.pub", tmp_path / "bad.pub"
    good.write_text(KEYS)
    bad.write_text("not a key\n")
    step = "y" + typed("admin") + SECRET + ENTER + "other" + ENTER  # the entries differ: asked again
    step += SECRET + ENTER + SECRET + ENTER
    step += typed(str(bad)) + typed(str(good))  # the validator refuses the bad file; the good one is taken
    step += typed("ip=dhcp") + ENTER * 4
    run = prompts(cli, term, answers(cloudinit=step, upto="review") + ENTER, "--dry-run", "-o", "json")
    params = create_params(run)
    assert "sshkeys" in params and "The two entries differ" in run.stderr
    assert SECRET not in run.stdout + run.stderr


def test_review_shows_the_password_as_set() -> None:
    config = VmConfig()
    assert step_parts(config, "cloudinit") == ["off"]
    config.cloudinit.user = "admin"
    config.cloudinit.password = SecretStr(SECRET)
    parts = step_parts(config, "cloudinit")
    assert "Password: set" in parts and "User: admin" in parts
    assert SECRET not in " ".join(parts) + repr(config) + config.model_dump_json()
