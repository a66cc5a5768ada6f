"""Known secrets (password, ticket, CSRF token, token secret) fed through every output path never come out."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest
from pytest_httpx import HTTPXMock

from pvectl.cli.connection import Settings
from pvectl.cli.errors import CliError, describe
from pvectl.config.tickets import CachedTicket
from pvectl.sdk import (
    ApiError,
    AuthenticationError,
    ProxmoxClient,
    TicketAuth,
    TokenAuth,
    TransportError,
    ValidationError,
    redact,
)
from pvectl.sdk._core.redact import RedactingFilter, format_request, format_response
from tests.auth.conftest import BASE, CSRF1, PASSWORD, TFA_TICKET, TICKET1, login_answer
from tests.conftest import FakeClock

TOKEN_SECRET = "0b5e3c1a-9f7d-4e2b-8c6a-d1e2f3a4b5c6"
TOKEN = f"root@pam!ci={TOKEN_SECRET}"
# the signature and random halves too: a partial leak is a leak
SECRETS = (PASSWORD, TICKET1, CSRF1, TOKEN_SECRET, TICKET1.rsplit("::", 1)[1], CSRF1.split(":", 1)[1])


def clean(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


@pytest.fixture
def trace() -> Iterator[io.StringIO]:
    """The -vv HTTP trace as the CLI shows it: the pvectl.http logger through the redacting filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("pvectl.http")
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old)


def test_redact_patterns_without_registration() -> None:
    # values never registered: caught by their shape
    texts = [
        "Authorization: PVEAPIToken=ops@pve!deploy=11111111-2222-3333-4444-555555555555",
        "ops@pve!deploy=11111111-2222-3333-4444-555555555555",
        "Cookie: PVEAuthCookie=PVE:ops@pve:65A1B2C3::QUJDREVGR0g=",
        "ticket PVE:ops@pve:65A1B2C3::QUJDREVGR0g= in text",
        "PVE%3Aops%40pve%3A65A1B2C3%3A%3AQUJDREVGR0g%3D",
        "CSRFPreventionToken: 65A1B2C3:ZZZZZZZZZZZZ",
        '{"ticket":"PVE:x@y:1::c2ln","CSRFPreventionToken":"65A1B2C3:ZZZZZZZZZZZZ","password":"hunter22"}',
        "username=ops&password=hunter22&otp=123456",
        'token-secret = "abcdefgh"',
    ]
    for text in texts:
        out = redact(text)
        for leaked in ("11111111-2222", "QUJDREVGR0g", "ZZZZZZZZZZZZ", "hunter22", "123456", "c2ln", "abcdefgh"):
            assert leaked not in out, (text, out)
    assert (
        redact("Authorization: PVEAPIToken=ops@pve!deploy=X1Y2Z3W4") == "Authorization: PVEAPIToken=ops@pve!deploy=***"
    )


def test_redact_leaves_ordinary_text() -> None:
    text = "GET /nodes/pve1/qemu/100/config net0=virtio,bridge=vmbr0 user root@pam"
    assert redact(text) == text


def test_reprs() -> None:
    token = TokenAuth(TOKEN)
    ticket = TicketAuth("root@pam", PASSWORD, ticket=TICKET1, csrf=CSRF1)
    client = ProxmoxClient("pve1", auth=ticket)
    settings = Settings(host="pve1", user="root@pam", token=TOKEN, password=PASSWORD)
    from pvectl.sdk._core.auth import parse_challenge

    for obj in (token, ticket, client, settings, CachedTicket(TICKET1, CSRF1, 5), parse_challenge("u@pve", TFA_TICKET)):
        assert clean(repr(obj)) and clean(str(obj))
        assert "dGZhLXNpZw" not in repr(obj)  # the TFA challenge signature
    client.close()


def test_http_trace_of_a_password_session(httpx_mock: HTTPXMock, trace: io.StringIO) -> None:
    httpx_mock.add_response(method="POST", url=f"{BASE}/access/ticket", json=login_answer())
    httpx_mock.add_response(method="POST", url=f"{BASE}/pools", json={"data": None})
    with ProxmoxClient("pve1", user="root@pam", password=PASSWORD, server_version="9.1.3", clock=FakeClock()) as c:
        c.request("POST", "/pools", {"poolid": "p1", "comment": f"see {TICKET1}"})
    text = trace.getvalue()
    lowered = text.lower()
    assert "POST https://pve1:8006/api2/json/pools" in text
    assert "csrfpreventiontoken: ***" in lowered and "cookie: pveauthcookie=***" in lowered
    assert clean(text)


