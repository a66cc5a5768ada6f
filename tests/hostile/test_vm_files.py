"""Hostile VM files (`apply -f`, `diff -f`, `vm create --from-file`, `-f -`): an alias bomb, /dev/zero, a binary
file, deep nesting and duplicate keys each end in one error line naming the file (and the line where known), exit
2, nothing sent; never "internal error" or a memory blow-up. Plus property tests of the bounded loader."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvectl.vm.fileload import MAX_DEPTH, MAX_FILE_BYTES, FileLoadError, decode, json_document, yaml_documents
from tests.vm.conftest import SimCli

LAUGHS = "".join(f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join([f'*{chr(96 + i)}'] * 9)}]\n" for i in range(1, 9))
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + LAUGHS  # ~400 bytes, 9**9 values

YAML_CASES: dict[str, tuple[bytes, str]] = {
    # name: (file content, what the one error line says)
    "alias bomb": (BOMB.encode(), "aliases expand to more than"),
    "binary": (bytes(range(256)) * 4, "a NUL byte: not a text file"),
    "latin-1": ("name: caf\u00e9\n".encode("latin-1"), "line 1: not UTF-8 text"),
    "5000 levels": (b"[" * 5000 + b"]" * 5000, f"line 1: nested deeper than {MAX_DEPTH} levels"),
    "deep mapping": ("".join(" " * i + "k:\n" for i in range(200)).encode(), "nested deeper than"),
    "duplicate key": (
        b"name: web9\nmemory: 1024\nmemory: 8192\n",
        "line 3: key 'memory' is given twice (first on line 2)",
    ),
    "self alias": (b"name: &n [*n]\n", "refers to the value it is in"),
    "control char": (b"name: \x1b]0;x\x07\n", "is not allowed in YAML"),
    "too large": (b"# " + b"x" * MAX_FILE_BYTES + b"\n", "larger than 1024 KiB"),
}


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and "internal error" not in lines[0] and "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("case", list(YAML_CASES))
@pytest.mark.parametrize("command", ["diff", "apply"])
def test_diff_and_apply_refuse_a_hostile_file(cli: SimCli, tmp_path: Path, case: str, command: str) -> None:
    content, says = YAML_CASES[case]
    path = tmp_path / "vms.yaml"
    path.write_bytes(content)
    run = cli(command, "-f", str(path))
    assert run.code == 2, run.stdout + run.stderr
    line = _one_error_line(run.stderr)
    assert f"-f {path}" in line and says in line, line
    assert cli.writes() == []


@pytest.mark.parametrize("case", ["alias bomb", "binary", "5000 levels", "duplicate key"])
def test_standard_input_is_read_the_same_way(cli: SimCli, case: str) -> None:
    content, says = YAML_CASES[case]
    run = cli("diff", "-f", "-", stdin=content.decode("latin-1"))  # the runner encodes text as UTF-8
    assert run.code == 2
    line = _one_error_line(run.stderr)
    assert "-f -" in line and ("not UTF-8" in line or says in line), line


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("command", [("diff", "-f"), ("apply", "-f"), ("vm", "create", "--from-file")])
def test_dev_zero_is_read_only_up_to_the_cap(cli: SimCli, command: tuple[str, ...]) -> None:
    run = cli(*command, "/dev/zero")
    assert run.code == 2
    line = _one_error_line(run.stderr)
    assert "/dev/zero" in line and "not a text file" in line


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("vm.yaml", YAML_CASES["alias bomb"][0], "line 6: aliases expand"),
        ("vm.yaml", YAML_CASES["duplicate key"][0], "line 3: key 'memory' is given twice"),
        ("vm.yaml", YAML_CASES["binary"][0], "not a text file"),
        ("vm.json", b'{"name": "web9", "memory": 1024, "memory": 8192}', "key 'memory' is given twice"),
        ("vm.json", b"[" * 5000 + b"]" * 5000, "nested deeper than"),
        ("vm.json", b"[" * 100 + b"]" * 100, "nested deeper than"),
        ("vm.json", '{"name": "caf\u00e9"}'.encode("latin-1"), "not UTF-8 text"),
    ],
)
def test_create_from_file_refuses_a_hostile_file(
    cli: SimCli, tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    run = cli("vm", "create", "--from-file", str(path))
    assert run.code == 2
    line = _one_error_line(run.stderr)
    assert f"--from-file {path}" in line and says in line, line
    assert cli.writes() == []


def test_merge_keys_and_anchors_still_work(cli: SimCli, tmp_path: Path) -> None:
    path = tmp_path / "vms.yaml"
    path.write_text(
        "- &base {name: fleet1, node: pve1, memory: 1024, cores: 1}\n- {<<: *base, name: fleet2, memory: 2048}\n"
    )
    run = cli("diff", "-f", str(path))
    assert run.code == 1, run.stderr
    assert "new VM (name fleet2): create" in run.stdout and "+ memory: 2048" in run.stdout


def test_diff_refuses_what_apply_refuses(cli: SimCli, tmp_path: Path) -> None:
    path = tmp_path / "vm.yaml"
    path.write_text("name: bad_vm!\nnode: pve1\nmemory: -5\n")
    diff, apply = cli("diff", "-f", str(path)), cli("apply", "-f", str(path))
    assert (diff.code, apply.code) == (2, 2)
    assert "new VM (name bad_vm!): create" in diff.stdout  # what apply would try, then why it refuses
    for run in (diff, apply):
        assert "'bad_vm!' is not a valid DNS name" in run.stderr and "must be at least 16 MiB, got -5" in run.stderr
    assert cli.writes() == []


def test_diff_refuses_what_apply_refuses_for_a_vm_that_exists(cli: SimCli, tmp_path: Path) -> None:
    """A change PVE's schema refuses: apply refused it only mid-run ('whether it applied is unknown', exit 8)."""
    path = tmp_path / "vm.yaml"
    path.write_text("vmid: 100\nnode: pve1\nname: bad_vm!\nmemory: -5\n")
    diff, apply = cli("diff", "-f", str(path)), cli("apply", "-f", str(path))
    assert (diff.code, apply.code) == (2, 2), apply.stdout + apply.stderr
    assert "+ memory: -5" in diff.stdout  # the diff, then why apply refuses it
    assert "(apply would refuse it)" in diff.stderr and "(nothing was sent)" in apply.stderr
    for run in (diff, apply):
        assert "VM 100 (dns1) on pve1: memory: invalid format" in run.stderr and "minimum value of 16" in run.stderr
        assert "VM 100 (dns1) on pve1: name: invalid format - value does not look like a valid DNS name" in run.stderr
    assert cli.writes() == []


