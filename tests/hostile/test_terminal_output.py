"""Server text never reaches the terminal raw: a server (here the simulator behind a transport that poisons its
answers) puts escape sequences in VM names, snapshot descriptions, task logs, task exit statuses and error
messages; text and table output show them escaped (``\\x1b``), JSON keeps escaping them its own way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pvectl.cli.output as output
from pvectl.cli.safe_text import safe_cell, safe_text
from tests.hostile.conftest import Handler, rewriting_cli
from tests.vm.conftest import Run, SimCli

# retitle the window, clear the screen, a C1 CSI (0x9b) colouring red, DEL, a bell, a carriage return
EVIL = "\x1b]0;owned\x07\x1b[2J\x9b31m\x7f\r"
RAW = ("\x1b", "\x9b", "\x07", "\x7f", "\r")


class Poison:
    """Which parts of the server's answers carry EVIL."""

    def __init__(self) -> None:
        self.keys = {"name", "description", "t"}  # VM names, snapshot descriptions, task log lines
        self.exitstatus = False  # finished tasks fail with a poisoned exit status
        self.error_on: str | None = None  # a path suffix answered 500 with a poisoned message


def _poisoned(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: (v + EVIL if k in keys and isinstance(v, str) else _poisoned(v, keys)) for k, v in value.items()}
    if isinstance(value, list):
        return [_poisoned(v, keys) for v in value]
    return value


@pytest.fixture
def poison() -> Poison:
    return Poison()


@pytest.fixture
def hcli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, poison: Poison) -> Iterator[SimCli]:
    def answer(request: httpx.Request, simulator: Handler) -> httpx.Response:
        if poison.error_on and request.url.path.endswith(poison.error_on):
            body = {"data": None, "message": f"refused{EVIL}\n"}
            return httpx.Response(500, json=body, extensions={"reason_phrase": f"refused{EVIL}".encode("latin-1")})
        response = simulator(request)
        if request.method != "GET" or response.status_code != 200:
            return response
        body = json.loads(response.read())
        body = _poisoned(body, poison.keys)
        data = body.get("data")
        finished = isinstance(data, dict) and data.get("status") == "stopped" and "exitstatus" in data
        if poison.exitstatus and request.url.path.endswith("/status") and finished:
            data["exitstatus"] = f"boom{EVIL}"
        return httpx.Response(200, json=body)

    yield from rewriting_cli(tmp_path, monkeypatch, answer)


def _clean(run: Run) -> None:
    for stream in (run.stdout, run.stderr):
        for raw in RAW:
            assert raw not in stream, (raw, stream)


@pytest.mark.parametrize("fmt", ["table", "wide", "text"])
def test_vm_list_shows_a_hostile_name_escaped(hcli: SimCli, fmt: str) -> None:
    run = hcli("vm", "list", "-o", fmt)
    assert run.code == 0, run.stderr
    _clean(run)
    assert "dns1\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\x7f\\x0d" in run.stdout


def test_vm_list_on_a_terminal_colours_only_its_own_cells(hcli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "_colour", lambda: True)  # as on a terminal: bold header, coloured states
    monkeypatch.setattr(output, "resolve", lambda fmt, piped="json": "table")
    run = hcli("vm", "list")
    assert run.code == 0
    assert "\x1b[1m" in run.stdout  # our own bold header
    for raw in ("\x1b]0;", "\x1b[2J", "\x9b", "\x07", "\x7f", "\r"):
        assert raw not in run.stdout


def test_json_and_yaml_keep_their_own_escaping(hcli: SimCli) -> None:
    as_json = hcli("vm", "list", "-o", "json")
    assert as_json.json()[0]["name"].endswith(EVIL)
    for raw in RAW:  # C0 as JSON escapes it; DEL and C1 (0x9b: a CSI) as \u007f, \u009b
        assert raw not in as_json.stdout
    assert "\\u009b31m\\u007f" in as_json.stdout
    as_yaml = hcli("vm", "list", "-o", "yaml")
    assert "\x1b" not in as_yaml.stdout


@pytest.mark.parametrize("fmt", ["table", "text"])
def test_vm_show(hcli: SimCli, fmt: str) -> None:
    run = hcli("vm", "show", "100", "-o", fmt)
    assert run.code == 0, run.stderr
    _clean(run)
    assert "\\x1b]0;owned" in run.stdout


def test_snapshot_descriptions(hcli: SimCli) -> None:
    assert hcli("vm", "snapshot", "create", "100", "before").code == 0  # VM 100, snapshot "before"
    run = hcli("vm", "snapshot", "list", "100", "-o", "table")
    assert run.code == 0, run.stderr
    _clean(run)
    assert "\\x1b]0;owned" in run.stdout


