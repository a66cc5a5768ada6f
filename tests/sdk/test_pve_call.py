"""pve_call: a typed method called with PVE-named parameters sends exactly those parameters.

The generator names keyword arguments with pvectl.sdk._core.names.keyword_names and pve_call reads PVE names
back with the same function; the sweep below checks, for every generated method, that the two agree.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

import pvectl.sdk.resources as resources
from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient
from pvectl.sdk._core.errors import ValidationError
from pvectl.sdk._core.names import keyword_names
from pvectl.sdk._core.resource import AsyncResource, SyncResource
from pvectl.sdk._core.spec import load_spec
from pvectl.sdk.lib import pve_call, pve_kwargs

UPID = "UPID:pve1:0000AAAA:00000001:65000000:qmconfig:100:root@pam:"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, list[tuple[str, str]]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = parse_qsl(request.content.decode(), keep_blank_values=True)
        query = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        self.sent.append((request.method, request.url.path.removeprefix("/api2/json"), body or query))
        return httpx.Response(200, json={"data": UPID})


def recording() -> tuple[ProxmoxClient, Recorder]:
    rec = Recorder()
    client = ProxmoxClient("pve1", token="root@pam!t=s", server_version="9.1.3", transport=httpx.MockTransport(rec))
    return client, rec


def test_every_generated_method_names_its_parameters_as_keyword_names_says() -> None:
    spec = load_spec()
    checked = 0
    for info in pkgutil.iter_modules(resources.__path__):
        module = importlib.import_module(f"pvectl.sdk.resources.{info.name}")
        for cls in vars(module).values():
            if not (
                isinstance(cls, type)
                and issubclass(cls, (SyncResource, AsyncResource))
                and cls.__module__ == module.__name__
            ):
                continue
            for method, key in cls._ops.items():
                op = spec.op(key)
                sig = inspect.signature(getattr(cls, method))
                got = {p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY}
                assert got == set(keyword_names(op.params, op.path_params).values()), f"{cls.__name__}.{method}"
                checked += 1
    assert checked > 1000  # every operation, sync and async


def test_pve_names_are_sent_as_given() -> None:
    client, rec = recording()
    params = {"net0": "virtio,bridge=vmbr0", "delete": "ide2,scsi1", "digest": "abc", "numa": True, "cores": 2}
    task = pve_call(client.nodes("pve1").qemu(100).config.create, params)
    assert task is not None and task.upid.raw == UPID
    method, path, sent = rec.sent[-1]
    assert (method, path) == ("POST", "/nodes/pve1/qemu/100/config")
    assert dict(sent) == {
        "net0": "virtio,bridge=vmbr0",
        "delete": "ide2,scsi1",
        "digest": "abc",
        "numa": "1",
        "cores": "2",
    }


def test_hyphenated_names_reach_their_keyword() -> None:
    client, _ = recording()
    rec_answer = pve_kwargs(
        client.storage.create, {"prune-backups": "keep-last=3", "storage": "b", "type": "dir", "path": "/b"}
    )
    assert rec_answer["prune_backups"] == "keep-last=3"
    client.close()


def test_an_unknown_parameter_is_refused_before_sending() -> None:
    client, rec = recording()
    with pytest.raises(ValidationError) as caught:
        pve_call(client.nodes("pve1").qemu(100).config.set, {"cores": 2, "corse": 2})
    assert list(caught.value.errors) == ["corse"]
    assert rec.sent == []


def test_a_path_value_is_not_a_parameter() -> None:
    client, _ = recording()
    with pytest.raises(ValidationError, match="vmid"):
        pve_kwargs(client.nodes("pve1").qemu(100).config.set, {"vmid": 100})


def test_only_typed_methods() -> None:
    with pytest.raises(TypeError, match="typed SDK method"):
        pve_kwargs(print, {})


def test_async_methods_too() -> None:
    rec = Recorder()

    async def run() -> Any:
        async with AsyncProxmoxClient(
            "pve1", token="root@pam!t=s", server_version="9.1.3", transport=httpx.MockTransport(rec)
        ) as client:
            return await pve_call(client.nodes("pve1").qemu(100).clone, {"newid": 101, "target": "pve2", "full": True})

    task = asyncio.run(run())
    assert task.upid.raw == UPID
    method, path, sent = rec.sent[-1]
    assert (method, path, dict(sent)) == (
        "POST",
        "/nodes/pve1/qemu/100/clone",
        {"newid": "101", "target": "pve2", "full": "1"},
    )


def test_a_task_call_answered_without_a_upid_names_the_request() -> None:
    from pvectl.sdk._core.answers import UnexpectedAnswer

    client = ProxmoxClient(
        "pve1",
        token="root@pam!t=s",
        server_version="9.1.3",
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json={"data": None})),
    )
    with pytest.raises(UnexpectedAnswer, match=r"POST /nodes/pve1/qemu/100/clone returned null"):
        client.nodes("pve1").qemu(100).clone(newid=101)
    with pytest.raises(UnexpectedAnswer, match=r"POST /nodes/pve1/lxc/200/snapshot/before1/rollback returned null"):
        client.nodes("pve1").lxc(200).snapshot("before1").rollback()
