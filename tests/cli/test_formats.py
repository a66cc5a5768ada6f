"""Every command that prints data honours every -o format, given before or after the command (table-driven).

Runs in-process against the embedded simulator (its own state dir) and a temporary config file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import Result

# (id, arguments after `pvectl`): every curated command that prints data, plus generated and pvesh-style ones.
COMMANDS: list[tuple[str, tuple[str, ...]]] = [
    ("vm list", ("vm", "list")),
    ("vm show", ("vm", "show", "dns1")),
    ("vm create --dry-run", ("vm", "create", "--node", "pve1", "--name", "fmt1", "--dry-run")),
    ("task list", ("task", "list")),
    ("api --list", ("api", "--list")),
    ("api get", ("api", "get", "/nodes")),
    ("api generated", ("api", "nodes", "list")),
    ("api generated object", ("api", "version")),
    ("config list", ("config", "list")),
    ("config show", ("config", "show", "lab")),
    ("sim status", ("sim", "status")),
    ("sim example-seed", ("sim", "example-seed")),
    ("completion show", ("completion", "show", "bash")),
]
FORMATS = ("json", "yaml", "table", "wide", "text")


@pytest.fixture(scope="module")
def sim_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("formats")
    env = {
        "PVECTL_SIM_STATE_DIR": str(root / "sim"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "PVECTL_CONFIG": str(root / "config" / "pvectl" / "config.toml"),
    }
    return env


@pytest.fixture
def cli(run: Callable[..., Result], sim_env: dict[str, str]) -> Callable[..., Result]:
    first = run("config", "set", "lab", "host=pve1.example.com", "node=pve1", env=sim_env)
    assert first.exit_code == 0, first.stderr
    if "sim_env_task" not in sim_env:  # one task, so that `task list` has a row
        task = run("--sim", "api", "create", "/nodes/pve1/qemu/100/status/reboot", env=sim_env)
        assert task.exit_code == 0, task.stderr
        sim_env["sim_env_task"] = "1"

    def invoke(*args: str) -> Result:
        return run(*args, env=sim_env)

    return invoke


def _parse(fmt: str, out: str) -> object:
    return json.loads(out) if fmt == "json" else yaml.safe_load(out)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("name", "args"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_format_before_and_after_the_command(
    cli: Callable[..., Result], name: str, args: tuple[str, ...], fmt: str
) -> None:
    before = cli("--sim", "-o", fmt, *args)
    after = cli(*args, "--sim", "--output", fmt)
    for result in (before, after):
        assert result.exit_code == 0, (name, fmt, result.stderr)
        assert result.stdout.strip(), (name, fmt, "empty output")
        if fmt in ("json", "yaml"):
            data = _parse(fmt, result.stdout)
            assert data not in (None, "", [], {}), (name, fmt)
    assert _strip_volatile(before.stdout) == _strip_volatile(after.stdout), name


def _strip_volatile(text: str) -> str:
    """vm create --dry-run picks the next free id, task lists grow: compare shapes, not those values."""
    return "".join(ch for ch in text if not ch.isdigit())


def test_config_list_json_has_a_boolean_current(cli: Callable[..., Result]) -> None:
    rows = cli("config", "list", "-o", "json").json()
    assert [r["current"] for r in rows if r["name"] == "lab"] == [True]


def test_json_is_never_truncated(cli: Callable[..., Result]) -> None:
    script = cli("completion", "show", "bash", "-o", "json").json()["script"]
    assert script == cli("completion", "show", "bash", "-o", "text").stdout


@pytest.mark.parametrize(
    "args",
    [("-o", "xml", "vm", "list"), ("vm", "list", "-o", "xml"), ("api", "version", "--output=XMLish")],
    ids=["before", "after", "generated"],
)
def test_a_bad_format_is_a_usage_error_before_anything_is_sent(
    run: Callable[..., Result], pve: object, args: tuple[str, ...]
) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: -o/--output: ") and "json" in result.stderr
    assert pve.requests == []  # type: ignore[attr-defined]


def test_query_columns_sort_and_headers(cli: Callable[..., Result]) -> None:
    names = cli("vm", "list", "--sim", "--query", "[?status=='running'].name", "-o", "json").json()
    assert names and all(isinstance(n, str) for n in names)
    text = cli("vm", "list", "--sim", "-o", "text", "--columns", "name,vmid", "--sort-by", "name", "--no-headers")
    lines = text.stdout.splitlines()
    assert lines == sorted(lines) and all(len(line.split("\t")) == 2 for line in lines)
    assert not lines[0].startswith("name")
    bad = cli("vm", "list", "--sim", "--columns", "nosuch")
    assert bad.exit_code == 2 and "--columns: no column 'nosuch'" in bad.stderr
    query = cli("vm", "list", "--sim", "--query", "[?")
    assert query.exit_code == 2 and query.stderr.startswith("error: --query:")


def test_wide_shows_more_columns_than_table(cli: Callable[..., Result]) -> None:
    table = cli("api", "get", "/cluster/resources", "--sim", "-o", "table").stdout.splitlines()[0].split()
    wide = cli("api", "get", "/cluster/resources", "--sim", "-o", "wide").stdout.splitlines()[0].split()
    assert len(wide) > len(table) and set(table) <= set(wide)


def test_no_wait_prints_a_bare_upid_or_an_object(cli: Callable[..., Result], tmp_path: Path) -> None:
    auto = cli("--sim", "vm", "start", "scratch", "--no-wait")
    assert auto.exit_code == 0, auto.stderr
    assert auto.stdout.startswith("UPID:") and auto.stdout.count("\n") == 1
    waited = cli("--sim", "task", "wait", auto.stdout.strip(), "-o", "json")
    assert waited.exit_code == 0, waited.stderr
    as_json = cli("--sim", "api", "nodes", "qemu", "status", "stop", "--node", "pve2", "--vmid", "102", "--no-wait",
                  "-o", "json")  # fmt: skip
    assert as_json.exit_code == 0, as_json.stderr
    assert set(as_json.json()) == {"upid"} and as_json.json()["upid"].startswith("UPID:")


def test_table_keeps_row_order_units_and_colours() -> None:
    from pvectl.cli.output import table_text

    rows = [
        {"vmid": 101, "name": "web1", "status": "stopped", "maxmem": 4 << 30},
        {"vmid": 100, "name": "dns1", "status": "running", "maxmem": 2 << 30},
    ]
    plain = table_text(rows, ["vmid", "name", "status", "maxmem"]).splitlines()
    assert plain == [
        "VMID  NAME  STATUS   MAXMEM",
        "101   web1  stopped  4.0 GiB",
        "100   dns1  running  2.0 GiB",
    ]
    coloured = table_text(rows, ["vmid", "status"], colour=True)
    assert "\x1b[1mVMID" in coloured and "\x1b[32mrunning" in coloured and "\x1b[31mstopped" in coloured
    assert "\x1b" not in table_text(rows, ["vmid", "status"])