def test_bulk_progress_and_outcome_lines(hcli: SimCli) -> None:
    run = hcli("vm", "start", "100", "102", "-o", "table")
    _clean(run)
    assert "\\x1b]0;owned" in run.stdout + run.stderr


def test_task_log_under_verbose(hcli: SimCli) -> None:
    run = hcli("-v", "vm", "start", "102")
    assert run.code == 0, run.stderr
    _clean(run)
    assert "\\x1b]0;owned" in run.stderr  # the log lines, escaped


def test_task_error_status(hcli: SimCli, poison: Poison) -> None:
    poison.exitstatus = True
    run = hcli("vm", "start", "102")
    assert run.code != 0
    _clean(run)
    assert "boom\\x1b]0;owned" in run.stderr


def test_api_error_message(hcli: SimCli, poison: Poison) -> None:
    poison.error_on = "/status/start"
    run = hcli("vm", "start", "102")  # 102 is stopped: a start is sent (100 runs already: nothing is sent)
    assert run.code != 0
    _clean(run)
    assert "refused\\x1b]0;owned" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 or "\\n" not in run.stderr.splitlines()[0]


def test_http_trace_under_vv(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from pvectl.cli.connection import _traces

    _traces(2)
    try:
        logging.getLogger("pvectl.http").debug("< 200 OK\n\n%s", '{"data":[{"name":"dns1' + EVIL + '"}]}')
    finally:
        _traces(0)
    err = capsys.readouterr().err
    assert "dns1\\x1b]0;owned" in err
    for raw in RAW:
        assert raw not in err


def test_task_log_command(hcli: SimCli) -> None:
    started = hcli("vm", "start", "102", "--no-wait", "-o", "json")
    upid = started.stdout.strip().strip('"')
    if upid.startswith("{"):
        upid = json.loads(upid)["upid"]
    run = hcli("task", "log", upid)
    assert run.code == 0, run.stderr
    _clean(run)
    assert "\\x1b]0;owned" in run.stdout


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_escaped_text_has_no_control_character_but_tab_and_newline(text: str) -> None:
    for char in safe_text(text):
        assert char in "\t\n" or not (ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F), repr(char)
    for char in safe_cell(text):
        assert not (ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F), repr(char)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.dictionaries(st.sampled_from(["vmid", "name", "status"]), st.text(), min_size=1), min_size=1))
def test_tables_and_text_of_any_rows_carry_no_control_character(rows: list[dict[str, str]]) -> None:
    for rendered in (output.table_text(rows), output.text(rows)):
        assert not any((ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in rendered)


@pytest.mark.parametrize("command", [("diff",), ("apply", "--dry-run")])
def test_diff_and_apply_dry_run_show_live_values_escaped(
    hcli: SimCli, poison: Poison, tmp_path: Path, command: tuple[str, ...]
) -> None:
    poison.keys.add("tags")
    path = tmp_path / "vm.yaml"
    path.write_text("vmid: 100\nnode: pve1\nmemory: 4096\ntag: [a]\n")  # VM 100's name and tags are poisoned
    run = hcli(*command, "-f", str(path), "-o", "text")
    assert run.code in (0, 1), run.stderr
    _clean(run)
    assert "VM 100 (dns1\\x1b]0;owned" in run.stdout and "- tag: infra, prod\\x1b]0" in run.stdout


def test_diff_colours_only_its_own_marks() -> None:
    from pvectl.cli.filediff import change_lines
    from pvectl.vm.diff import Change

    text = "\n".join(change_lines(Change(key="name", kind="set", live="dns1" + EVIL, desired="dns1"), colour=True))
    assert "\x1b[31m  - name: dns1\\x1b]0;owned" in text and "\x1b[32m  + name: dns1" in text
    assert "\x1b]" not in text and "\x1b[2J" not in text and "\x9b" not in text and "\x07" not in text


def test_apply_prune_listing(hcli: SimCli, tmp_path: Path) -> None:
    path = tmp_path / "vm.yaml"
    path.write_text("vmid: 101\nnode: pve2\nmemory: 4096\ntag: [prod, web]\n")  # VM 100 (tag prod) is left out
    run = hcli("apply", "-f", str(path), "--prune", "-l", "tag=prod", "-o", "text", stdin="n\n")
    _clean(run)
    assert "100 dns1\\x1b]0;owned" in run.stderr, run.stderr


def test_migrate_plan_lines(hcli: SimCli) -> None:
    run = hcli("vm", "migrate", "100", "--to", "pve2", "--yes", "-o", "table")
    assert run.code == 0, run.stderr
    _clean(run)
    assert "100 dns1\\x1b]0;owned" in run.stderr  # the plan, on stderr before the move


def test_drain_plan_lines(hcli: SimCli) -> None:
    run = hcli("node", "drain", "pve1", "--yes", "-o", "table")
    _clean(run)
    assert "VM 100 dns1\\x1b]0;owned" in run.stderr and "CT 190 ns1\\x1b]0;owned" in run.stderr


def test_ct_snapshot_tree(hcli: SimCli) -> None:
    run = hcli("ct", "snapshot", "list", "190", "-o", "table")
    assert run.code == 0, run.stderr
    _clean(run)
    assert "CT 190 (ns1\\x1b]0;owned" in run.stdout


def test_console_lines_name_the_guest_escaped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import os

    import pvectl.console.session as session_module
    from pvectl.cli.attach import pump

    class ClosedByServer:
        terminated_by = None

        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def run(self, first: bytes) -> str:
            return "closed"

        def signal(self, signum: int) -> None:
            pass

        def close(self) -> None:
            pass

    read, write = os.pipe()
    try:
        monkeypatch.setattr(session_module, "Session", ClosedByServer)
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.FileIO(read, closefd=False)))
        monkeypatch.setattr("sys.stdout", io.TextIOWrapper(io.FileIO(write, "w", closefd=False)))
        assert pump(None, b"", f"VM 100 (dns1{EVIL})", "serial0") == 0  # type: ignore[arg-type]
    finally:
        os.close(read)
        os.close(write)
    err = capsys.readouterr().err
    assert "The console of VM 100 (dns1\\x1b]0;owned" in err
    for raw in RAW:
        assert raw not in err


