"""Odd values in a server's answers (a number that is not one, a snapshot tree with a cycle) give a listing or one
error line, never 'internal error'. Found by mutating one key of the simulator's answers at a time across 15
commands; the in-process runner raises what the real CLI would report as 'internal error'."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pvectl.vm.snapshots import Snap, tree_lines
from tests.hostile.conftest import Handler, rewriting_cli
from tests.vm.conftest import SimCli


class Odd:
    """Every ``key`` in the GET answers is replaced by ``value``."""

    key = ""
    value: Any = None


def _mutated(data: Any, odd: Odd) -> Any:
    if isinstance(data, dict):
        return {k: (odd.value if k == odd.key else _mutated(v, odd)) for k, v in data.items()}
    if isinstance(data, list):
        return [_mutated(v, odd) for v in data]
    return data


@pytest.fixture
def odd() -> Odd:
    return Odd()


@pytest.fixture
def ocli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: Odd) -> Iterator[SimCli]:
    def answer(request: httpx.Request, simulator: Handler) -> httpx.Response:
        response = simulator(request)
        if request.method != "GET" or response.status_code != 200 or not odd.key:
            return response
        return httpx.Response(200, json=_mutated(json.loads(response.read()), odd))

    yield from rewriting_cli(tmp_path, monkeypatch, answer)


@pytest.mark.parametrize(
    ("command", "key", "value", "shown"),
    [
        ("vm list -o wide", "uptime", "y", " y"),
        ("vm list", "maxmem", "lots", "lots"),
        ("ct list -o table", "maxmem", "lots", "lots"),
        ("guest list -o table", "maxmem", "lots", "lots"),
        ("node list -o table", "uptime", "x", " x "),
        ("node list -o table", "cpu", "x", " x "),
        ("node list -o table", "mem", "x", " x "),
    ],
)
def test_a_number_that_is_not_one_is_shown_as_it_came(
    ocli: SimCli, odd: Odd, command: str, key: str, value: Any, shown: str
) -> None:
    odd.key, odd.value = key, value
    run = ocli(*command.split())
    assert run.code == 0, run.stderr
    assert shown in run.stdout


def test_a_move_planned_on_an_odd_memory_size_is_one_error_line(ocli: SimCli, odd: Odd) -> None:
    odd.key, odd.value = "maxmem", "x"
    run = ocli("vm", "migrate", "100", "--to", "pve2", "--yes")
    assert run.code == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "maxmem of VM 100" in lines[0] and 'returned "x"' in lines[0], run.stderr


def test_a_snapshot_named_nothing_is_listed(ocli: SimCli, odd: Odd) -> None:
    """name '' for every snapshot: "current" has the parent "" that is itself (the walk recursed forever)."""
    assert ocli("vm", "snapshot", "create", "100", "before").code == 0
    odd.key, odd.value = "name", ""
    run = ocli("vm", "snapshot", "list", "100", "-o", "table")
    assert run.code == 0, run.stderr


def _snap(name: str, parent: str, when: int = 1) -> Snap:
    return Snap(name, parent, when, "", False)


def test_a_snapshot_cycle_lists_each_once() -> None:
    lines = tree_lines([_snap("a", "b"), _snap("b", "a", 2), _snap("current", "a")])
    assert lines == ["`- a  1970-01-01 00:00:01", "  `- b  1970-01-01 00:00:02", "  `- current  <- you are here"]


def test_a_long_snapshot_chain_needs_no_recursion_and_stays_linear() -> None:
    chain = [_snap(f"s{i}", f"s{i - 1}" if i else "", i) for i in range(5000)]
    lines = tree_lines(chain)
    assert len(lines) == 5000 and max(len(line) for line in lines) < 120


def test_the_tree_is_unchanged_for_an_ordinary_list() -> None:
    snaps = [_snap("a", "", 1), _snap("b", "a", 2), _snap("c", "a", 3), _snap("current", "c")]
    assert tree_lines(snaps) == [
        "`- a  1970-01-01 00:00:01",
        "  `- b  1970-01-01 00:00:02",
        "  `- c  1970-01-01 00:00:03",
        "    `- current  <- you are here",
    ]


def test_a_drain_planned_on_an_odd_node_memory_is_one_error_line(ocli: SimCli, odd: Odd) -> None:
    odd.key, odd.value = "maxmem", "x"  # the nodes' and the VMs' (the VMs' is met first)
    run = ocli("node", "drain", "pve1", "--yes")
    assert run.code == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "maxmem of " in lines[0] and 'returned "x"' in lines[0], run.stderr
