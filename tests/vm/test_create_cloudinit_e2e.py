"""`vm create` with cloud-init over real HTTPS to the embedded simulator, in fresh processes: the keys come back
unchanged, the password (read from stdin) appears in no output, -vv traces included, and --wait ip prints the
address."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

from tests.cli._subproc import ROOT, pvectl
from tests.vm.test_cli_cloudinit import KEYS, SECRET
from tests.vm.test_e2e import env_for


def test_create_with_cloud_init_over_https(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    keys = tmp_path / "keys.pub"
    keys.write_text(KEYS)
    args = ["--sim", "-vv", "vm", "create", "--node", "pve1", "--name", "web9", "--disk", "local-lvm:8",
            "--ci-user", "admin", "--ci-password-stdin", "--ssh-key", str(keys), "--ipconfig", "ip=dhcp",
            "--wait", "ip", "--timeout", "1m"]  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "pvectl", *args],
        input=SECRET + "\n",
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().startswith("192.0.2.")
    assert "https://" in run.stderr and "cipassword=***" in run.stderr  # the -vv trace shows the request, masked
    assert SECRET not in run.stdout + run.stderr
    shown = pvectl("--sim", "vm", "show", "web9", "-o", "json", env=env)
    assert shown.code == 0 and SECRET not in shown.stdout
    data = json.loads(shown.stdout)
    assert unquote(data["sshkeys"]) == KEYS and data["ciuser"] == "admin" and data["cipassword"] == "**********"
