"""The login step of ``-i``: realms from the server, hidden password, a second factor when asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import httpx
import pytest
from prompt_toolkit.input import PipeInput
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.cli.connection import Settings
from pvectl.cli.context import GlobalOptions
from pvectl.cli.errors import CliError
from pvectl.config.tickets import load_ticket
from pvectl.prompts.login import has_credentials, login
from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import Store
from tests.conftest import FakeClock
from tests.prompts.keys import ENTER, answers, pick, typed

# passwords become process-wide redaction targets: distinctive values keep other tests' output intact
PASSWORD = "prompts-test-s3cret-7f3a"
WRONG = "prompts-test-wrong-2c9e"
BASE = "https://pve.example:8006/api2/json"


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    for var in ("HOST", "USER", "TOKEN", "TOKEN_SECRET", "PASSWORD", "CONTEXT", "SIM", "FINGERPRINT", "CA_FILE"):
        monkeypatch.delenv(f"PVECTL_{var}", raising=False)


@pytest.fixture
def sim(tmp_path: Path) -> Simulator:
    return Simulator(Store(tmp_path / "state.json", {"task_seconds": 0, "root_password": PASSWORD}))


def factory_for(transport: httpx.BaseTransport) -> Any:
    def make(**kwargs: Any) -> ProxmoxClient:
        return ProxmoxClient(transport=transport, clock=FakeClock(), **kwargs)

    return make


def type_ahead(term: PipeInput, keys: str) -> None:
    term.send_text(keys)
    term.close()


def test_login_picks_the_default_realm_and_caches_the_ticket(
    sim: Simulator, term: PipeInput, capsys: pytest.CaptureFixture[str]
) -> None:
    type_ahead(term, ENTER + ENTER + f"{WRONG}\r" + f"{PASSWORD}\r")  # user root, realm pam (the default)
    client = login(GlobalOptions(), Settings(host="pve.example"), factory_for(mock_transport(sim)))
    assert client.request("GET", "/version")["version"]
    err = capsys.readouterr().err
    assert "error: login failed" in err
    assert "Logged in to https://pve.example:8006 as root@pam" in err
    assert load_ticket(BASE, "root@pam") is not None
    assert PASSWORD not in err


def test_realm_list_comes_from_the_server(sim: Simulator, term: PipeInput) -> None:
    seen: list[str] = []
    inner = mock_transport(sim)

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return inner.handle_request(request)

    type_ahead(term, typed("root") + pick("pve") + f"{WRONG}\r" * 3)  # root is no user of realm pve: three refusals
    with pytest.raises(CliError, match="login failed for root@pve after 3 attempts") as failed:
        login(GlobalOptions(), Settings(host="pve.example"), factory_for(httpx.MockTransport(record)))
    assert failed.value.code == 3
    assert seen[0] == "GET /api2/json/access/domains"
    assert seen.count("POST /api2/json/access/ticket") == 3


def _tfa_server(posts: list[dict[str, list[str]]]) -> httpx.MockTransport:
    challenge = "PVE:!tfa!" + quote(json.dumps({"totp": True, "recovery": "available"})) + ":ABCDEF"

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/access/domains"):
            return httpx.Response(200, json={"data": [{"realm": "pam", "comment": "PAM"}, {"realm": "pve"}]})
        if request.url.path.endswith("/access/ticket"):
            form = parse_qs(request.content.decode())
            posts.append(form)
            if "tfa-challenge" in form:
                if form["password"] != ["totp:123456"]:
                    return httpx.Response(401, json={"data": None, "message": "invalid code"})
                return httpx.Response(200, json={"data": {"ticket": "PVE:root@pam:FULL", "username": "root@pam"}})
            return httpx.Response(200, json={"data": {"ticket": challenge, "CSRFPreventionToken": "csrf1"}})
        return httpx.Response(200, json={"data": {"version": "9.1.3"}})

    return httpx.MockTransport(handle)


def test_second_factor_is_asked_when_the_server_wants_it(term: PipeInput) -> None:
    posts: list[dict[str, list[str]]] = []
    type_ahead(term, ENTER + ENTER + f"{PASSWORD}\r" + "123456\r")
    client = login(GlobalOptions(), Settings(host="pve.example"), factory_for(_tfa_server(posts)))
    assert client.request("GET", "/version") == {"version": "9.1.3"}
    assert [p["password"] for p in posts] == [[PASSWORD], ["totp:123456"]]


def test_what_counts_as_credentials() -> None:
    options = GlobalOptions()
    assert has_credentials(options, Settings(host="h", token="root@pam!t=x"))
    assert has_credentials(options, Settings(host="h", user="root@pam", password="x"))
    assert has_credentials(GlobalOptions(password_stdin=True), Settings(host="h", user="root@pam"))
    assert not has_credentials(options, Settings(host="h", user="root@pam"))
    assert not has_credentials(options, Settings())


def test_vm_create_i_logs_in_first_when_the_context_has_no_credentials(
    sim: Simulator, term: PipeInput, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pvectl.cli.connection as connection

    transport = mock_transport(sim)
    monkeypatch.setattr(connection, "new_client", lambda cls, options, **kw: factory_for(transport)(**kw))
    type_ahead(term, ENTER + ENTER + f"{PASSWORD}\r" + answers(upto="confirm"))
    result = CliRunner().invoke(app, ["--host", "pve.example", "vm", "create", "-i", "--dry-run", "-o", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["requests"][0]["path"] == "/nodes/pve1/qemu"
    assert "Logged in to https://pve.example:8006 as root@pam" in result.stderr
