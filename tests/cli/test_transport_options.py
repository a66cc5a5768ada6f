"""--request-timeout and --max-connections (flags, PVECTL_* variables, config keys): checked before anything
is sent, handed to the client; retries show with -v; http:// with a pin is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pvectl.cli.connection import make_client
from pvectl.cli.context import GlobalOptions
from tests.cli.conftest import Result
from tests.conftest import TOKEN
from tests.sdk._counting_server import Counts, counting_server

Run = Callable[..., Result]
PIN = ":".join(["AB"] * 32)


@pytest.fixture
def server() -> Iterator[Counts]:
    with counting_server() as counts:
        yield counts


def _config(text: str) -> None:
    from pvectl.config.paths import config_file

    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)


@pytest.mark.parametrize(
    ("args", "env", "names"),
    [
        (["--request-timeout", "0"], {}, "--request-timeout / PVECTL_REQUEST_TIMEOUT"),
        (["--request-timeout", "nan"], {}, "--request-timeout"),
        ([], {"PVECTL_REQUEST_TIMEOUT": "-5"}, "PVECTL_REQUEST_TIMEOUT"),
        (["--max-connections", "0"], {}, "--max-connections / PVECTL_MAX_CONNECTIONS"),
        ([], {"PVECTL_MAX_CONNECTIONS": "1000"}, "PVECTL_MAX_CONNECTIONS"),
        (["--fingerprint", PIN], {}, "a fingerprint pin needs https://"),
    ],
)
def test_bad_transport_settings_send_nothing(
    server: Counts, run: Run, args: list[str], env: dict[str, str], names: str
) -> None:
    result = run("--host", server.base_url, "--token", TOKEN, *args, "api", "get", "/nodes", env=env)
    assert result.exit_code == 2, result.stderr
    assert names in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not server.paths and server.opened == 0


@pytest.mark.parametrize("host", ["pve1:0", "pve1:65536", "pve1:x"])
def test_bad_ports_send_nothing(run: Run, host: str) -> None:
    result = run("--host", host, "--token", TOKEN, "api", "get", "/nodes")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --host / PVECTL_HOST: invalid host")


def test_a_bad_config_value_is_named(run: Run) -> None:
    _config('current-context = "lab"\n[contexts.lab]\nhost = "pve1"\nmax-connections = 0\n')
    result = run("api", "get", "/nodes")
    assert result.exit_code == 2
    assert "'max-connections' must be from 1 to 256" in result.stderr
    _config('current-context = "lab"\n[contexts.lab]\nhost = "pve1"\nport = 0\n')
    assert "'port' must be from 1 to 65535" in run("api", "get", "/nodes").stderr


def test_flags_reach_the_client() -> None:
    client = make_client(GlobalOptions(host="pve1", token=TOKEN, request_timeout=5, max_connections=3))
    assert (client.timeout, client.max_connections) == (5.0, 3)
    assert client._http.timeout.read == 5.0 and client._http.timeout.pool is None
    client.close()


def test_config_keys_reach_the_client_and_flags_win() -> None:
    _config('current-context = "lab"\n[contexts.lab]\nhost = "pve1"\nrequest-timeout = 7.5\nmax-connections = 2\n')
    client = make_client(GlobalOptions(token=TOKEN))
    assert (client.timeout, client.max_connections) == (7.5, 2)
    client.close()
    client = make_client(GlobalOptions(token=TOKEN, max_connections=12))
    assert (client.timeout, client.max_connections) == (7.5, 12)
    client.close()


def test_defaults() -> None:
    client = make_client(GlobalOptions(host="pve1", token=TOKEN))
    assert (client.timeout, client.max_connections) == (30.0, 10)
    client.close()


def test_config_set_takes_the_new_keys(run: Run) -> None:
    _config('current-context = "lab"\n[contexts.lab]\nhost = "pve1"\n')
    assert run("config", "set", "lab", "request-timeout=soon").exit_code == 2
    result = run("config", "set", "lab", "request-timeout=12.5", "max-connections=4")
    assert result.exit_code == 0, result.stderr
    client = make_client(GlobalOptions(token=TOKEN))
    assert (client.timeout, client.max_connections) == (12.5, 4)
    client.close()


def test_retries_are_reported_with_v(server: Counts, run: Run) -> None:
    server.unavailable = 1
    result = run("-v", "--host", server.base_url, "--token", TOKEN, "api", "get", "/nodes")
    assert result.exit_code == 0, result.stderr
    assert "GET /nodes: 503 Service Unavailable; trying again in 0.5 s (try 2 of at most 3)" in result.stderr
    quiet = run("--host", server.base_url, "--token", TOKEN, "api", "get", "/nodes")
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_the_request_timeout_applies(server: Counts, run: Run) -> None:
    server.delay = 1.0
    result = run("--host", server.base_url, "--token", TOKEN, "--request-timeout", "0.2", "api", "get", "/nodes")
    assert result.exit_code == 5, result.stderr
    assert "no answer within the request timeout of 0.2 s" in result.stderr


def test_the_help_separates_request_timeout_from_task_waits(run: Run) -> None:
    text = run("--help").stdout
    assert "--request-timeout" in text and "--max-connections" in text
    assert "PVECTL_REQUEST_TIMEOUT" in text and "PVECTL_MAX_CONNECTIONS" in text
