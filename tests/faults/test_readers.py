"""Readers of server data never crash on arbitrary JSON: they read it, or name it as an unexpected answer."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvectl.sdk import ProxmoxClient
from pvectl.sdk._core.answers import UnexpectedAnswer
from pvectl.sdk._core.task import Task, read_status
from pvectl.sdk._core.upid import is_upid, parse_upid
from pvectl.vm.config import VmConfig
from pvectl.vm.reference import ReferenceData
from pvectl.vm.resolve import ResolveError, resolve
from tests.conftest import FakeClock

UPID = "UPID:pve1:0000A1B2:0001C3D4:6740AB12:qmcreate:101:root@pam:"

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# rows shaped like PVE's, with arbitrary values: reaches the field readers, not only the shape check
field_names = st.sampled_from(
    ["node", "status", "storage", "type", "volid", "size", "ctime", "iface", "vmid", "name", "tags", "poolid"]
)
rows = st.lists(st.dictionaries(field_names, json_values, max_size=6), max_size=4)
answers = json_values | rows


def client_answering(answer: Any) -> ProxmoxClient:
    def handler(request: httpx.Request) -> httpx.Response:
        # json.dumps writes NaN/Infinity, which Python's reader (and so the SDK's) accepts
        return httpx.Response(200, content=json.dumps({"data": answer}).encode())

    return ProxmoxClient(
        "pve1", token="root@pam!t=s", server_version="9.1.3", transport=httpx.MockTransport(handler), clock=FakeClock()
    )


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(answers)
def test_reference_data_readers(answer: Any) -> None:
    with client_answering(answer) as client:
        ref = ReferenceData(client)
        for result in (
            ref.server_version(),
            ref.nodes(),
            ref.next_vmid(),
            ref.pools(),
            ref.guests(),
            ref.tags(),
            ref.realms(),
            ref.iso_storages("pve1"),
            ref.isos("pve1", "cephfs"),
            ref.image_storages("pve1"),
            ref.bridges("pve1"),
        ):
            assert result.error is None or "unexpected answer" in result.error or result.error


@SETTINGS
@given(answers)
def test_resolve_on_any_answer(answer: Any) -> None:
    config = VmConfig()
    config.general.node = "pve1"
    with client_answering(answer) as client, contextlib.suppress(ResolveError):
        resolve(config, ReferenceData(client), strict=True)


@SETTINGS
@given(json_values)
def test_task_status_reader(answer: Any) -> None:
    try:
        status = read_status(UPID, answer)
    except UnexpectedAnswer as exc:
        message = str(exc)
        assert "unexpected answer from the server" in message
    else:
        assert status["status"] in ("running", "stopped")


@SETTINGS
@given(json_values)
def test_task_wait_on_any_status_answer(answer: Any) -> None:
    from pvectl.sdk import PveError

    # failed, timed out, lost or unexpected: all named errors
    with client_answering(answer) as client, contextlib.suppress(PveError):
        Task(client, UPID).wait(timeout=30)


@SETTINGS
@given(
    st.text(max_size=80)
    | st.from_regex(r"UPID:[a-z0-9]{1,5}:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:[a-z]{1,8}:\d*:[a-z@!]{1,9}:")
)
def test_upid_reader(text: str) -> None:
    if is_upid(text):
        assert parse_upid(text).raw == text.strip()
    else:
        try:
            parse_upid(text)
        except ValueError:
            pass
        else:
            raise AssertionError(f"parsed {text!r} although is_upid said no")


@SETTINGS
@given(json_values)
def test_version_reader(answer: Any) -> None:
    with client_answering({"version": answer}) as client:
        version = ReferenceData(client).server_version()
        assert version.error is not None or isinstance(version.value, str)