def test_vm_set_of_a_value_the_schema_refuses_is_not_sent(cli: SimCli) -> None:
    run = cli("vm", "set", "100", "--memory", "-5")
    assert run.code == 2, run.stderr
    assert "minimum value of 16" in run.stderr and "nothing was sent" in run.stderr and "unknown" not in run.stderr
    assert cli.writes() == []


# Property tests of the loader: any text ends in data or one FileLoadError line, never another exception.

_YAMLISH = st.lists(st.sampled_from([*"ab:-[]{}&*!|>'\"#,? \n\t0", "<<", "&a", "*a", "\x1b"]), max_size=80).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=_YAMLISH)
def test_any_yaml_text_loads_or_fails_in_one_line(text: str) -> None:
    message = "-f t.yaml: "
    try:
        yaml_documents(text, "-f t.yaml")
    except FileLoadError as exc:
        message = str(exc)
    assert message.startswith("-f t.yaml: ") and "\n" not in message


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_decode_or_fail_in_one_line(data: bytes) -> None:
    problems = []
    try:
        text = decode(data, "-f b")
        for load in (yaml_documents, json_document):
            try:
                load(text, "-f b")
            except FileLoadError as exc:
                problems.append(str(exc))
    except FileLoadError as exc:
        problems.append(str(exc))
    assert all("\n" not in problem and problem.startswith("-f b: ") for problem in problems)


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10))
_NESTED = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_NESTED)
def test_ordinary_data_reads_back_unchanged(value: Any) -> None:
    """The bounds refuse nothing an ordinary file holds: data within them reads back as it was written."""
    assert json_document(json.dumps(value), "-f v.json") == value
    assert yaml_documents(yaml.safe_dump(value), "-f v.yaml") == [value]


@settings(max_examples=100, deadline=None)
@given(levels=st.integers(1, 3 * MAX_DEPTH), bracket=st.sampled_from(["[]", "{}"]))
def test_depth_is_capped_exactly(levels: int, bracket: str) -> None:
    opening, closing = bracket[0], bracket[1]
    inner = '"a": 1' if opening == "{" else "1"
    text = (opening + ('"k": ' if opening == "{" else "")) * (levels - 1) + opening + inner + closing * levels
    for load in (json_document, yaml_documents):
        if levels <= MAX_DEPTH:
            load(text, "-f d")
        else:
            with pytest.raises(FileLoadError, match="nested deeper"):
                load(text, "-f d")


