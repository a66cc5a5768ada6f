"""Second factor: the ``PVE:!tfa!`` challenge answered with a TOTP code or a recovery key."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient, SecondFactorRequired, TfaChallenge, TicketAuth
from pvectl.sdk._core.auth import parse_challenge, tfa_password
from tests.auth.conftest import BASE, CSRF1, PASSWORD, TFA_TICKET, TICKET1, form, login_answer
from tests.conftest import FakeClock

TICKET_URL = f"{BASE}/access/ticket"


def _mock_tfa(httpx_mock: HTTPXMock) -> None:
    # first factor: a half-authenticated ticket with the CSRF token; the answer repeats neither
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TFA_TICKET, CSRF1))
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET1, None))
    httpx_mock.add_response(method="POST", url=f"{BASE}/pools", json={"data": None})


def test_totp_code_given_up_front(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    _mock_tfa(httpx_mock)
    with ProxmoxClient(
        "pve1", user="root@pam", password=PASSWORD, otp="123456", server_version="9.1.3", clock=clock
    ) as c:
        c.request("POST", "/pools", {"poolid": "p1"})
    first, answer, post = httpx_mock.get_requests()
    assert form(first)["password"] == PASSWORD
    assert form(answer) == {"username": "root", "realm": "pam", "password": "totp:123456", "tfa-challenge": TFA_TICKET}
    assert post.headers["Cookie"] == f"PVEAuthCookie={TICKET1}"
    assert post.headers["CSRFPreventionToken"] == CSRF1  # kept from the first factor


def test_recovery_key_from_a_callback(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    _mock_tfa(httpx_mock)
    seen: list[TfaChallenge] = []

    def ask(challenge: TfaChallenge) -> str:
        seen.append(challenge)
        return "abcd-ef01-2345-6789"

    auth = TicketAuth("root@pam", PASSWORD, tfa=ask)
    with ProxmoxClient("pve1", auth=auth, server_version="9.1.3", clock=clock) as c:
        c.request("POST", "/pools", {"poolid": "p1"})
    assert seen[0].methods == {"totp", "recovery"}
    assert seen[0].user == "root@pam"
    assert form(httpx_mock.get_requests()[1])["password"] == "recovery:abcd-ef01-2345-6789"
    assert TFA_TICKET not in repr(seen[0])


def test_no_code_raises_second_factor_required(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TFA_TICKET, CSRF1))
    with (
        ProxmoxClient("pve1", user="root@pam", password=PASSWORD, server_version="9.1.3", clock=clock) as c,
        pytest.raises(SecondFactorRequired) as info,
    ):
        c.request("GET", "/nodes")
    assert info.value.methods == {"totp", "recovery"}
    assert info.value.status == 401


def test_wrong_code_is_an_authentication_error(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    from pvectl.sdk import AuthenticationError

    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TFA_TICKET, CSRF1))
    httpx_mock.add_response(
        method="POST", url=TICKET_URL, status_code=401, json={"data": None, "message": "authentication failure"}
    )
    with (
        ProxmoxClient(
            "pve1", user="root@pam", password=PASSWORD, otp="000000", server_version="9.1.3", clock=clock
        ) as c,
        pytest.raises(AuthenticationError),
    ):
        c.request("GET", "/nodes")


async def test_async_totp(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    _mock_tfa(httpx_mock)
    auth = TicketAuth("root@pam", PASSWORD, tfa=lambda ch: "654321")
    async with AsyncProxmoxClient("pve1", auth=auth, server_version="9.1.3", clock=clock) as c:
        await c.request("POST", "/pools", {"poolid": "p1"})
    assert form(httpx_mock.get_requests()[1])["password"] == "totp:654321"


def test_challenge_parsing_and_answers() -> None:
    ch = parse_challenge("root@pam", TFA_TICKET)
    assert ch.methods == {"totp", "recovery"}
    assert tfa_password("123456", ch) == "totp:123456"
    assert tfa_password(" recovery:KEY ", ch) == "recovery:KEY"
    assert tfa_password("totp:999999", ch) == "totp:999999"
    assert tfa_password("a1b2-c3d4", ch) == "recovery:a1b2-c3d4"
    yubi = parse_challenge("u@pve", "PVE:!tfa!%7B%22yubico%22%3Atrue%7D:65A1B2C3::c2ln")
    assert tfa_password("cccccbhkevej", yubi) == "yubico:cccccbhkevej"
    unavailable = parse_challenge("u@pve", "PVE:!tfa!%7B%22totp%22%3Atrue%2C%22recovery%22%3A%22unavailable%22%7D:1::s")
    assert unavailable.methods == {"totp"}
    assert parse_challenge("u@pve", "PVE:!tfa!garbage:1::s").methods == frozenset()
