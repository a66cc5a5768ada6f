"""`pvectl login` / `logout`: password sources, second factor, realm default, the 0600 ticket cache, traces."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.cli.connection import make_client
from pvectl.cli.context import GlobalOptions
from tests.auth.conftest import CSRF1, TFA_TICKET, TICKET1, form, login_answer
from tests.auth.tls_server import tls_server

BASE = "https://pve1:8006/api2/json"
TICKET_URL = f"{BASE}/access/ticket"
PASSWORD = "l0gin-pa55word-xyz"
SECRETS = (PASSWORD, TICKET1, CSRF1, TICKET1.rsplit("::", 1)[1], CSRF1.split(":", 1)[1])


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in list(os.environ):
        if name.startswith("PVECTL_"):
            monkeypatch.delenv(name)
    return tmp_path


def cache(home: Path) -> Path:
    return home / "cache" / "pvectl" / "tickets.json"


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=input, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_login_caches_the_ticket_0600_and_the_next_command_reuses_it(home: Path, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    code, out, err = run("--host", "pve1", "--user", "root@pam", "login", env={"PVECTL_PASSWORD": PASSWORD})
    assert code == 0, err
    assert "Logged in" in err
    assert_no_secrets(out, err)
    assert form(httpx_mock.get_requests()[0])["password"] == PASSWORD
    assert stat.S_IMODE(cache(home).stat().st_mode) == 0o600
    assert stat.S_IMODE(cache(home).parent.stat().st_mode) == 0o700
    assert TICKET1 in cache(home).read_text()

    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []})
    with make_client(GlobalOptions(host="pve1", user="root@pam")) as client:  # no password anywhere now
        client.check_version = False
        client.request("GET", "/nodes")
    last = httpx_mock.get_requests()[-1]
    assert last.headers["Cookie"] == f"PVEAuthCookie={TICKET1}"
    assert [r.method for r in httpx_mock.get_requests()] == ["POST", "GET"]


def test_password_from_stdin(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    code, _, err = run("--host", "pve1", "--user", "root@pam", "--password-stdin", "login", input=PASSWORD + "\n")
    assert code == 0, err
    assert form(httpx_mock.get_requests()[0])["password"] == PASSWORD


def test_password_and_totp_prompted(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TFA_TICKET, CSRF1))
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET1, None))
    code, out, err = run("--host", "pve1", "--user", "root@pam", "login", input=f"{PASSWORD}\n123456\n")
    assert code == 0, err
    first, answer = httpx_mock.get_requests()
    assert form(first)["password"] == PASSWORD
    assert form(answer)["password"] == "totp:123456" and form(answer)["tfa-challenge"] == TFA_TICKET
    assert_no_secrets(out, err)


def test_recovery_key_as_option(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TFA_TICKET, CSRF1))
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET1, None))
    code, _, err = run(
        "--host", "pve1", "--user", "root@pam", "login", "--otp", "recovery:9f8e-7d6c", env={"PVECTL_PASSWORD": "x1y2"}
    )
    assert code == 0, err
    assert form(httpx_mock.get_requests()[1])["password"] == "recovery:9f8e-7d6c"


def test_user_without_realm_gets_the_default_realm(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="GET",
        url=f"{BASE}/access/domains",
        json={"data": [{"realm": "pam", "type": "pam"}, {"realm": "pve", "type": "pve", "default": 1}]},
    )
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    code, _, err = run("--host", "pve1", "--user", "admin", "login", env={"PVECTL_PASSWORD": PASSWORD})
    assert code == 0, err
    domains, login = httpx_mock.get_requests()
    assert "Cookie" not in domains.headers and "Authorization" not in domains.headers
    assert (form(login)["username"], form(login)["realm"]) == ("admin", "pve")


def test_wrong_password_exit_3_without_traceback(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=TICKET_URL, status_code=401, json={"data": None, "message": "authentication failure"}
    )
    code, out, err = run("--host", "pve1", "--user", "root@pam", "login", env={"PVECTL_PASSWORD": PASSWORD})
    assert code == 3
    assert err.startswith("error: 401 authentication failure") and "Traceback" not in err
    assert_no_secrets(out, err)


def test_no_user_and_no_terminal_is_a_usage_error() -> None:
    code, _, err = run("--host", "pve1", "login")
    assert code == 2 and "--user" in err


def test_logout_forgets_the_ticket(home: Path, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    assert run("--host", "pve1", "--user", "root@pam", "login", env={"PVECTL_PASSWORD": PASSWORD})[0] == 0
    code, _, err = run("--host", "pve1", "--user", "root@pam", "logout")
    assert code == 0 and "Logged out" in err
    assert not cache(home).exists()
    code, _, err = run("--host", "pve1", "--user", "root@pam", "logout")
    assert code == 0 and "No cached ticket" in err
    assert run("logout", "--all")[0] == 0


def test_cache_readable_by_others_is_ignored(home: Path, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(), is_reusable=True)
    assert run("--host", "pve1", "--user", "root@pam", "login", env={"PVECTL_PASSWORD": PASSWORD})[0] == 0
    cache(home).chmod(0o644)
    os.environ["PVECTL_PASSWORD"] = PASSWORD
    try:
        with make_client(GlobalOptions(host="pve1", user="root@pam")) as client:
            client.login()  # a fresh login, not the exposed ticket
    finally:
        del os.environ["PVECTL_PASSWORD"]
    assert [r.method for r in httpx_mock.get_requests()] == ["POST", "POST"]
    assert stat.S_IMODE(cache(home).stat().st_mode) == 0o600


def test_expired_cache_entry_is_dropped(home: Path) -> None:
    from pvectl.config.tickets import load_ticket, store_ticket

    store_ticket(f"{BASE}", "root@pam", TICKET1, CSRF1, age=7200)
    assert load_ticket(BASE, "root@pam") is None
    store_ticket(BASE, "root@pam", TICKET1, CSRF1, age=10)
    found = load_ticket(BASE, "root@pam")
    assert found is not None and 10 <= found.age < 20
    assert TICKET1 not in repr(found)
    assert list(json.loads(cache(home).read_text())) == [f"root@pam {BASE}"]


def test_verbose_trace_is_redacted(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    code, out, err = run("-vv", "--host", "pve1", "--user", "root@pam", "login", env={"PVECTL_PASSWORD": PASSWORD})
    assert code == 0, err
    assert "POST https://pve1:8006/api2/json/access/ticket" in err
    assert ("password=***" in err and '"ticket": "***"' in err) or '"ticket":"***"' in err
    assert_no_secrets(out, err)
    # a later command without -v prints no trace
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer())
    code, out, err = run("--host", "pve1", "--user", "root@pam", "login", env={"PVECTL_PASSWORD": PASSWORD})
    assert "POST https://" not in err


def test_wrong_pin_exit_5_and_nothing_sent(tmp_path: Path) -> None:
    with tls_server(tmp_path) as server:
        code, _, err = run(
            "--host",
            f"127.0.0.1:{server.port}",
            "--user",
            "root@pam",
            "--fingerprint",
            ":".join(["AB"] * 32),
            "login",
            env={"PVECTL_PASSWORD": PASSWORD},
        )
        assert code == 5 and "does not match the pinned" in err
        assert server.seen.requests == []


def test_plain_http_to_a_remote_host_is_refused() -> None:
    code, _, err = run("--host", "http://pve1:8006", "--user", "root@pam", "login", env={"PVECTL_PASSWORD": "abcd"})
    assert code == 2 and "plain http" in err


def test_bad_fingerprint_is_a_usage_error() -> None:
    code, _, err = run("--host", "pve1", "--fingerprint", "AA:BB", "--user", "root@pam", "login")
    assert code == 2 and "fingerprint" in err and "Traceback" not in err


def test_renewal_through_the_cli_client_updates_the_cache(home: Path, httpx_mock: HTTPXMock) -> None:
    from pvectl.config.tickets import load_ticket, store_ticket
    from tests.auth.conftest import CSRF2, TICKET2

    store_ticket(BASE, "root@pam", TICKET1, CSRF1, age=3700)  # over an hour old: due for renewal
    httpx_mock.add_response(method="POST", url=TICKET_URL, json=login_answer(TICKET2, CSRF2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": []})
    with make_client(GlobalOptions(host="pve1", user="root@pam")) as client:
        client.check_version = False
        client.request("GET", "/nodes")
    renewal, get = httpx_mock.get_requests()
    assert form(renewal)["password"] == TICKET1
    assert get.headers["Cookie"] == f"PVEAuthCookie={TICKET2}"
    cached = load_ticket(BASE, "root@pam")
    assert cached is not None and cached.ticket == TICKET2 and cached.age < 60


async def test_async_client_shares_the_cache(home: Path, httpx_mock: HTTPXMock) -> None:
    from pvectl.cli.connection import make_async_client
    from pvectl.config.tickets import store_ticket

    store_ticket(BASE, "root@pam", TICKET1, CSRF1, age=5)
    httpx_mock.add_response(method="POST", url=f"{BASE}/pools", json={"data": None})
    async with make_async_client(GlobalOptions(host="pve1", user="root@pam")) as client:
        client.check_version = False
        await client.request("POST", "/pools", {"poolid": "p1"})
    (post,) = httpx_mock.get_requests()
    assert post.headers["Cookie"] == f"PVEAuthCookie={TICKET1}" and post.headers["CSRFPreventionToken"] == CSRF1


def test_no_password_without_a_terminal_is_exit_3(home: Path) -> None:
    from pvectl.cli.errors import CliError

    with make_client(GlobalOptions(host="pve1", user="root@pam")) as client:
        client.check_version = False
        with pytest.raises(CliError) as info:
            client.request("GET", "/nodes")
    assert info.value.code == 3 and "PVECTL_PASSWORD" in str(info.value)


def test_untrusted_certificate_gets_a_hint(tmp_path: Path) -> None:
    with tls_server(tmp_path) as server:
        code, _, err = run("--host", f"127.0.0.1:{server.port}", "--token", "a@pve!t=s3cr3t-value", "login")
    assert code == 5 and "hint:" in err and "--fingerprint" in err and "s3cr3t-value" not in err


@pytest.mark.parametrize("command", ["login", "logout", "config"])
def test_help_stays_import_light(command: str) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pvectl.cli.app import app\n"
        f"try:\n    app(['{command}', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('httpx', 'pydantic', 'rich', 'pvectl.sdk') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out, out


def test_sim_login_uses_the_simulator_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    embedded = pytest.importorskip("pvectl.sim.embedded")
    monkeypatch.setenv("PVECTL_SIM_STATE_DIR", str(tmp_path / "sim"))
    try:
        code, out, err = run("--sim", "login")
    finally:
        embedded.stop_embedded()
    assert code == 0, err
    assert "no login needed" in out and "https://127.0.0.1:" in out


def test_insecure_warns_once_on_stderr(httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch) -> None:
    from pvectl.sdk._core import tls

    monkeypatch.setattr(tls, "_warned", False)
    httpx_mock.add_response(url=f"{BASE}/version", json={"data": {"version": "9.1.3"}})
    code, out, err = run("--host", "pve1", "--insecure", "--token", "a@pve!t=0123456789abcdef", "login")
    assert code == 0, err
    assert err.count("warning: TLS certificate verification is off for pve1") == 1
    assert "0123456789abcdef" not in out + err
