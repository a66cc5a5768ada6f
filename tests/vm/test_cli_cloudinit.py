"""Cloud-init on `vm clone`: sshkeys survive PVE's double encoding, the password is never shown anywhere."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.vm.conftest import SimCli
from tests.vm.guest_kit import SharedClock, clock_fixture, gcli_fixture  # noqa: F401 (fixtures)

# Real-shaped keys: base64 bodies with '+', '/' and '=' padding, comments with spaces and an '@'.
KEYS = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM+q/3x7YgT0Zr9vJ2k+/wQ8bP4yN1cR5tE6fH7uA9sL alice@laptop key #1\n"
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7+/vZ0fQ1kX9y2Ww3Rz4Tq5Ue6Vf7Wg8Xh9Yi0Zj1Ak2Bl3Cm4Dn5Eo6Fp7Gq8Hr9Is== "
    "bob & co 100%\n"
)
SECRET = "S3cr3t-p@ss w0rd+/="


def _template(gcli: SimCli) -> None:
    assert gcli("vm", "create", "--node", "pve1", "--name", "ci-base", "--disk", "local-lvm:8").code == 0
    assert gcli("vm", "template", "ci-base", "--yes").code == 0


def test_keys_round_trip_and_drive_is_added(gcli: SimCli, tmp_path: Path) -> None:
    _template(gcli)
    keyfile = tmp_path / "id.pub"
    keyfile.write_text(KEYS)
    run = gcli(
        "vm", "clone", "ci-base", "ci1", "--ci-user", "admin", "--ssh-key", str(keyfile),
        "--ipconfig", "ip=dhcp", "--ipconfig", "1:ip=10.0.0.5/24,gw=10.0.0.1", "--nameserver", "1.1.1.1",
        "--no-ci-upgrade",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    config = gcli("vm", "show", "ci1", "-o", "json").json()
    assert unquote(config["sshkeys"]) == KEYS
    assert config["ciuser"] == "admin" and config["ipconfig1"] == "ip=10.0.0.5/24,gw=10.0.0.1"
    assert config["ipconfig0"] == "ip=dhcp" and str(config["ciupgrade"]) == "0"
    drive = next(v for k, v in config.items() if "cloudinit" in str(v))
    assert drive.startswith("local-lvm:vm-") and "media=cdrom" in drive
    assert any(w.endswith("/cloudinit") and w.startswith("PUT") for w in gcli.writes())


def test_password_never_shown(gcli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    _template(gcli)
    monkeypatch.setenv("PVECTL_CI_PASSWORD", SECRET)
    dry = gcli("vm", "clone", "ci-base", "ci2", "--ci-user", "u", "--dry-run", "-o", "text")
    assert dry.code == 0, dry.stderr
    assert "cipassword" in dry.stdout and SECRET not in dry.stdout + dry.stderr
    run = gcli("-vv", "vm", "clone", "ci-base", "ci2", "--ci-user", "u")
    assert run.code == 0, run.stderr
    shown = gcli("vm", "show", "ci2", "-o", "json")
    for text in (run.stdout, run.stderr, shown.stdout, shown.stderr):
        assert SECRET not in text
    assert shown.json()["cipassword"] == "**********"
    sent = [r for r in gcli.requests if r.method == "PUT" and r.url.path.endswith("/config")]
    assert sent and b"cipassword" in sent[-1].content  # it was sent, only never shown


def test_bad_cloud_init_input(gcli: SimCli, tmp_path: Path) -> None:
    _template(gcli)
    before = len(gcli.writes())
    bad_ip = gcli("vm", "clone", "ci-base", "x", "--ipconfig", "dhcp")
    assert bad_ip.code == 2 and "--ipconfig" in bad_ip.stderr
    missing = gcli("vm", "clone", "ci-base", "x", "--ssh-key", str(tmp_path / "nope.pub"))
    assert missing.code == 2 and "--ssh-key" in missing.stderr
    assert len(gcli.writes()) == before
