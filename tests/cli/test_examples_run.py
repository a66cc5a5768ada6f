"""Every example of `--help` (pvectl/cli/examples.py) and every pvectl command of the README runs as written on
the simulator (issue 28): each in-process against a fresh simulated world, with the files it reads provided.

Shell around the commands is played here: `$(...)`, `VAR=$(...)`, `|`, `> FILE`, `eval`, `echo`/`printf` into a
pipe, `VAR=value` in front. What cannot run without a terminal or a real host is skipped, with the reason.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.cli.examples import EXAMPLES
from pvectl.sim.world import first_seed
from tests.vm.conftest import SimCli, mount

README = Path(__file__).resolve().parents[2] / "README.md"

# Examples that cannot run in a test, and why (everything else must).
SKIP = {
    "pvectl vm create -i": "asks questions on a terminal",
    "pvectl vm create --tui": "a full-screen wizard on a terminal",
    "pvectl login": "asks for a password on a terminal",
    "pvectl sim serve": "serves until interrupted",
    "pvectl sim serve --port 8006": "serves until interrupted",
    "pvectl sim serve --seed world.yaml --faults task-slow:seconds=5": "serves until interrupted",
    "pvectl vm console web1": "attaches a terminal",
    "pvectl ct console web1": "attaches a terminal",
    "pvectl ct start|stop|shutdown|reboot|suspend|resume|delete web1": "a synopsis: one verb of the list at a time",
    "echo 'uname -a' | pvectl ct console 200": "the console needs a password login (the simulator's token here)",
    "pvectl vm console 100 --serial serial1": "attaches a terminal",
    "printf 'root\\n' | pvectl vm console web1": "the console needs a password login (the simulator's token here)",
    "pvectl vm console web1                                # attach; Ctrl-] detaches": "attaches a terminal",
    "pvectl vm create --node pve1 --name web3 --console    # create, start, attach": "attaches a terminal",
    "pvectl -c lab login --otp 123456": "logs in to a real host",
    "pvectl config add lab --host pve1.example.com --user root@pam --use": "asks a real host for its certificate",
    "pvectl config add ci --host 10.0.0.5 --user ci@pve --token-id ci": "asks a real host for its certificate",
    "pvectl config add lab --host pve1.example.com --user root@pam --token-id ci --use": "asks a real host",
    "pvectl completion install zsh": "writes into the user's shell setup",
    "pvectl completion install bash": "writes into the user's shell setup",
}

# Files the examples read, as a user would have them.
FILES = {
    "web1.yaml": "name: web5\nmemory: 4096\n",
    "web.yaml": "name: web5\nmemory: 4096\n",
    "vm.yaml": "name: web5\nmemory: 4096\n",
    "fleet.yaml": "- name: fleet1\n- name: fleet2\n  memory: 1024\n",
    "world.yaml": "vms: []\n",
    "id.pub": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEIQczXkVx9q newcomer@example\n",
    "script.sh": "echo hello\n",
    "ct1.yaml": "hostname: web5\ntemplate: debian-12\nnode: pve1\n",
}


def _readme_commands(upto: str | None = None) -> list[str]:
    """The pvectl command lines of the README's sh blocks (the install steps' pvectl parts), those before the
    heading ``upto`` when given."""
    out: list[str] = []
    block = False
    lines: list[str] = []
    text = README.read_text(encoding="utf-8")
    for line in text.split(upto)[0].splitlines() if upto else text.splitlines():  # a line ending in \ goes on
        if lines and lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1].rstrip() + " " + line.strip()
        else:
            lines.append(line)
    for line in lines:
        if line.startswith("```"):
            block = line.strip() == "```sh"
            continue
        if not block or line.lstrip().startswith("#") or "pvectl" not in line:
            continue
        for part in line.split(" && "):
            part = part.replace(".venv/bin/pvectl", "pvectl").strip()
            if "pvectl" in part and "pip install" not in part:
                out.append(part)
    return out


def _all_examples() -> list[str]:
    seen: dict[str, None] = {}
    for examples in EXAMPLES.values():
        for example in examples:
            seen.setdefault(example)
    for command in _readme_commands():
        seen.setdefault(command)
    return list(seen)


# The config file of a user with two contexts (the config examples name them).
CONFIG = """current-context = "lab"

