"""Password tickets on a mock transport: login, CSRF on writes only, renewal before expiry, one recovery on 401."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import AsyncProxmoxClient, AuthenticationError, ProxmoxClient, TicketAuth
from pvectl.sdk._core.auth import RENEW_AFTER, TICKET_LIFETIME
from tests.auth.conftest import BASE, CSRF1, CSRF2, PASSWORD, TICKET1, TICKET2, form, login_answer
from tests.conftest import TOKEN, FakeClock

TICKET_URL = f"{BASE}/access/ticket"


@pytest.fixture
def pclient(clock: FakeClock) -> Iterator[ProxmoxClient]:
    with ProxmoxClient("pve1", user="root@pam", password=PASSWORD, server_version="9.1.3", clock=clock) as c:
        yield c


@pytest.fixture
async def apclient(clock: FakeClock) -> AsyncIterator[AsyncProxmoxClient]:
    async with AsyncProxmoxClient("pve1", user="root@pam", password=PASSWORD, server_version="9.1.3", clock=clock) as c:
        yield c


def test_login_then_cookie_and_csrf_only_on_writes(pclient: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []})
    httpx_mock.add_response(method="POST", url=f"{BASE}/pools", json={"data": None})
    httpx_mock.add_response(method="PUT", url=f"{BASE}/pools", json={"data": None})
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/pools/p1", json={"data": None})

    pclient.request("GET", "/nodes")
    pclient.request("POST", "/pools", {"poolid": "p1"})
    pclient.request("PUT", "/pools", {"poolid": "p1", "comment": "x"})
    pclient.request("DELETE", "/pools/p1")

    login, get, *writes = httpx_mock.get_requests()
    assert form(login) == {"username": "root", "realm": "pam", "password": PASSWORD, "new-format": "1"}
    assert "Cookie" not in login.headers and "CSRFPreventionToken" not in login.headers
    assert get.headers["Cookie"] == f"PVEAuthCookie={TICKET1}"
    assert "CSRFPreventionToken" not in get.headers
    for write in writes:
        assert write.headers["Cookie"] == f"PVEAuthCookie={TICKET1}"
        assert write.headers["CSRFPreventionToken"] == CSRF1


def test_token_sends_no_csrf(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{BASE}/pools", json={"data": None})
    with ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3") as c:
        c.request("POST", "/pools", {"poolid": "p1"})
    (req,) = httpx_mock.get_requests()
    assert req.headers["Authorization"] == f"PVEAPIToken={TOKEN}"
    assert "CSRFPreventionToken" not in req.headers and "Cookie" not in req.headers


def test_renewal_before_expiry_posts_the_ticket(
    pclient: ProxmoxClient, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []}, is_reusable=True)

    pclient.request("GET", "/nodes")
    clock.now += RENEW_AFTER - 1
    pclient.request("GET", "/nodes")  # still fresh: no renewal
    clock.now += 2
    pclient.request("GET", "/nodes")

    methods = [(r.method, r.url.path) for r in httpx_mock.get_requests()]
    assert methods == [
        ("POST", "/api2/json/access/ticket"),
        ("GET", "/api2/json/nodes"),
        ("GET", "/api2/json/nodes"),
        ("POST", "/api2/json/access/ticket"),
        ("GET", "/api2/json/nodes"),
    ]
    renewal = httpx_mock.get_requests()[3]
    assert form(renewal)["password"] == TICKET1  # PVE renews a ticket posted as the password
    assert "new-format" not in form(renewal)
    assert httpx_mock.get_requests()[4].headers["Cookie"] == f"PVEAuthCookie={TICKET2}"


def test_expired_ticket_logs_in_with_the_password(
    pclient: ProxmoxClient, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []}, is_reusable=True)
    pclient.request("GET", "/nodes")
    clock.now += TICKET_LIFETIME
    pclient.request("GET", "/nodes")
    assert form(httpx_mock.get_requests()[2])["password"] == PASSWORD


def test_401_on_get_renews_once_and_retries_once(pclient: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", status_code=401, json={"data": None})
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": [{"node": "pve1"}]})

    assert pclient.request("GET", "/nodes") == [{"node": "pve1"}]
    reqs = httpx_mock.get_requests()
    assert [r.method for r in reqs] == ["POST", "GET", "POST", "GET"]
    assert reqs[3].headers["Cookie"] == f"PVEAuthCookie={TICKET2}"


def test_second_401_on_get_is_an_error(pclient: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(), is_reusable=True)
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", status_code=401, json={"data": None}, is_reusable=True)
    with pytest.raises(AuthenticationError):
        pclient.request("GET", "/nodes")
    assert [r.method for r in httpx_mock.get_requests()] == ["POST", "GET", "POST", "GET"]


def test_401_on_post_renews_but_never_resends(pclient: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    httpx_mock.add_response(method="POST", url=f"{BASE}/pools", status_code=401, json={"data": None})
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []})

    with pytest.raises(AuthenticationError, match="not resent"):
        pclient.request("POST", "/pools", {"poolid": "p1"})
    pools = [r for r in httpx_mock.get_requests() if r.url.path.endswith("/pools")]
    assert len(pools) == 1
    pclient.request("GET", "/nodes")  # the renewed session works for the next call
    assert httpx_mock.get_requests()[-1].headers["Cookie"] == f"PVEAuthCookie={TICKET2}"


def test_wrong_password_is_an_authentication_error(pclient: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=TICKET_URL, status_code=401, json={"data": None, "message": "authentication failure"}
    )
    with pytest.raises(AuthenticationError) as info:
        pclient.request("GET", "/nodes")
    assert len(httpx_mock.get_requests()) == 1
    assert PASSWORD not in str(info.value)


def test_resumed_ticket_without_password_is_not_recovered(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    auth = TicketAuth("root@pam", ticket=TICKET1, csrf=CSRF1, ticket_age=10)
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", status_code=401, json={"data": None})
    with ProxmoxClient("pve1", auth=auth, server_version="9.1.3", clock=clock) as c, pytest.raises(AuthenticationError):
        c.request("GET", "/nodes")
    assert len(httpx_mock.get_requests()) == 1


def test_resumed_ticket_age_counts_toward_renewal(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    seen: list[str | None] = []
    auth = TicketAuth(
        "root@pam", ticket=TICKET1, csrf=CSRF1, ticket_age=RENEW_AFTER + 5, on_ticket=lambda a: seen.append(a.ticket)
    )
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []})
    with ProxmoxClient("pve1", auth=auth, server_version="9.1.3", clock=clock) as c:
        c.request("GET", "/nodes")
    assert form(httpx_mock.get_requests()[0])["password"] == TICKET1
    assert seen == [TICKET2]


def test_expired_resumed_ticket_without_password_says_so(clock: FakeClock) -> None:
    auth = TicketAuth("root@pam", ticket=TICKET1, csrf=CSRF1, ticket_age=TICKET_LIFETIME)
    with (
        ProxmoxClient("pve1", auth=auth, server_version="9.1.3", clock=clock) as c,
        pytest.raises(AuthenticationError, match="expired") as info,
    ):
        c.request("GET", "/nodes")
    assert TICKET1 not in str(info.value)


def test_password_callable_is_asked_only_when_needed(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    asked: list[int] = []

    def password() -> str:
        asked.append(1)
        return PASSWORD

    auth = TicketAuth("root@pam", password, ticket=TICKET1, csrf=CSRF1, ticket_age=0)
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []})
    with ProxmoxClient("pve1", auth=auth, server_version="9.1.3", clock=clock) as c:
        c.request("GET", "/nodes")
    assert asked == []


def test_ticket_login_refuses_no_realm() -> None:
    with pytest.raises(ValueError, match="USER@REALM"):
        TicketAuth("root", PASSWORD)
    assert TicketAuth("john@example.com@ldap", PASSWORD).user == "john@example.com@ldap"


# -- async twins -------------------------------------------------------------------------------------------


async def test_async_login_csrf_on_writes_only(apclient: AsyncProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []})
    httpx_mock.add_response(method="POST", url=f"{BASE}/pools", json={"data": None})
    await apclient.request("GET", "/nodes")
    await apclient.request("POST", "/pools", {"poolid": "p1"})
    login, get, post = httpx_mock.get_requests()
    assert form(login)["password"] == PASSWORD
    assert "CSRFPreventionToken" not in get.headers
    assert post.headers["CSRFPreventionToken"] == CSRF1


async def test_async_renewal_before_expiry(
    apclient: AsyncProxmoxClient, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []}, is_reusable=True)
    await apclient.request("GET", "/nodes")
    clock.now += RENEW_AFTER + 1
    await apclient.request("GET", "/nodes")
    assert form(httpx_mock.get_requests()[2])["password"] == TICKET1


async def test_async_401_get_retried_post_not(apclient: AsyncProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", status_code=401, json={"data": None})
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []})
    httpx_mock.add_response(method="POST", url=f"{BASE}/pools", status_code=401, json={"data": None})
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    await apclient.request("GET", "/nodes")
    with pytest.raises(AuthenticationError):
        await apclient.request("POST", "/pools", {"poolid": "p1"})
    paths = [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in httpx_mock.get_requests()]
    assert paths == [
        ("POST", "ticket"),
        ("GET", "nodes"),
        ("POST", "ticket"),
        ("GET", "nodes"),
        ("POST", "pools"),
        ("POST", "ticket"),
    ]


async def test_async_concurrent_calls_share_one_login(apclient: AsyncProxmoxClient, httpx_mock: HTTPXMock) -> None:
    import asyncio

    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []}, is_reusable=True)
    await asyncio.gather(*(apclient.request("GET", "/nodes") for _ in range(5)))
    assert sum(r.method == "POST" for r in httpx_mock.get_requests()) == 1


def test_rejected_renewal_falls_back_to_the_password(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    auth = TicketAuth("root@pam", PASSWORD, ticket=TICKET1, csrf=CSRF1, ticket_age=RENEW_AFTER + 10)
    httpx_mock.add_response(method="POST", url=TICKET_URL, status_code=401, json={"data": None})
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []})
    with ProxmoxClient("pve1", auth=auth, server_version="9.1.3", clock=clock) as c:
        c.request("GET", "/nodes")
    renewal, login, _ = httpx_mock.get_requests()
    assert form(renewal)["password"] == TICKET1 and form(login)["password"] == PASSWORD


def test_rejected_renewal_without_password_is_an_error(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    auth = TicketAuth("root@pam", ticket=TICKET1, csrf=CSRF1, ticket_age=RENEW_AFTER + 10)
    httpx_mock.add_response(method="POST", url=TICKET_URL, status_code=401, json={"data": None})
    with (
        ProxmoxClient("pve1", auth=auth, server_version="9.1.3", clock=clock) as c,
        pytest.raises(AuthenticationError),
    ):
        c.request("GET", "/nodes")
    assert len(httpx_mock.get_requests()) == 1


async def test_async_concurrent_401s_log_in_once(apclient: AsyncProxmoxClient, httpx_mock: HTTPXMock) -> None:
    import asyncio

    from pvectl.sdk._core.auth import TicketAuth as _TicketAuth

    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    await apclient.login()
    # every request still carrying the first ticket is refused; the second ticket works
    httpx_mock.add_callback(
        lambda request: httpx.Response(401 if TICKET1 in request.headers.get("Cookie", "") else 200, json={"data": []}),
        method="GET",
        url=f"{BASE}/nodes",
        is_reusable=True,
    )
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2), is_reusable=True)
    await asyncio.gather(*(apclient.request("GET", "/nodes") for _ in range(4)))
    logins = [r for r in httpx_mock.get_requests() if r.method == "POST"]
    assert len(logins) == 2  # the first login and exactly one recovery
    assert isinstance(apclient.auth, _TicketAuth) and apclient.auth.ticket == TICKET2