@settings(max_examples=300, deadline=None)
@given(value=st.dictionaries(st.text(), st.text() | st.lists(st.text(), max_size=3), max_size=4))
def test_json_output_reads_back_and_carries_no_control_character(value: dict[str, Any]) -> None:
    rendered = output.json_text(value)
    assert json.loads(rendered) == value
    assert not any((ord(c) < 0x20 and c not in "\n") or 0x7F <= ord(c) <= 0x9F for c in rendered), rendered
    assert not any(c in rendered for c in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_a_huge_error_message_is_one_clipped_line(
    hcli: SimCli, poison: Poison, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken server's 200 KB error message (masked in linear time) shows its first 2,000 characters."""
    monkeypatch.setattr("tests.hostile.test_terminal_output.EVIL", "a" * 200_000)
    poison.error_on = "/status/start"
    run = hcli("vm", "start", "102")
    assert run.code != 0
    assert len(run.stdout) + len(run.stderr) < 2200, [len(line) for line in run.stderr.splitlines()]
    assert (
        run.stderr.startswith("error: VM 102 (scratch")
        and "more characters; -vv traces the whole answer)" in run.stderr
    )


def test_bulk_progress_lines_clip_a_huge_message(hcli: SimCli, poison: Poison, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.hostile.test_terminal_output.EVIL", "a" * 200_000)
    poison.keys, poison.error_on = set(), "/status/stop"
    run = hcli("vm", "stop", "-l", "tag=prod", "--yes", "-o", "json")
    assert run.code == 8
    assert all(len(line) < 2200 for line in run.stderr.splitlines()), [len(line) for line in run.stderr.splitlines()]
    assert run.stderr.count("more characters; -vv traces the whole answer)") == 2  # the two VMs' [!!] lines
    assert len(run.json()[0]["message"]) > 200_000  # the data is never cut


_CONTROLS = st.lists(
    st.sampled_from([*"\x1b\x07\x7f\x85\x9b\t\r\u202e\u2066\u200f\u00e9a "]) | st.characters(exclude_categories=["Cs"]),
    max_size=12,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(value=st.dictionaries(st.text(max_size=5), _CONTROLS | st.lists(_CONTROLS, max_size=3), max_size=4))
def test_yaml_output_reads_back_and_carries_no_control_character(value: dict[str, Any]) -> None:
    import yaml

    rendered = output.yaml_text(value)
    assert yaml.safe_load(rendered) == (value or None) or (value == {} and yaml.safe_load(rendered) == {})
    assert not any((ord(c) < 0x20 and c not in "\n") or 0x7F <= ord(c) <= 0x9F for c in rendered), rendered
    assert not any(c in rendered for c in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
