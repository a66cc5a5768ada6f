"""A write whose answer is lost and that its command does not reconcile (pvesh-style ``api``): exit 7 saying the
request was sent and may have been carried out, never 5 ("could not connect"); nothing sent twice. A read that
fails the same way stays 5, and so does a request that never left (no connection)."""

from __future__ import annotations

from tests.faults.conftest import Faulty


def test_api_write_with_a_lost_answer_is_unknown_not_unreachable(pve: Faulty) -> None:
    pve.proxy.add("PUT", r"/nodes/pve2/qemu/101/config", "drop-after")
    run = pve("api", "set", "/nodes/pve2/qemu/101/config", "--description", "from the api")
    assert run.code == 7, run.text
    assert "PVE may have carried it out" in run.stderr and "not sent again" in run.stderr, run.text
    assert pve.proxy.writes().count("PUT /nodes/pve2/qemu/101/config") == 1
    assert pve.get("/nodes/pve2/qemu/101/config")["description"] == "from the api"  # it was


def test_a_read_with_a_lost_answer_is_a_connection_problem(pve: Faulty) -> None:
    pve.proxy.add("GET", r"/nodes/pve2/qemu/101/config", "drop-after", count=10)  # beyond the SDK's GET retries
    run = pve("api", "get", "/nodes/pve2/qemu/101/config")
    assert run.code == 5, run.text


def test_a_write_that_never_left_is_a_connection_problem(pve: Faulty) -> None:
    pve.proxy.close()  # nothing listens: the connection is refused before anything is sent
    run = pve("api", "set", "/nodes/pve2/qemu/101/config", "--description", "x")
    assert run.code == 5, run.text
