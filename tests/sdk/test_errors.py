"""PVE error answers map onto one exception hierarchy that keeps PVE's message and per-field errors."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import (
    ApiError,
    AuthenticationError,
    NotFound,
    PermissionDenied,
    ProxmoxClient,
    TokenNotAllowed,
    TransportError,
)


def test_parameter_verification_failed_keeps_errors(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    errors = {"vmid": "VM 100 already exists", "net0": "bridge 'vmbr7' does not exist"}
    httpx_mock.add_callback(
        lambda request: httpx.Response(
            400,
            json={"data": None, "errors": errors},
            extensions={"reason_phrase": b"Parameter verification failed."},
        )
    )
    with pytest.raises(ApiError) as info:
        client.nodes("pve1").qemu.create(vmid=100)
    err = info.value
    assert err.status == 400
    assert err.message == "Parameter verification failed."
    assert err.errors == {"vmid": "VM 100 already exists", "net0": "bridge 'vmbr7' does not exist"}
    assert "vmbr7" in str(err) and err.method == "POST"


@pytest.mark.parametrize(
    ("status", "cls"), [(401, AuthenticationError), (403, PermissionDenied), (404, NotFound), (500, ApiError)]
)
def test_status_classes(client: ProxmoxClient, httpx_mock: HTTPXMock, status: int, cls: type[ApiError]) -> None:
    httpx_mock.add_response(status_code=status, json={"data": None, "message": "nope\n"})
    with pytest.raises(cls) as info:
        client.request("POST", "/pools", {"poolid": "p1"})
    assert info.value.message == "nope"


def test_token_refused_for_ticket_only_methods(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    with pytest.raises(TokenNotAllowed):
        client.access.ticket.create(username="root@pam", password="x")
    assert httpx_mock.get_requests() == []


def test_secret_not_in_repr(client: ProxmoxClient) -> None:
    assert "5ecret" not in repr(client) and "5ecret" not in repr(client.auth)


def test_unknown_path_is_not_found(client: ProxmoxClient) -> None:
    with pytest.raises(NotFound):
        client.request("GET", "/nodes/pve1/nothing-here")


def test_non_json_body_is_an_api_error(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, text="<html>proxy</html>")
    with pytest.raises(ApiError):
        client.request("POST", "/pools", {"poolid": "p1"})


def test_connection_error_is_transport_error(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    with pytest.raises(TransportError):
        client.request("POST", "/pools", {"poolid": "p1"})
