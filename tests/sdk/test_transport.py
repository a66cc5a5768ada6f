"""Transport policy: the raw escape hatch, retries bounded in time and reported, TLS failures never
retried, settings checked before anything is sent."""

from __future__ import annotations

import logging
import ssl

import httpx
import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient, TLSError, TransportError
from pvectl.sdk._core.base import base_url_for
from pvectl.sdk._core.errors import UnexpectedAnswer
from tests.conftest import BASE, TOKEN, FakeClock
from tests.sdk._counting_server import Counts, counting_server

PIN = ":".join(["AB"] * 32)


# -- raw calls ------------------------------------------------------------------------------------------


def test_raw_request_reaches_a_path_the_schema_does_not_know(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/nodes/pve1/brand-new?full=1&tag=a&tag=b", json={"data": {"x": 1}})
    with ProxmoxClient("pve1", token=TOKEN) as client:  # no server_version: no /version sent for raw calls
        assert client.raw_request("get", "/nodes/pve1/brand-new", {"full": True, "tag": ["a", "b"], "skip": None}) == {
            "x": 1
        }
    [request] = httpx_mock.get_requests()
    assert request.headers["Authorization"].startswith("PVEAPIToken=root@pam!ci=")


def test_raw_request_posts_a_form_unvalidated(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{BASE}/cluster/newthing", json={"data": "UPID:pve1:1:2:3:x::root@pam:"}
    )
    with ProxmoxClient("pve1", token=TOKEN) as client:
        # 'memory' would be checked against the schema by typed calls; here nothing is
        assert client.raw_request("POST", "api2/json/cluster/newthing/", {"memory": "lots", "on": False}).startswith(
            "UPID:"
        )
    [request] = httpx_mock.get_requests()
    assert request.content == b"memory=lots&on=0"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


async def test_async_raw_request(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/nodes/pve1/thing/a%20b", json={"data": None})
    async with AsyncProxmoxClient("pve1", token=TOKEN) as client:
        assert await client.raw_request("DELETE", "/nodes/pve1/thing/a b") is None


@pytest.mark.parametrize("path", ["https://pve1:8006/api2/json/nodes", "/nodes?full=1"])
def test_raw_request_wants_a_bare_path(path: str) -> None:
    with ProxmoxClient("pve1", token=TOKEN) as client, pytest.raises(ValueError, match="API path alone"):
        client.raw_request("GET", path)


def test_raw_request_refuses_other_verbs() -> None:
    with ProxmoxClient("pve1", token=TOKEN) as client, pytest.raises(ValueError, match="GET, POST, PUT or DELETE"):
        client.raw_request("PATCH", "/nodes")


def test_raw_errors_are_the_usual_classes(httpx_mock: HTTPXMock) -> None:
    from pvectl.sdk import NotFound

    httpx_mock.add_response(status_code=404, json={"data": None, "message": "no such method"})
    with ProxmoxClient("pve1", token=TOKEN, retries=0) as client, pytest.raises(NotFound):
        client.raw_request("GET", "/nope")


# -- version answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [None, [], {"release": "9.1"}, {"version": None}, "9.1.3"])
def test_an_odd_version_answer_is_named(httpx_mock: HTTPXMock, data: object) -> None:
    httpx_mock.add_response(url=f"{BASE}/version", json={"data": data})
    with ProxmoxClient("pve1", token=TOKEN) as client, pytest.raises(UnexpectedAnswer) as info:
        client.nodes.list()
    assert str(info.value).startswith("unexpected answer from the server: GET /version returned ")


async def test_a_failed_version_check_is_asked_again_by_the_next_call(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/version", status_code=500, json={"data": None})
    httpx_mock.add_response(url=f"{BASE}/version", json={"data": {"version": "9.1.3", "release": "9.1"}})
    httpx_mock.add_response(url=f"{BASE}/nodes", json={"data": []})
    async with AsyncProxmoxClient("pve1", token=TOKEN) as client:
        from pvectl.sdk import ApiError

        with pytest.raises(ApiError):
            await client.nodes.list()
        assert await client.nodes.list() == []


# -- retries ---------------------------------------------------------------------------------------------


def test_a_timed_out_get_is_not_retried_past_the_budget(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += 30.0  # the read timeout went by
        raise httpx.ReadTimeout("timed out", request=request)

    httpx_mock.add_callback(slow, is_reusable=True)
    with (
        ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3", clock=clock) as client,
        pytest.raises(TransportError, match="no answer within the request timeout of 30 s"),
    ):
        client.nodes.list()
    assert len(httpx_mock.get_requests()) == 1
    assert clock.sleeps == []


def test_retries_stop_when_the_budget_is_spent(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        clock.now += 4.0
        raise httpx.ConnectError("connection refused", request=request)

    httpx_mock.add_callback(refused, is_reusable=True)
    with (
        ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3", clock=clock, retries=10, retry_budget=10) as c,
        pytest.raises(TransportError),
    ):
        c.nodes.list()
    # tries end at 4 s, 8.5 s (after 0.5 s) and 13.5 s (after 1 s): a wait then would pass the 10 s budget
    assert clock.sleeps == [0.5, 1.0]
    assert len(httpx_mock.get_requests()) == 3


def test_retries_are_reported_at_info(
    httpx_mock: HTTPXMock, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(status_code=503, json={"data": None})
    httpx_mock.add_response(json={"data": []})
    with (
        ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3", clock=clock) as client,
        caplog.at_level(logging.INFO, logger="pvectl.http.retry"),
    ):
        assert client.nodes.list() == []
    assert "GET /nodes: 503 Service Unavailable; trying again in 0.5 s (try 2 of at most 3)" in caplog.text


@pytest.mark.parametrize("sync", [True, False])
async def test_tls_verification_failures_are_not_retried(httpx_mock: HTTPXMock, clock: FakeClock, sync: bool) -> None:
    def untrusted(request: httpx.Request) -> httpx.Response:
        cause = ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate")
        raise httpx.ConnectError("handshake failed", request=request) from cause

    httpx_mock.add_callback(untrusted, is_reusable=True)
    kwargs = {"token": TOKEN, "server_version": "9.1.3", "clock": clock}
    with pytest.raises(TLSError):
        if sync:
            with ProxmoxClient("pve1", **kwargs) as client:  # type: ignore[arg-type]
                client.nodes.list()
        else:
            async with AsyncProxmoxClient("pve1", **kwargs) as aclient:  # type: ignore[arg-type]
                await aclient.nodes.list()
    assert len(httpx_mock.get_requests()) == 1
    assert clock.sleeps == []


# -- settings checked before anything is sent -----------------------------------------------------------


def test_http_with_a_fingerprint_pin_is_refused() -> None:
    with pytest.raises(ValueError, match="a fingerprint pin needs https://"):
        ProxmoxClient("http://127.0.0.1:8006", token=TOKEN, fingerprint=PIN)
    with pytest.raises(ValueError, match="a fingerprint pin needs https://"):
        AsyncProxmoxClient(base_url="http://localhost:8006/api2/json", token=TOKEN, fingerprint=PIN)


@pytest.mark.parametrize("value", [0, -1, True, 2.5])
def test_max_connections_must_be_a_positive_whole_number(value: object) -> None:
    with pytest.raises(ValueError, match="max_connections"):
        ProxmoxClient("pve1", token=TOKEN, max_connections=value)


@pytest.mark.parametrize("value", [0, -3, float("nan"), float("inf")])
def test_timeout_must_be_positive(value: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        AsyncProxmoxClient("pve1", token=TOKEN, timeout=value)


@pytest.mark.parametrize("host", ["pve1:0", "pve1:65536", "pve1:99999", "https://pve1:0/", "pve1:http", ""])
def test_bad_ports_and_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError):
        base_url_for(host)


@pytest.mark.parametrize("port", [0, 70000, -1])
def test_a_bad_port_argument_is_refused(port: int) -> None:
    with pytest.raises(ValueError, match="port"):
        ProxmoxClient("pve1", port=port, token=TOKEN)


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("pve1", "https://pve1:8006/api2/json"),
        ("pve1:8443", "https://pve1:8443/api2/json"),
        ("[::1]:65535", "https://[::1]:65535/api2/json"),
        ("https://user@pve1:1/", "https://user@pve1:1/api2/json"),
    ],
)
def test_good_hosts(host: str, url: str) -> None:
    assert base_url_for(host) == url


def test_the_pool_size_is_used() -> None:
    with counting_server() as server:
        _sequential_on_pool(server)


def _sequential_on_pool(server: Counts) -> None:
    with ProxmoxClient(server.base_url, token=TOKEN, server_version="9.1.3", max_connections=1) as client:
        assert client._http._transport._pool._max_connections == 1  # type: ignore[attr-defined]
        for _ in range(5):
            client.nodes.list()
    assert server.opened == 1
