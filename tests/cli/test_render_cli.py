"""Unit tests for the CLI renderer's decisions (codegen/render_cli.py)."""

from __future__ import annotations

from codegen.render_cli import (
    _kind,
    _metavar,
    _prefix,
    check_text,
    first_sentence,
    is_hidden,
    module_name,
    option_help,
    permissions_text,
)


def test_first_sentence_and_truncation() -> None:
    assert first_sentence("Create a VM. It may take a while.") == "Create a VM"
    assert first_sentence("x" * 100) == "x" * 100  # whole: listings wrap it, JSON never truncates
    assert first_sentence("x" * 100, limit=72).endswith("...")
    assert len(first_sentence("x" * 100, limit=72)) == 72


def test_group_prefix_and_module_names() -> None:
    assert _prefix("/nodes/{node}/qemu/{vmid}/config", 2) == "/nodes/{node}/qemu"
    assert _prefix("/nodes/{node}/qemu/{vmid}/config", 3) == "/nodes/{node}/qemu/{vmid}/config"
    assert _prefix("/nodes/{node}/qemu/{vmid}/snapshot/{snapname}", 3) == "/nodes/{node}/qemu/{vmid}/snapshot"
    assert module_name(()) == "root"
    assert module_name(("nodes", "qemu", "move-disk")) == "nodes_qemu_move_disk"


def test_option_kinds_and_metavars() -> None:
    assert _kind("node", {"type": "string"}, {"node"}) == "path"
    assert _kind("net[n]", {"type": "string"}, set()) == "family"
    assert _kind("acpi", {"type": "boolean"}, set()) == "bool"
    assert _kind("vms", {"type": "array"}, set()) == "array"
    assert _kind("delete", {"type": "string", "format": "pve-configid-list"}, set()) == "list"
    assert _metavar("value", {"type": "string", "enum": ["a", "b"]}) == "[a|b]"
    assert _metavar("value", {"type": "integer"}) == "INTEGER"
    assert _metavar("family", {}) == "N=VALUE"


def test_option_help_has_type_range_default_and_release() -> None:
    text = option_help(
        "cores", "value", {"type": "integer", "minimum": 1, "default": 1, "description": "Cores."}, "8.1.5"
    )
    assert text == "Cores. [integer 1..N; PVE default: 1 (not sent); since PVE 8.1.5]"
    fam = option_help("numa[n]", "family", {"type": "string", "index_range": [0, 7]}, None, "numa-n")
    assert "as --numa-n N=VALUE (repeatable) or --numaN VALUE, N in 0..7" in fam


def test_permissions_in_words() -> None:
    assert check_text(["perm", "/vms/{vmid}", ["VM.Audit"]]) == "VM.Audit on /vms/{vmid}"
    assert check_text(["perm", "/", ["Sys.Audit", "Sys.Modify"], "any", 1]) == "Sys.Audit or Sys.Modify on /"
    assert check_text(["or", ["perm", "/a", ["X"]], ["perm", "/b", ["Y"]]]) == "(X on /a or Y on /b)"
    assert permissions_text({"permissions": {"user": "all"}}) == "any authenticated user"
    assert permissions_text({}) == "none declared"


def test_websockets_and_internal_endpoints_are_hidden() -> None:
    assert is_hidden("/nodes/{node}/qemu/{vmid}/vncwebsocket", {})
    assert is_hidden("/cluster/config/nodes/{node}", {"description": "This call is for internal use."})
    assert not is_hidden("/nodes/{node}/qemu", {"description": "Create a VM."})