def test_only_what_aliases_stand_for_counts_against_their_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import pvectl.vm.fileload as fileload

    monkeypatch.setattr(fileload, "MAX_ALIAS_VALUES", 50)
    many = [{"name": f"vm{i}", "memory": 1024} for i in range(40)]  # 200 values written out: no alias
    assert yaml_documents(yaml.safe_dump(many), "-f m") == [many]
    base = "base: &b {a: 1, b: 2, c: 3, d: 4}\n"  # 9 values
    assert yaml_documents(base + "".join(f"v{i}: *b\n" for i in range(5)), "-f m")  # 45 through aliases
    with pytest.raises(FileLoadError, match="line 7: aliases expand to more than 50 values"):
        yaml_documents(base + "".join(f"v{i}: *b\n" for i in range(6)), "-f m")


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("ct.yaml", YAML_CASES["alias bomb"][0], "line 6: aliases expand"),
        ("ct.yaml", b"hostname: ct9\nmemory: 1024\nmemory: 8192\n", "line 3: key 'memory' is given twice"),
        ("ct.yaml", YAML_CASES["binary"][0], "not a text file"),
        ("ct.yaml", YAML_CASES["5000 levels"][0], "nested deeper than"),
        ("ct.yaml", YAML_CASES["too large"][0], "larger than 1024 KiB"),
        ("ct.json", b'{"hostname": "ct9", "memory": 1024, "memory": 8192}', "key 'memory' is given twice"),
        ("ct.json", b"[" * 5000 + b"]" * 5000, "nested deeper than"),
        ("ct.yaml", "hostname: caf\u00e9\n".encode("latin-1"), "not UTF-8 text"),
    ],
)
def test_ct_create_from_file_refuses_a_hostile_file(
    cli: SimCli, tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    run = cli("ct", "create", "--from-file", str(path), "--template", "debian-12")
    assert run.code == 2, run.stderr
    line = _one_error_line(run.stderr)
    assert f"--from-file {path}" in line and says in line, line
    assert cli.writes() == []


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_ct_create_reads_dev_zero_only_up_to_the_cap(cli: SimCli) -> None:
    run = cli("ct", "create", "--from-file", "/dev/zero", "--template", "debian-12")
    assert run.code == 2
    assert "/dev/zero" in _one_error_line(run.stderr)


def test_diff_refuses_what_apply_refuses_for_a_container_that_exists(cli: SimCli, tmp_path: Path) -> None:
    path = tmp_path / "ct.yaml"
    path.write_text("kind: ct\nvmid: 190\nnode: pve1\nhostname: bad_ct!\nmemory: -5\n")
    diff, apply = cli("diff", "-f", str(path)), cli("apply", "-f", str(path))
    assert (diff.code, apply.code) == (2, 2), apply.stdout + apply.stderr
    for run in (diff, apply):
        assert (
            "CT 190 (ns1) on pve1: hostname: invalid format - value does not look like a valid DNS name" in run.stderr
        )
        assert "CT 190 (ns1) on pve1: memory: value must have a minimum value of 16" in run.stderr
    assert cli.writes() == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("vm.yaml", 'name: "web\\ud800"\n'),
        ("vm.yaml", 'name: "web\\U0000DC00"\n'),
        ("vm.json", '{"name": "web\\uD800"}'),
    ],
)
def test_a_lone_surrogate_escape_is_refused(cli: SimCli, tmp_path: Path, name: str, content: str) -> None:
    """Half a UTF-16 pair reads as a str no UTF-8 output can write: printing it gave 'internal error'."""
    path = tmp_path / name
    path.write_text(content)
    run = cli("vm", "create", "--from-file", str(path), "--dry-run")
    assert run.code == 2
    assert "is half of a UTF-16 pair, not a character" in _one_error_line(run.stderr)
    assert json_document('{"name": "web\\ud83d\\ude00"}', "-f v") == {"name": "web\U0001f600"}  # a pair reads


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("command", [("vm", "create", "--name", "k1"), ("ct", "create", "--hostname", "k1")])
def test_an_ssh_key_file_is_read_only_up_to_64_kib(cli: SimCli, tmp_path: Path, command: tuple[str, ...]) -> None:
    big = tmp_path / "keys"
    big.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2Q0vsSs0Vj3Rn1m0Z0Q5vH1bFJqkDmAeaY0eWZLJ0V u@h\n" * 1000)
    for path in ("/dev/zero", str(big)):  # /dev/zero was read until memory ran out
        run = cli(*command, "--ssh-key", path, "--dry-run")
        assert run.code == 2
        assert f"--ssh-key: {path} is larger than 64 KiB: not a public key file" in _one_error_line(run.stderr)
    assert cli.writes() == []
