"""Item 1: a stale ``digest`` on a VM config write.

PVE: qemu-server src/PVE/API2/Qemu.pm ``update_vm_api`` (``$load_and_check_config``) answers
"checksum mismatch (file change by other user?)" ("missmatch" before its 2024 typo fix), not pve-common
src/PVE/Tools.pm ``assert_if_modified``'s "detected modified configuration ..." that other writes use.
pvectl must read the config after the refusal, see another digest and say nothing was applied (exit 1).
"""

from __future__ import annotations

import pytest

from pvectl.sdk import ApiError
from pvectl.vm.lookup import lookup
from pvectl.vm.update import apply_update, plan_update
from tests.fidelity.conftest import Pve

CONFIG = "/nodes/pve1/qemu/100/config"


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
    real = client.request

    def answer(method: str, path: str, params: object = None) -> object:
        if method in ("PUT", "POST") and path == CONFIG:
            raise ApiError(500, said, method=method, path=path)
        return real(method, path, params)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "request", answer)
    out = apply_update(client, ref, plan, digest=str(live["digest"]))
    assert out.kind == "nothing-created" and out.exit_code == 1
    assert "changed since it was read; nothing was applied" in out.message


def test_vm_set_against_a_stale_digest_says_the_vm_changed(pve: Pve) -> None:
    client = pve.client
    ref = lookup(client, "100")
    live = client.request("GET", CONFIG)
    client.request("PUT", CONFIG, {"memory": "4096"})
    out = apply_update(client, ref, plan_update(live, {"cores": "4"}), digest=str(live["digest"]))
    assert (out.kind, out.exit_code) == ("nothing-created", 1), out.message
    assert pve.vm(100)["config"]["cores"] == "2"