[contexts.lab]
host = "127.0.0.1"
user = "root@pam"

[contexts.old-lab]
host = "127.0.0.2"
user = "root@pam"
"""

# The world a new `--sim` state starts from (also `pvectl sim reset --seed examples`): what the examples name.
WORLD = first_seed()

JOB = "--schedule 02:00 --storage nfs --vmid 100,101"  # a scheduled backup job the job examples name

# What the world needs before an example makes sense (a VM to start must be stopped, a snapshot to roll back
# must exist), by a word of the example.
PREPARE: list[tuple[str, tuple[str, ...]]] = [
    (r"vm start|status/start", ("vm stop --all --yes",)),
    (r"vm start app1", ("vm create --name app1 --ci-user admin --ipconfig ip=dhcp",)),  # the README's line before
    (r"api delete /nodes/pve1/qemu/100|vm delete 100", ("vm stop 100 --yes",)),
    (r"vm suspend -l tag=lab", ("vm start scratch",)),
    (r"vm resume -l tag=lab", ("vm start scratch", "vm suspend scratch --yes")),
    (r"--for status=stopped", ("vm stop web1 --yes",)),
    (r"before-upgrade --yes|rollback web1 before-upgrade", ("vm snapshot create web1 before-upgrade",)),
    (r"clone debian-12-cloud|clone 9000", ("vm template 9000 --yes",)),
    (r"nightly-20261127-020000", ("vm snapshot create 100 nightly-20261127-020000",)),
    (r"backup job (show|run) backup-7f3c2a1e", (f"api create /cluster/backup --id backup-7f3c2a1e {JOB}",)),
    (r"backup job run nightly", (f"api create /cluster/backup --id nightly {JOB}",)),
    (r"backup restore pbs:backup/vm/100/", ("vm stop 100 --yes",)),
    (r"ct (start|delete|clone|template convert) web1", ("ct stop web1",)),
    (r"ct resume web1", ("ct suspend web1",)),
    (r"ct (clone|template convert) tmpl|ct clone tmpl", ("ct template convert tmpl",)),
    (r"ct clone web1 --linked", ("ct template convert web1",)),
    (r"ct snapshot (rollback|delete) web1 before-upgrade", ("ct snapshot create web1 before-upgrade",)),
]

# Placeholders the examples show for a value only the user has (a task id): replaced by a real one.
UPID_PLACEHOLDERS = ("UPID:pve1:000A1B2C:...", "UPID:pve1:...")

# Commands that are not about the simulated server (no --sim added).
LOCAL = ("config", "logout", "login", "completion", "sim")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimCli]:
    yield from _mounted(tmp_path, monkeypatch, WORLD)


@pytest.fixture
def default_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimCli]:
    yield from _mounted(tmp_path, monkeypatch, first_seed())


def _mounted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: dict[str, Any]) -> Iterator[SimCli]:
    from pvectl.sim.handlers import agent

    monkeypatch.setattr(agent, "BOOT_SECONDS", 0.0)  # the guest agent answers at once (the SDK's clock is fake)
    monkeypatch.setattr(agent, "IP_SECONDS", 0.0)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "xdg_config_home" / "pvectl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG)
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir()
    (ssh / "id_ed25519.pub").write_text(FILES["id.pub"])
    # the real clock: the simulated guest runs a command for half a second
    yield from mount(tmp_path, monkeypatch, {"task_seconds": 0, **seed}, SimCli)


def _strip_comment(line: str) -> str:
    return re.split(r"\s{2,}#\s", line, maxsplit=1)[0].strip()


def _pvectl(argv: list[str], stdin: str | None, env: dict[str, str]) -> tuple[int, str, str]:
    assert argv[0] == "pvectl", argv
    args = argv[1:]
    if "--sim" not in args and args[0] not in LOCAL:
        args = ["--sim", *args]
    result = CliRunner().invoke(app, args, input=stdin, env=env or None)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _run_line(line: str) -> tuple[int, str, str]:
    """Run one example line as the shell would; the last command's exit code, stdout and all stderr."""
    errors: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        code, out, err = _run_line(match.group(1))
        errors.append(err)
        assert code == 0, f"$({match.group(1)}) exited {code}: {err}"
        return out.strip()  # in the examples inside double quotes, and a UPID has no blank

    if " ; " in line:
        results = [_run_line(part) for part in line.split(" ; ")]
        return results[-1][0], results[-1][1], "".join(r[2] for r in results)
    line = re.sub(r"\$\((pvectl [^)]*)\)", substitute, line)
    line = line.replace("~/", str(Path.home()) + "/")
    line = line.replace('"$PW"', "s3cret-Pw")
    line = line.replace('"$VOLID"', "nfs:backup/vzdump-qemu-100-2025_01_31-02_00_00.vma.zst")
    tokens = shlex.split(line)
    env: dict[str, str] = {}
    while tokens and re.match(r"^[A-Z_]+=", tokens[0]):
        name, value = tokens.pop(0).split("=", 1)
        env[name] = value
    if not tokens:
        return 0, "", "".join(errors)
    if tokens[0] == "eval":
        return 0, "", "".join(errors)  # its command ran as the substitution
    stages: list[list[str]] = [[]]
    for token in tokens:
        if token == "|":
            stages.append([])
        else:
            stages[-1].append(token)
    stdin: str | None = None
    code, out = 0, ""
    for stage in stages:
        target = None
        if ">" in stage:
            at = stage.index(">")
            stage, target = stage[:at], stage[at + 1]
        if stage[0] in ("echo", "printf"):
            out = " ".join(stage[1:]).replace("\\n", "\n") + ("\n" if stage[0] == "echo" else "")
            stdin = out
            continue
        code, out, err = _pvectl(stage, stdin, env)
        errors.append(err)
        if target is not None:
            Path(target).write_text(out)
            out = ""
        stdin = out
    return code, out, "".join(errors)


