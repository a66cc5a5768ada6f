"""Answers are parsed with json for small bodies and orjson past BIG_ANSWER: the same data either way; models
are built as pydantic's model_construct builds them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from pvectl.sdk import ApiError
from pvectl.sdk._core.coerce import RAW, _fields, coerce, construct
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


def _as_pydantic_builds_it(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """The reference: the same coerced values, by alias, through pydantic's own model_construct."""
    kinds, keys = _fields(model)
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = keys.get(key)
        if name is None:
            values[key] = value
            continue
        got = coerce(kinds[name], value, key)
        values[model.model_fields[name].alias or name] = value if got is RAW else got
    return model.model_construct(**values)


def test_models_are_built_as_model_construct_builds_them() -> None:
    from pvectl.sdk.models.cluster import ClusterResourcesItem

    data = {"id": "qemu/100", "type": "qemu", "vmid": 100, "cgroup-mode": 2, "lock": "backup", "new-in-9.2": "x"}
    ours = construct(ClusterResourcesItem, data)
    theirs = _as_pydantic_builds_it(ClusterResourcesItem, data)
    assert ours.id_ == "qemu/100" and ours.cgroup_mode == 2 and ours.model_extra == {"new-in-9.2": "x"}
    assert ours.__dict__ == theirs.__dict__  # every field, defaults included, in declaration order
    assert list(ours.__dict__) == list(theirs.__dict__)
    assert ours.model_fields_set == theirs.model_fields_set
    assert ours.model_extra == theirs.model_extra
    assert ours.model_dump(by_alias=True, exclude_unset=True) == theirs.model_dump(by_alias=True, exclude_unset=True)


def test_real_answers_build_the_same_models_either_way() -> None:
    from tests.sdk.realcorpus import entries, load

    compared = 0
    for file in entries():
        answer = load(file).answer
        rows = [row for row in (answer if isinstance(answer, list) else [answer])[:3] if isinstance(row, dict)]
        for model in _response_models():  # any object through any model: coercions, raw values and extras
            for row in rows:
                ours, theirs = construct(model, row), _as_pydantic_builds_it(model, row)
                assert ours.__dict__ == theirs.__dict__ and ours.model_extra == theirs.model_extra, file.name
                assert ours.model_fields_set == theirs.model_fields_set, file.name
                compared += 1
    assert compared > 100


def _response_models() -> list[type[BaseModel]]:
    from pvectl.sdk.models.cluster import ClusterResourcesItem, ClusterTasksItem
    from pvectl.sdk.models.nodes_qemu import NodesQemuListItem

    return [ClusterResourcesItem, ClusterTasksItem, NodesQemuListItem]
