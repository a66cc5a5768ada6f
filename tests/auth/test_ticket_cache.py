"""An unusable ticket cache costs a login, never the command: a warning on stderr and a fresh login."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock

import pvectl.config.tickets as tickets
from pvectl.cli.connection import make_client
from pvectl.cli.context import GlobalOptions
from tests.auth.conftest import BASE, PASSWORD, TICKET1, login_answer


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tickets, "_warned", set())


def _directory(path: Path) -> None:
    path.mkdir(parents=True)


def _corrupt(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    path.chmod(0o600)


def _a_list(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2]")
    path.chmod(0o600)


def _parent_is_a_file(path: Path) -> None:
    path.parent.parent.mkdir(parents=True, exist_ok=True)
    path.parent.write_text("in the way")


BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "directory": (_directory, "is not a file"),
    "corrupt": (_corrupt, "is corrupt"),
    "not an object": (_a_list, "is corrupt"),
    "parent is a file": (_parent_is_a_file, "cannot"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_password_commands_work_with_an_unusable_cache(
    case: str, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_broken, says = BROKEN[case]
    make_broken(tickets.cache_file())
    monkeypatch.setenv("PVECTL_PASSWORD", PASSWORD)
    httpx_mock.add_response(method="POST", url=f"{BASE}/access/ticket", json=login_answer())
    httpx_mock.add_response(method="GET", url=f"{BASE}/nodes", json={"data": [{"node": "pve1"}]})
    options = GlobalOptions(host="pve1", user="root@pam")
    client = make_client(options)
    client.server_version = "9.1.3"
    assert client.request("GET", "/nodes") == [{"node": "pve1"}]
    client.close()
    err = capsys.readouterr().err
    assert says in err and "warning:" in err
    assert err.count("warning:") <= 2  # once for reading, at most once for writing
    assert [r.url.path for r in httpx_mock.get_requests()] == ["/api2/json/access/ticket", "/api2/json/nodes"]


def test_a_corrupt_cache_is_replaced_by_a_good_one(capsys: pytest.CaptureFixture[str]) -> None:
    _corrupt(tickets.cache_file())
    assert tickets.load_ticket(BASE, "root@pam") is None
    tickets.store_ticket(BASE, "root@pam", TICKET1, None)
    cached = tickets.load_ticket(BASE, "root@pam")
    assert cached is not None and cached.ticket == TICKET1
    assert "is corrupt" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_cache_is_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    path = tickets.cache_file()
    _corrupt(path)
    path.chmod(0o200)
    assert tickets.load_ticket(BASE, "root@pam") is None
    assert "cannot read the ticket cache" in capsys.readouterr().err


def test_logout_with_a_directory_in_the_way_warns(capsys: pytest.CaptureFixture[str]) -> None:
    _directory(tickets.cache_file())
    assert tickets.drop_tickets() == 0
    assert "warning:" in capsys.readouterr().err


def test_a_missing_cache_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert tickets.load_ticket(BASE, "root@pam") is None
    assert capsys.readouterr().err == ""