# Exit codes an example is documented to end with (diff: 1 = there are changes).
EXPECTED_CODE = {"pvectl diff -f web1.yaml": 1, "pvectl diff -f web.yaml": 1}


@pytest.mark.parametrize("example", _all_examples())
def test_example_runs_as_written_on_the_simulator(world: SimCli, example: str) -> None:
    line = _strip_comment(example)
    if example in SKIP or line in SKIP:
        pytest.skip(SKIP.get(example) or SKIP[line])
    for pattern, commands in PREPARE:
        if re.search(pattern, line):
            for command in commands:
                code, _, err = _run_line(f"pvectl {command}")
                assert code == 0, f"preparing with {command}: {err}"
    if "UPID" in line:
        upid = _run_line("pvectl vm start scratch --no-wait")[1].strip()
        for placeholder in UPID_PLACEHOLDERS:
            line = line.replace(placeholder, upid)
        line = re.sub(r"\bUPID$", upid, line)
    stdin = {"pvectl config set lab token-secret=-": "the-token-secret\n"}.get(line)
    code, out, err = _run_line(line if stdin is None else f"echo {stdin.strip()} | {line}")
    assert code == EXPECTED_CODE.get(line, 0), f"{line}\nexit {code}\nstdout: {out[-800:]}\nstderr: {err[-1500:]}"
    assert "Traceback" not in err


# What a newcomer runs first, on the world a new `--sim` state starts with, in this order: the root help's
# examples, vm's and vm create's, and the README up to its first heading after creating VMs.
FIRST_STEPS = [
    *dict.fromkeys(
        [*EXAMPLES[""], *EXAMPLES["vm"], *EXAMPLES["vm create"], *EXAMPLES["vm list"], *_readme_commands("## Many")]
    )
]


@pytest.mark.parametrize("example", FIRST_STEPS)
def test_the_first_steps_run_on_the_default_world(default_world: SimCli, example: str) -> None:
    line = _strip_comment(example)
    if example in SKIP or line in SKIP:
        pytest.skip(SKIP.get(example) or SKIP[line])
    for pattern, commands in PREPARE:
        if re.search(pattern, line):
            for command in commands:
                assert _run_line(f"pvectl {command}")[0] == 0, command
    code, out, err = _run_line(line)
    assert code == 0, f"{line}\nexit {code}\nstdout: {out[-800:]}\nstderr: {err[-1500:]}"


def test_the_examples_are_found() -> None:
    examples = _all_examples()
    assert "pvectl --sim vm create --name web3 --memory 4096" in examples
    assert any(e.startswith("pvectl --sim vm create --node pve1 --name demo") for e in examples)
    assert len(examples) > 120
