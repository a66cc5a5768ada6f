"""A typed answer keeps what PVE sent: code that compares PVE's own keys and value shapes reads it back unchanged."""

from __future__ import annotations

from pvectl.sdk._core.answers import UnexpectedAnswer, as_object, as_rows, plain
from pvectl.sdk._core.coerce import parse_list, parse_model
from pvectl.sdk.models.cluster import ClusterResourcesItem
from pvectl.sdk.models.nodes_qemu_config import NodesQemuConfigGetResponse

SENT = {"onboot": 1, "memory": "2048", "net0": "virtio=AA:BB:CC:DD:EE:FF,bridge=vmbr0", "x-new": "kept"}


def test_the_model_is_typed_and_its_answer_is_as_sent() -> None:
    config = parse_model(NodesQemuConfigGetResponse, dict(SENT))
    assert config.onboot is True  # typed: coerced
    assert config.pve_answer() == SENT  # as sent: 1 stays 1, "2048" stays a string
    assert as_object("GET config", config) == SENT


def test_the_answer_is_a_copy() -> None:
    config = parse_model(NodesQemuConfigGetResponse, dict(SENT))
    config.pve_answer()["onboot"] = 0
    assert config.pve_answer()["onboot"] == 1


def test_an_empty_list_for_an_object_stays_unexpected_for_as_object() -> None:
    # PVE's JSON encoder may send [] for an empty hash; the typed model reads it as empty, the raw check as odd
    config = parse_model(NodesQemuConfigGetResponse, [])
    assert config.pve_answer() == []
    try:
        as_object("GET config", config)
    except UnexpectedAnswer:
        pass
    else:
        raise AssertionError("[] passed as an object")


def test_lists_of_models_come_back_as_rows() -> None:
    rows = parse_list(ClusterResourcesItem, [{"vmid": "100", "type": "qemu"}, {"vmid": 101, "type": "lxc"}])
    assert as_rows("GET /cluster/resources", rows) == [{"vmid": "100", "type": "qemu"}, {"vmid": 101, "type": "lxc"}]
    assert plain(rows) == as_rows("GET /cluster/resources", rows)
    assert plain(7) == 7 and plain(None) is None


def test_a_model_built_by_hand_dumps_its_fields() -> None:
    assert NodesQemuConfigGetResponse(onboot=True).pve_answer() == {"onboot": True}
