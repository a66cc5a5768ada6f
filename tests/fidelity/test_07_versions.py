"""Item 7: the version table speaks pve-manager releases.

PVE: ``GET /version`` answers pve-manager's version (pve-manager PVE/API2/Version.pm), while the schema dumps are
pve-docs builds with their own numbers. pve-manager debian/changelog: cluster-wide guest bulk actions arrived
in 9.0.13 ("api: implement node-independent cluster wide guest bulk actions"), although the pve-docs 9.0.9 dump
is the first to list them. Between the last dump without and the first with a feature, a server may or may not
have it: pvectl sends, and PVE's 501 "Method … not implemented" becomes the same one-line error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import UnsupportedByServer
from pvectl.sdk._versions import RELEASES, SINCE
from pvectl.sim.core import _check_release
from pvectl.sim.wire import ApiFail
from tests.fidelity.conftest import Pve, seeded


def _pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str) -> Iterator[Pve]:
    vm = {"vmid": 100, "node": "pve1", "name": "web", "status": "stopped", "config": {"memory": "512"}}
    yield from seeded(tmp_path, monkeypatch, version=version, nodes=["pve1", "pve2"], vms=[vm])


@pytest.fixture
def pve909(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    yield from _pve(tmp_path, monkeypatch, "9.0.9")


@pytest.fixture
def pve841(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    yield from _pve(tmp_path, monkeypatch, "8.4.1")


def test_the_table_is_labelled_in_pve_manager_releases() -> None:
    assert RELEASES[-2:] == ("9.0.17", "9.1.9")  # pve-docs 9.0.9 and 9.1.3
    assert SINCE["POST /cluster/bulk-action/guest/start"] == "9.0.13"


def test_bulk_actions_on_9_0_9_are_refused_before_sending(pve909: Pve) -> None:
    run = pve909("vm", "start", "100", "--server-side")
    assert run.code == 2 and "needs PVE 9.0.13 or newer" in run.stderr, run.stderr
    assert pve909.writes() == []


def test_between_two_dumps_pvectl_sends_and_names_the_501(pve841: Pve) -> None:
    # HA rules are in the 9.0 dump, not in 8.4.0's: on 8.4.1 nobody knows before asking
    with pytest.raises(UnsupportedByServer) as caught:
        pve841.client.request("GET", "/cluster/ha/rules")
    assert str(caught.value) == "GET /cluster/ha/rules needs PVE 9.0.17 or newer; the server runs PVE 8.4.1"
    assert any(r.url.path.endswith("/cluster/ha/rules") for r in pve841.requests)  # it was sent


@pytest.fixture(params=["9.1.1", "9.1.2"])
def pve_9_1(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    yield from _pve(tmp_path, monkeypatch, request.param)


def test_max_workers_from_9_1_2_by_the_changelog(pve_9_1: Pve) -> None:
    # pve-manager debian/changelog 9.1.2: "use kebab-case for 'max-workers' parameter with alias to old
    # 'maxworkers'"; the dumps say only "after 9.0.17, by 9.1.9". In 9.1.2 the alias had no effect on the
    # cluster-wide actions (9.1.3: "workaround broken 'maxworkers' alias"): from 9.1.2 pvectl sends max-workers
    assert SINCE["POST /cluster/bulk-action/guest/start max-workers"] == "9.1.2"
    old = pve_9_1.client.request("GET", "/version")["version"] == "9.1.1"
    workers, other = ("maxworkers", "max-workers") if old else ("max-workers", "maxworkers")
    run = pve_9_1("vm", "start", "100", "--server-side", "--parallel", "2")
    assert run.code == 0, run.stderr
    body = [r for r in pve_9_1.requests if r.method == "POST"][0].content.decode().replace("%2D", "-")
    assert f"{workers}=2" in body and f"{other}=" not in body
    if old:  # refused before sending, and the simulator's 9.1.1 lacks it too
        with pytest.raises(UnsupportedByServer, match=r"needs PVE 9\.1\.2 or newer"):
            pve_9_1.client.request("POST", "/cluster/bulk-action/guest/start", {"vms": [100], "max-workers": 2})
    key, path = "POST /cluster/bulk-action/guest/start", "/cluster/bulk-action/guest/start"
    version = "9.1.1" if old else "9.1.2"
    if old:
        with pytest.raises(ApiFail) as caught:
            _check_release(version, key, path, {"vms": [100], "max-workers": 2})
        assert caught.value.status == 400
    else:
        _check_release(version, key, path, {"vms": [100], "max-workers": 2})
