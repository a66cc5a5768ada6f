"""Item 1: a stale ``digest`` on a VM config write.

PVE: qemu-server src/PVE/API2/Qemu.pm ``update_vm_api`` (``$load_and_check_config``) answers
"checksum mismatch (file change by other user?)" ("missmatch" before its 2024 typo fix), not pve-common
src/PVE/Tools.pm ``assert_if_modified``'s "detected modified configuration ..." that other writes use.
pvectl must read the config after the refusal, see another digest and say nothing was applied (exit 1).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pvectl.sdk import ApiError, ProxmoxClient
from pvectl.sdk._core.errors import TransportError
from pvectl.sdk._core.request import Prepared
from pvectl.vm.lookup import lookup
from pvectl.vm.update import apply_update, plan_update
from tests.fidelity.conftest import Pve

CONFIG = "/nodes/pve1/qemu/100/config"


def refuse_guarded_writes(
    monkeypatch: pytest.MonkeyPatch,
    client: ProxmoxClient,
    said: str,
    before: Callable[[], object] | None = None,
    lost: bool = False,
) -> list[str]:
    """PVE answers every digest-guarded config write with ``said`` (500), after running ``before`` (what the
    server did first); ``lost``: the answer never arrives. The typed SDK sends through ``_send``: patched there,
    every write path is caught."""
    real = client._send
    refused: list[str] = []

    def send(prepared: Prepared) -> object:
        if prepared.method in ("PUT", "POST") and prepared.path.endswith(CONFIG) and "digest" in prepared.params:
            if before is not None:
                before()
            refused.append(f"{prepared.method} {CONFIG}")
            if lost:
                raise TransportError("the connection was reset while waiting for the answer")
            raise ApiError(500, said, method=prepared.method, path=CONFIG)
        return real(prepared)

    monkeypatch.setattr(client, "_send", send)
    return refused


def test_the_simulator_answers_update_vm_api_text(pve: Pve) -> None:
    with pytest.raises(ApiError) as caught:
        pve.client.request("PUT", CONFIG, {"cores": "4", "digest": "0" * 40})
    assert caught.value.status == 500
    assert caught.value.message == "checksum mismatch (file change by other user?)"


@pytest.mark.parametrize(
    "said",
    [
        "checksum mismatch (file change by other user?)",
        "checksum missmatch (file change by other user?)",  # qemu-server before be8c868f (2024)
        "detected modified configuration - file changed by other user? Try again.",  # pve-common
    ],
)
def test_a_conflict_is_nothing_applied_whatever_the_release_says(
    pve: Pve, monkeypatch: pytest.MonkeyPatch, said: str
) -> None:
    client = pve.client
    ref = lookup(client, "100")
    live = client.request("GET", CONFIG)
    plan = plan_update(live, {"cores": "4"})
    client.request("PUT", CONFIG, {"memory": "4096"})  # someone else changed the VM meanwhile
    refused = refuse_guarded_writes(monkeypatch, client, said)
    out = apply_update(client, ref, plan, digest=str(live["digest"]))
    assert refused == ["POST /nodes/pve1/qemu/100/config"]  # the answer came from the fake, with this text
    assert out.kind == "nothing-created" and out.exit_code == 1
    assert "changed since it was read; nothing was applied" in out.message


@pytest.mark.parametrize("running", [False, True])
def test_a_conflict_in_words_pvectl_does_not_know_is_still_nothing_applied(
    pve: Pve, monkeypatch: pytest.MonkeyPatch, running: bool
) -> None:
    # not decided by the text: the digest changed and no key of this write reads other than when it was read
    client = pve.client
    if not running:
        client.request("POST", "/nodes/pve1/qemu/100/status/stop", {})
    ref = lookup(client, "100")
    live = client.request("GET", CONFIG)
    plan = plan_update(live, {"cores": "4"})
    client.request("PUT", CONFIG, {"memory": "4096"})  # someone else's change
    refused = refuse_guarded_writes(monkeypatch, client, "Konfiguration wurde inzwischen geändert")
    out = apply_update(client, ref, plan, digest=str(live["digest"]))
    assert len(refused) == 1
    assert (out.kind, out.exit_code) == ("nothing-created", 1), out.message
    assert "changed since it was read; nothing was applied" in out.message


def test_a_lost_answer_after_someone_elses_change_is_nothing_applied(pve: Pve, monkeypatch: pytest.MonkeyPatch) -> None:
    # the digest changed and the write left no trace: its digest can never pass update_vm_api's check any more
    client = pve.client
    ref = lookup(client, "100")
    live = client.request("GET", CONFIG)
    plan = plan_update(live, {"cores": "4"})
    other = lambda: client.request("PUT", CONFIG, {"memory": "4096"})  # noqa: E731
    refused = refuse_guarded_writes(monkeypatch, client, "", before=other, lost=True)
    out = apply_update(client, ref, plan, digest=str(live["digest"]))
    assert len(refused) == 1
    assert (out.kind, out.exit_code) == ("nothing-created", 1), out.message


def test_a_refused_write_that_was_stored_is_still_partial(pve: Pve, monkeypatch: pytest.MonkeyPatch) -> None:
    # update_vm_api stores a running VM's change before a hotplug error: this write's key reads as sent
    client = pve.client
    ref = lookup(client, "100")
    live = client.request("GET", CONFIG)
    plan = plan_update(live, {"cores": "4"})
    stored = lambda: client.request("PUT", CONFIG, {"cores": "4"})  # noqa: E731
    refused = refuse_guarded_writes(monkeypatch, client, "unable to hotplug cores", before=stored)
    out = apply_update(client, ref, plan, digest=str(live["digest"]))
    assert len(refused) == 1
    assert (out.kind, out.exit_code) == ("partial", 6), out.message


def test_vm_set_against_a_stale_digest_says_the_vm_changed(pve: Pve) -> None:
    client = pve.client
    ref = lookup(client, "100")
    live = client.request("GET", CONFIG)
    client.request("PUT", CONFIG, {"memory": "4096"})
    out = apply_update(client, ref, plan_update(live, {"cores": "4"}), digest=str(live["digest"]))
    assert (out.kind, out.exit_code) == ("nothing-created", 1), out.message
    assert pve.vm(100)["config"]["cores"] == "2"


def _someone_edits_first(monkeypatch: pytest.MonkeyPatch, client: ProxmoxClient) -> None:
    """Another user changes memory right before pvectl's digest-guarded config write reaches the simulator."""
    real = client._send
    done: list[bool] = []

    def send(prepared: Prepared) -> object:
        guarded = prepared.method in ("PUT", "POST") and prepared.path.endswith(CONFIG)
        if guarded and "digest" in prepared.params and not done:
            done.append(True)
            client.request("PUT", CONFIG, {"memory": "4096"})
        return real(prepared)

    monkeypatch.setattr(client, "_send", send)


def test_vm_set_on_the_command_line(pve: Pve, monkeypatch: pytest.MonkeyPatch) -> None:
    _someone_edits_first(monkeypatch, pve.client)
    run = pve("vm", "set", "100", "--cores", "4")
    assert run.code == 1 and "the VM changed since it was read; nothing was applied" in run.stderr, run.stderr
    shown = pve.client.request("GET", CONFIG)  # pending values shown: the other user's memory, not our cores
    assert (shown["cores"], shown["memory"]) == ("2", "4096")


def test_apply_on_the_command_line(pve: Pve, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    doc = tmp_path / "vm.yaml"
    doc.write_text("kind: vm\nvmid: 100\nnode: pve1\nname: web1\ncores: 4\n")
    _someone_edits_first(monkeypatch, pve.client)
    run = pve("apply", "-f", str(doc), "--yes", "-o", "json")
    assert run.code != 0, run.stdout + run.stderr
    assert "the VM changed since it was read; nothing was applied" in run.stdout + run.stderr
    assert [o["exit_code"] for o in run.json()] == [1]
    assert pve.vm(100)["config"]["cores"] == "2"