def test_http_trace_of_a_token_session(
    httpx_mock: HTTPXMock, trace: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": [], "echo": TOKEN})
    with (
        caplog.at_level(logging.DEBUG, logger="pvectl.http"),
        ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3") as c,
    ):
        c.request("GET", "/nodes")
    assert "PVEAPIToken=root@pam!ci=***" in trace.getvalue()
    assert clean(trace.getvalue()) and clean(caplog.text)  # redacted at the source, not only by the filter


def test_logging_filter_redacts_args_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("pvectl.test-redaction")
    logger.addHandler(handler)
    logger.propagate = False
    TicketAuth("root@pam", PASSWORD, ticket=TICKET1, csrf=CSRF1)  # registers the values
    try:
        logger.warning("login as %s with %s (%s)", "root@pam", PASSWORD, {"csrf": CSRF1})
        try:
            raise RuntimeError(f"boom {TICKET1}")
        except RuntimeError:
            logger.exception("failed with %s", TOKEN)
    finally:
        logger.removeHandler(handler)
    assert "login as root@pam" in stream.getvalue() and "boom" in stream.getvalue()
    assert clean(stream.getvalue())


def test_exception_messages(httpx_mock: HTTPXMock) -> None:
    TicketAuth("root@pam", PASSWORD, ticket=TICKET1, csrf=CSRF1)
    TokenAuth(TOKEN)
    errors: list[BaseException] = [
        CliError(f"bad token {TOKEN}", details=[f"password {PASSWORD}"]),
        ApiError(500, f"ticket {TICKET1} rejected", {"password": f"'{PASSWORD}' wrong", "csrf": CSRF1}),
        AuthenticationError(401, f"invalid PVE ticket {TICKET1}"),
        ValidationError({"password": f"value '{PASSWORD}' too long"}),
        TransportError(f"connection reset sending {TOKEN}"),
    ]
    for exc in errors:
        message, details = describe(exc)
        assert clean(message) and all(clean(line) for line in details), (message, details)


def test_transport_errors_are_redacted_at_the_source(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError(f"cannot connect; header was PVEAPIToken={TOKEN}"))
    with (
        ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3", retries=0) as c,
        pytest.raises(TransportError) as info,
    ):
        c.request("GET", "/nodes")
    assert clean(str(info.value))


def test_dry_run_rendering() -> None:
    """What a --dry-run prints goes through format_request: the headers and form are masked."""
    TicketAuth("root@pam", PASSWORD, ticket=TICKET1, csrf=CSRF1)
    text = format_request(
        "POST",
        f"{BASE}/access/ticket?x=1",
        [
            ("Cookie", f"PVEAuthCookie={TICKET1}"),
            ("CSRFPreventionToken", CSRF1),
            ("Authorization", f"PVEAPIToken={TOKEN}"),
        ],
        [("username", "root"), ("password", PASSWORD), ("comment", f"has {TOKEN_SECRET} inside")],
    )
    assert "POST" in text and "username=root" in text
    assert clean(text)
    response = format_response(
        200, "OK", [("Set-Cookie", f"PVEAuthCookie={TICKET1}; path=/")], login_answer()["data"].__repr__().encode()
    )
    assert clean(response)


def test_login_answer_errors_never_echo_the_password(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/access/ticket",
        status_code=401,
        json={"data": None, "message": f"no such user {PASSWORD}"},
    )
    with (
        ProxmoxClient("pve1", user="root@pam", password=PASSWORD, server_version="9.1.3") as c,
        pytest.raises(AuthenticationError) as info,
    ):
        c.request("GET", "/nodes")
    message, details = describe(info.value)
    assert clean(message) and all(clean(d) for d in details)


def test_dry_run_plan_shapes() -> None:
    """The shapes dry runs print (``vm create --dry-run`` text and JSON): secret parameters masked, others kept."""
    text = "  1. POST /nodes/pve1/qemu  # create\n       cipassword=hunter2xyz\n       name=web1\n       sshkeys=ssh-ed25519"
    out = redact(text)
    assert "hunter2xyz" not in out and "name=web1" in out and "sshkeys=ssh-ed25519" in out
    js = '{"params": {"cipassword": "hunter2xyz", "name": "web1"}}'
    assert redact(js) == '{"params": {"cipassword": "***", "name": "web1"}}'


def test_sdk_errors_are_redacted_at_the_source(httpx_mock: HTTPXMock) -> None:
    TokenAuth(TOKEN)
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/pools",
        status_code=400,
        json={"data": None, "message": f"bad header PVEAPIToken={TOKEN}", "errors": {"comment": f"'{TOKEN_SECRET}'"}},
    )
    with ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3") as c, pytest.raises(ApiError) as info:
        c.request("POST", "/pools", {"poolid": "p1", "comment": "x"})
    assert clean(str(info.value)) and clean(repr(info.value.errors)) and clean(info.value.message)


