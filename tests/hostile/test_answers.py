"""Hostile answers: a deeply nested or endless JSON answer gives one error line and a bounded wait, never a
traceback, "internal error" or a memory blow-up (the SDK's bounded read and depth check, through `pvectl api`)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pvectl.sdk._core.bounds as bounds
from pvectl.sdk import ApiError
from pvectl.sdk._core.bounds import MAX_ANSWER_DEPTH, nests_deeper
from pvectl.sdk._core.request import BIG_ANSWER, interpret
from tests.hostile.conftest import Handler, rewriting_cli
from tests.vm.conftest import SimCli


def nested(levels: int, kind: str = "list") -> bytes:
    """``{"data": …}`` with ``levels`` levels in all (the envelope is one)."""
    inner = levels - 1
    body = "[" * inner + "1" + "]" * inner if kind == "list" else '{"a":' * inner + "1" + "}" * inner
    return ('{"data":' + body + "}").encode()


class Hostile:
    """What the server answers for GET /cluster/resources (None: the simulator's answer)."""

    body: bytes | None = None
    endless = False


@pytest.fixture
def hostile() -> Hostile:
    return Hostile()


@pytest.fixture
def hcli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: Hostile) -> Iterator[SimCli]:
    served: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b'{"data":["'
        while True:
            served.append(1)
            yield b"x" * 65536

    def answer(request: httpx.Request, simulator: Handler) -> httpx.Response:
        if request.url.path.endswith("/cluster/resources"):
            if hostile.endless:
                return httpx.Response(200, content=endless())
            if hostile.body is not None:
                return httpx.Response(200, content=hostile.body)
        return simulator(request)

    for runner in rewriting_cli(tmp_path, monkeypatch, answer):
        runner.served = served  # type: ignore[attr-defined]
        yield runner


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    "body",
    [
        nested(MAX_ANSWER_DEPTH + 1),
        nested(20_000),  # 40 KB: json.loads' path, which recursed out on main
        nested(100_000, "object"),  # 600 KB: orjson's path
    ],
    ids=["just-too-deep", "20k-levels-small", "100k-levels-big"],
)
@pytest.mark.parametrize("fmt", ["json", "yaml", "table"])
def test_a_deep_answer_is_one_error_line(hcli: SimCli, hostile: Hostile, body: bytes, fmt: str) -> None:
    hostile.body = body
    run = hcli("api", "get", "/cluster/resources", "-o", fmt)
    assert run.code == 1
    assert "more than 128 levels deep" in _one_line(run.stderr)


def test_an_answer_at_the_depth_limit_is_read(hcli: SimCli, hostile: Hostile) -> None:
    hostile.body = nested(MAX_ANSWER_DEPTH)
    run = hcli("api", "get", "/cluster/resources", "-o", "json")
    assert run.code == 0, run.stderr


def test_an_endless_answer_is_read_up_to_the_cap(
    hcli: SimCli, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounds, "MAX_ANSWER_BYTES", 4 * 1024 * 1024)
    hostile.endless = True
    run = hcli("api", "get", "/cluster/resources")
    assert run.code == 1
    assert "larger than 4 MiB" in _one_line(run.stderr)
    assert len(hcli.served) <= 4 * 16 + 1  # type: ignore[attr-defined]  # 64 KiB chunks: stopped at the cap


def test_vm_list_on_a_deep_answer(hcli: SimCli, hostile: Hostile) -> None:
    hostile.body = nested(50_000)
    run = hcli("vm", "list")
    assert run.code == 1
    _one_line(run.stderr)


# The depth check against the parsed data, on any JSON (strings full of brackets, quotes and escapes included).


def _depth(value: Any) -> int:
    stack, deepest = [(value, 0)], 0
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level + 1)
            stack += [(v, level + 1) for v in (item.values() if isinstance(item, dict) else item)]
    return deepest


_TRICKY = st.text(alphabet='[]{}",:\\ab\u00e9\n', max_size=8)
_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), _TRICKY),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY, inner, max_size=4),
    max_leaves=60,
)


@settings(max_examples=500, deadline=None)
@given(value=_VALUES, limit=st.integers(0, 12), compact=st.booleans())
def test_the_byte_check_agrees_with_the_parsed_depth(value: Any, limit: int, compact: bool) -> None:
    body = orjson.dumps(value) if compact else json.dumps(value, indent=1).encode()
    assert nests_deeper(body, limit) == (_depth(value) > limit)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200) | st.text(alphabet='[]{}"\\:,1a ', max_size=300).map(str.encode))
