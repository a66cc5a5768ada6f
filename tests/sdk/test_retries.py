"""Retries: only idempotent GETs, on connection errors and 502/503/504, bounded with backoff."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import ApiError, ProxmoxClient, TransportError
from tests.conftest import FakeClock


def test_get_retried_on_503_then_succeeds(client: ProxmoxClient, httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    httpx_mock.add_response(status_code=503, json={"data": None})
    httpx_mock.add_exception(httpx.ConnectError("reset"))
    httpx_mock.add_response(json={"data": [{"node": "pve1"}]})
    assert client.request("GET", "/nodes")[0]["node"] == "pve1"
    assert len(httpx_mock.get_requests()) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_get_gives_up_after_bounded_attempts(client: ProxmoxClient, httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    httpx_mock.add_response(status_code=502, json={"data": None}, is_reusable=True)
    with pytest.raises(ApiError) as info:
        client.request("GET", "/nodes")
    assert info.value.status == 502
    assert len(httpx_mock.get_requests()) == client.retries + 1


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_writes_are_never_retried(client: ProxmoxClient, httpx_mock: HTTPXMock, method: str) -> None:
    httpx_mock.add_response(status_code=503, json={"data": None}, is_reusable=True)
    path, params = {
        "POST": ("/pools", {"poolid": "p1"}),
        "PUT": ("/pools", {"poolid": "p1", "comment": "x"}),
        "DELETE": ("/pools/p1", {}),
    }[method]
    with pytest.raises(ApiError):
        client.request(method, path, params)
    assert len(httpx_mock.get_requests()) == 1


def test_post_connection_error_not_retried(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    with pytest.raises(TransportError):
        client.request("POST", "/pools", {"poolid": "p1"})
    assert len(httpx_mock.get_requests()) == 1


def test_500_is_not_retried(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=500, json={"data": None, "message": "boom"})
    with pytest.raises(ApiError):
        client.request("GET", "/nodes")
    assert len(httpx_mock.get_requests()) == 1