TOKEN_UPID = "UPID:pve1:0001A2B3:0042C0DE:65A1B2C3:qmcreate:106:root@pam!ci:"


@pytest.fixture
def no_known_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the patterns: other tests register placeholder-like secrets ("SECRET") by value."""
    import pvectl.sdk._core.redact as module

    monkeypatch.setattr(module, "_known", set())


@pytest.mark.parametrize(
    "text",
    [
        TOKEN_UPID,
        f"task {TOKEN_UPID} done",
        f"GET /nodes/pve1/tasks/{TOKEN_UPID}/status",
        f'{{"data": "{TOKEN_UPID}"}}',
        f"follow it with: pvectl task wait {TOKEN_UPID}\n",
        "UPID:PVE:0001A2B3:0042C0DE:65A1B2C3:vzdump::root@pam:",  # a node named PVE, a task without id
        "UPID:pve1:0001A2B3:0042C0DE:65A1B2C3:vzdump::ops@pve!backup-2.x:",
    ],
)
@pytest.mark.usefixtures("no_known_secrets")
def test_upids_of_token_users_print_whole(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "no credentials: set PVECTL_TOKEN (USER@REALM!ID=SECRET), or give --user and log in with 'pvectl login'",
        "--token USER@REALM!ID=UUID",
        "token ids look like root@pam!ci (not secret)",
        "[root@pam!ci=SECRET]",
    ],
)
@pytest.mark.usefixtures("no_known_secrets")
def test_hint_texts_keep_their_words(text: str) -> None:
    assert redact(text) == text


@pytest.mark.usefixtures("no_known_secrets")
def test_hint_of_a_cli_error_keeps_its_words() -> None:
    hint = "no credentials: set PVECTL_TOKEN (USER@REALM!ID=SECRET), or give --user and log in with 'pvectl login'"
    message, _details = describe(CliError(hint, 3))
    assert hint in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("root@pam!ci=0b5e3c1a-9f7d-4e2b", "root@pam!ci=***"),
        ("(root@pam!ci=0b5e3c1a-9f7d-4e2b)", "(root@pam!ci=***)"),
        ("PVEAPIToken=root@pam!ci:0b5e3c1a-9f7d-4e2b", "PVEAPIToken=root@pam!ci=***"),
        ("login with password=hunter22&username=root@pam", "login with password=***&username=root@pam"),
        ("CSRFPreventionToken: 65A1B2C3:Y3NyZi1vbmU", "CSRFPreventionToken: ***"),
        ("cookie PVE:root@pam:65A1B2C3::c2lnbmF0dXJl ok", "cookie *** ok"),
    ],
)
@pytest.mark.usefixtures("no_known_secrets")
def test_only_the_secret_part_is_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_registered_token_secret_is_masked_but_its_upid_is_not() -> None:
    token = TokenAuth("root@pam!ci=5f0e1d2c-3b4a-4968-8776-655443322110")
    header = token.headers("GET")["Authorization"]
    out = redact(f"{header} {TOKEN_UPID} secret 5f0e1d2c-3b4a-4968-8776-655443322110")
    assert "5f0e1d2c-3b4a" not in out
    assert out == f"PVEAPIToken=root@pam!ci=*** {TOKEN_UPID} secret ***"