def test_any_body_is_data_or_an_api_error(body: bytes) -> None:
    for status in (200, 500):
        with contextlib.suppress(ApiError):  # anything else (RecursionError, TypeError, ...) fails the test
            interpret(status, "reason", body, "GET", "/x")


def test_a_big_realistic_answer_is_not_refused() -> None:
    rows = [{"vmid": 100 + i, "name": f"vm{i}", "tags": "a;b", "description": "[x](y) {z}"} for i in range(5000)]
    body = orjson.dumps({"data": rows})
    assert len(body) > BIG_ANSWER
    assert interpret(200, "OK", body, "GET", "/cluster/resources") == rows


# Many small values: within the byte cap, but 30 times its size once parsed (64 MiB of [{},...] took 1.9 GB).


def test_an_answer_of_too_many_values_is_one_error_line(
    hcli: SimCli, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounds, "MAX_ANSWER_VALUES", 50_000)
    hostile.body = b'{"data":[' + b"{}," * 50_000 + b"{}]}"
    run = hcli("api", "get", "/cluster/resources")
    assert run.code == 1
    assert "holds more than 50,000 values" in _one_line(run.stderr)
    hostile.body = b'{"data":[' + b"{}," * 20_000 + b"{}]}"  # 40,003 brackets and commas: read
    assert hcli("api", "get", "/cluster/resources", "-o", "json").code == 0


def test_the_default_cap_refuses_64_mib_of_empty_objects() -> None:
    body = b'{"data":[' + b"{}," * (bounds.MAX_ANSWER_BYTES // 3 - 10) + b"{}]}"
    with pytest.raises(ApiError, match="more than 2,000,000 values"):
        interpret(200, "OK", body, "GET", "/cluster/resources")


def _values(value: Any) -> int:
    """List items and object members, plus each list and object itself, as the byte count sees them."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, dict)):
            children = list(item.values() if isinstance(item, dict) else item)
            count += 1 + max(len(children) - 1, 0)  # the opening bracket, and a comma between two children
            stack += children
    return count


@settings(max_examples=500, deadline=None)
@given(value=_VALUES, limit=st.integers(0, 40), compact=st.booleans())
def test_the_value_count_on_the_bytes_agrees_with_the_parsed_data(value: Any, limit: int, compact: bool) -> None:
    body = orjson.dumps(value) if compact else json.dumps(value, indent=1).encode()
    assert bounds.holds_more_values(body, limit) == (_values(value) > limit)


def test_a_lone_surrogate_in_an_answer_is_replaced(hcli: SimCli, hostile: Hostile) -> None:
    """``"\\ud800"`` is valid JSON but half a character: json kept it (orjson refused it) and writing it to any
    output stopped pvectl with 'internal error'; it reads as U+FFFD, whatever the answer's size."""
    row = {"vmid": 100, "type": "qemu", "node": "pve1", "status": "running", "name": "web"}
    for padding in ("", "x" * BIG_ANSWER):  # json's path and orjson's
        body = orjson.dumps({"data": [{**row, "description": padding}]}).replace(b'"web"', b'"web\\ud800"')
        hostile.body = body
        for fmt in ("table", "json", "yaml", "text"):
            run = hcli("vm", "list", "-o", fmt)
            assert run.code == 0, run.stderr
            assert "web\ufffd" in run.stdout or "web\\ufffd" in run.stdout, run.stdout


def test_numbers_that_are_not_numbers_are_shown_as_they_came(hcli: SimCli, hostile: Hostile) -> None:
    row = {"vmid": 100, "type": "qemu", "node": "pve1", "status": "running", "name": "web"}
    hostile.body = orjson.dumps({"data": [{**row, "maxmem": "lots", "uptime": "y", "maxcpu": "x"}]})
    run = hcli("vm", "list", "-o", "wide")
    assert run.code == 0, run.stderr
    assert "lots" in run.stdout and run.stdout.rstrip().endswith(" y")


@settings(max_examples=300, deadline=None)
@given(
    value=st.recursive(
        st.text(st.sampled_from(["a", "\u00e9", "\U0001f600", "\ud800", "\udfff", "\ud83d", "\ude00", "\x1b"]))
        | st.integers(),
        lambda inner: st.lists(inner, max_size=3),
        max_leaves=10,
    )
)
def test_whatever_an_answer_holds_can_be_written_as_utf8(value: Any) -> None:
    from pvectl.cli.output import json_text, yaml_text

    body = json.dumps({"data": value}).encode()  # ASCII, with \\udXXX escapes for lone surrogates
    data = interpret(200, "OK", body, "GET", "/x")
    json_text(data).encode("utf-8")
    yaml_text(data).encode("utf-8")
