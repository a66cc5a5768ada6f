"""File errors in the file's terms (issue 28, confusing texts): 'document N', never 'VM N', for container
documents too; no pydantic wording ("Input should be a valid integer", class names); the key as the file names it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.guest.validation_text import plain_validation
from tests.vm.conftest import SimCli, sim_cli


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimCli]:
    yield from sim_cli(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("args", "text", "message"),
    [
        (("apply", "-f"), "- kind: ct\n  hostname: c1\n  memory: lots\n", "document 1 (name c1): memory: expected a whole number (got 'lots')"),
        (("apply", "-f"), "- name: a1\n- kind: ct\n  vmid: 100\n", "document 2: vmid: 100 is a VM, the document a container"),
        (("vm", "create", "--from-file"), "name: q\nmemory: lots\n", ": memory: expected a whole number"),
        (("vm", "create", "--from-file"), "name: q\nstart: maybe\n", ": start: expected true or false"),
        (("vm", "create", "--from-file"), "name: q\nmemory: {size: 1}\n", ": memory.size: unknown key"),
        (("ct", "create", "--from-file"), "hostname: c1\ntemplate: debian-12\nunprivileged: maybe\n", "unprivileged: expected true or false (got 'maybe')"),
    ],
)  # fmt: skip
def test_file_errors_name_the_document_and_speak_plainly(
    cli: SimCli, tmp_path: Path, args: tuple[str, ...], text: str, message: str
) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(text)
    run = cli(*args, str(path), "--dry-run")
    assert run.code == 2, run.stderr
    assert message in run.stderr
    assert "Input should" not in run.stderr and "VM 1" not in run.stderr and "VM 2" not in run.stderr
    assert cli.writes() == []


def test_vm_defaults_errors_name_the_key_once(cli: SimCli, tmp_path: Path) -> None:
    config = Path(tmp_path / "xdg_config_home" / "pvectl" / "config.toml")
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[vm.defaults]\nmemory = "lots"\n')
    run = cli("vm", "create", "--name", "z", "--dry-run")
    assert run.code == 2
    assert run.stderr.rstrip().endswith("[vm.defaults] memory: expected a whole number"), run.stderr


@pytest.mark.parametrize(
    ("pydantic", "plain"),
    [
        ("Input should be a valid dictionary or instance of Memory", "expected a mapping of keys to values"),
        ("Input should be a valid integer, unable to parse string as an integer", "expected a whole number"),
        ("Input should be greater than or equal to 1", "must be at least 1"),
        ("Input should be less than or equal to 4", "must be at most 4"),
        ("Value error, not a bridge name", "not a bridge name"),
        ("Extra inputs are not permitted", "unknown key"),
    ],
)
def test_pydantic_wording_becomes_the_files_terms(pydantic: str, plain: str) -> None:
    assert plain_validation(pydantic) == plain
