"""Answers are parsed with json for small bodies and orjson past BIG_ANSWER: the same data either way."""

from __future__ import annotations

import json

import pytest

from pvectl.sdk import ApiError
from pvectl.sdk._core.request import BIG_ANSWER, interpret


def _rows(n: int) -> list[dict[str, object]]:
    return [
        {"vmid": 100 + i, "name": f"vm{i:05d}", "tags": "prod;web", "cpu": 0.25, "maxmem": 2**31, "note": "é ✓"}
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, 2000])
def test_small_and_big_answers_parse_alike(n: int) -> None:
    body = json.dumps({"data": _rows(n)}).encode()
    assert (len(body) > BIG_ANSWER) == (n > 3)
    assert interpret(200, "OK", body, "GET", "/cluster/resources") == _rows(n)


@pytest.mark.parametrize("size", [100, BIG_ANSWER * 2])
def test_a_body_that_is_not_json_is_no_envelope_at_any_size(size: int) -> None:
    body = b"<html>" + b"x" * size
    with pytest.raises(ApiError, match="not PVE's JSON envelope"):
        interpret(200, "OK", body, "GET", "/cluster/resources")
