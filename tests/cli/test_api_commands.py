"""Representative generated commands end to end against a mock transport."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from tests.cli.conftest import UPID, MockPve, Result

Run = Callable[..., Result]

VMS = [
    {"vmid": 100, "name": "web1", "status": "running", "maxmem": 2147483648, "cpus": 2},
    {"vmid": 101, "name": "db1", "status": "stopped", "maxmem": 4294967296, "cpus": 4},
]


def test_list_as_json(pve: MockPve, run: Run) -> None:
    pve.routes["GET /nodes/pve1/qemu"] = VMS
    result = run("api", "nodes", "qemu", "list", "--node", "pve1")
    assert result.exit_code == 0, result.stderr
    assert result.json() == VMS
    assert pve.sent() == ["GET /nodes/pve1/qemu"]


def test_list_as_table(pve: MockPve, run: Run) -> None:
    pve.routes["GET /nodes/pve1/qemu"] = VMS
    result = run("-o", "table", "api", "nodes", "qemu", "list", "--node", "pve1")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header[:3] == ["VMID", "NAME", "STATUS"]
    assert "web1" in result.stdout and "db1" in result.stdout


def test_get_prints_the_object(pve: MockPve, run: Run) -> None:
    pve.routes["GET /nodes/pve1/qemu/100/config"] = {
        "name": "web1",
        "memory": "2048",
        "net0": "virtio=AA:BB,bridge=vmbr0",
    }
    result = run("-o", "yaml", "api", "nodes", "qemu", "config", "get", "--node", "pve1", "--vmid", "100")
    assert result.exit_code == 0, result.stderr
    assert "name: web1\n" in result.stdout
    assert "net0: virtio=AA:BB,bridge=vmbr0\n" in result.stdout


def test_set_with_property_strings_booleans_families_and_lists(pve: MockPve, run: Run) -> None:
    pve.routes["PUT /nodes/pve1/qemu/100/config"] = None
    result = run(
        "api", "nodes", "qemu", "config", "set", "--node", "pve1", "--vmid", "100",
        "--net0", "virtio,bridge=vmbr0,firewall=1",
        "--net", "1=e1000,bridge=vmbr9",
        "--scsi1=ceph-pool:32",
        "--onboot", "yes", "--acpi", "off",
        "--delete", "ide2", "--delete", "sata0,sata1",
        "--agent", "enabled=1,fstrim_cloned_disks=1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (request,) = pve.requests
    assert request.method == "PUT"
    form = dict(MockPve.form(request))
    assert form == {
        "net0": "virtio,bridge=vmbr0,firewall=1",
        "net1": "e1000,bridge=vmbr9",
        "scsi1": "ceph-pool:32",
        "onboot": "1",
        "acpi": "0",
        "delete": "ide2,sata0,sata1",
        "agent": "enabled=1,fstrim_cloned_disks=1",
    }


def _task_routes(pve: MockPve, exitstatus: str = "OK") -> None:
    pve.routes["POST /nodes/pve1/qemu"] = UPID
    pve.routes[f"GET /nodes/pve1/tasks/{UPID}/status"] = {"status": "stopped", "exitstatus": exitstatus, "upid": UPID}
    pve.routes[f"GET /nodes/pve1/tasks/{UPID}/log"] = [{"n": 1, "t": "starting"}, {"n": 2, "t": f"TASK {exitstatus}"}]


def test_create_waits_for_the_task(pve: MockPve, run: Run) -> None:
    _task_routes(pve)
    result = run(
        "api", "nodes", "qemu", "create", "--node", "pve1", "--vmid", "101", "--name", "db1", "--memory", "2048"
    )
    assert result.exit_code == 0, result.stderr
    assert result.json()["exitstatus"] == "OK"
    assert result.json()["upid"] == UPID
    assert pve.sent()[0] == "POST /nodes/pve1/qemu"
    assert f"GET /nodes/pve1/tasks/{UPID}/status" in pve.sent()


def test_create_no_wait_prints_the_upid(pve: MockPve, run: Run) -> None:
    _task_routes(pve)
    result = run("-o", "text", "api", "nodes", "qemu", "create", "--node", "pve1", "--vmid", "101", "--no-wait")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == UPID
    assert pve.sent() == ["POST /nodes/pve1/qemu"]


def test_failed_task_exits_1_with_the_log_tail(pve: MockPve, run: Run) -> None:
    _task_routes(pve, exitstatus="unable to create VM 101: disk full")
    result = run("api", "nodes", "qemu", "create", "--node", "pve1", "--vmid", "101")
    assert result.exit_code == 1
    assert "task failed: unable to create VM 101: disk full" in result.stderr
    assert "TASK unable to create VM 101: disk full" in result.stderr


def test_delete(pve: MockPve, run: Run) -> None:
    pve.routes["DELETE /nodes/pve1/qemu/101"] = UPID.replace("qmcreate", "qmdestroy")
    result = run(
        "-o", "text", "api", "nodes", "qemu", "delete", "--node", "pve1", "--vmid", "101", "--purge", "1", "--no-wait"
    )
    assert result.exit_code == 0, result.stderr
    (request,) = pve.requests
    assert request.method == "DELETE"
    assert dict(request.url.params) == {"purge": "1"}


def test_bad_value_is_one_line_naming_the_option_and_nothing_is_sent(pve: MockPve, run: Run) -> None:
    result = run("api", "nodes", "qemu", "config", "set", "--node", "pve1", "--vmid", "100", "--cores", "0")
    assert result.exit_code == 2
    assert pve.requests == []
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: --cores: value must have a minimum value of 1")
    assert "accepts an integer in 1..N" in lines[0]


def test_bad_boolean_and_bad_property_string(pve: MockPve, run: Run) -> None:
    result = run("api", "nodes", "qemu", "config", "set", "--node", "pve1", "--vmid", "100", "--acpi", "maybe")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --acpi: expected a boolean (1/0, true/false, yes/no, on/off), got 'maybe'"
    result = run(
        "api", "nodes", "qemu", "config", "set", "--node", "pve1", "--vmid", "100", "--net0", "virtio,nosuchkey=1"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --net0: ")
    assert pve.requests == []


def test_bad_family_item(pve: MockPve, run: Run) -> None:
    result = run("api", "nodes", "qemu", "config", "set", "--node", "pve1", "--vmid", "100", "--net", "virtio")
    assert result.exit_code == 2
    assert "--net: expected N=VALUE" in result.stderr
    assert pve.requests == []


def test_api_error_shows_every_field_error(pve: MockPve, run: Run) -> None:
    pve.routes["PUT /nodes/pve1/qemu/100/config"] = lambda request: httpx.Response(
        400,
        json={
            "data": None,
            "message": "Parameter verification failed.",
            "errors": {"memory": "value too large", "name": "invalid format - DNS name"},
        },
    )
    result = run("api", "nodes", "qemu", "config", "set", "--node", "pve1", "--vmid", "100", "--memory", "2048")
    assert result.exit_code == 1
    assert "Parameter verification failed." in result.stderr
    assert "memory: value too large" in result.stderr
    assert "name: invalid format - DNS name" in result.stderr


def test_missing_path_option_is_a_usage_error(pve: MockPve, run: Run) -> None:
    result = run("api", "nodes", "qemu", "list")
    assert result.exit_code == 2
    assert "--node" in result.stderr
    assert pve.requests == []


def test_json_and_yaml_are_never_wrapped_or_truncated(pve: MockPve, run: Run) -> None:
    description = "word " * 2000 + "END"
    pve.routes["GET /nodes/pve1/qemu/100/config"] = {"description": description, "name": "web1"}
    args = ("api", "nodes", "qemu", "config", "get", "--node", "pve1", "--vmid", "100")
    result = run("-o", "json", *args, env={"COLUMNS": "40"})
    assert result.json()["description"] == description
    assert f'"description": "{description}"' in result.stdout
    result = run("-o", "yaml", *args, env={"COLUMNS": "40"})
    assert f"description: {description}\n" in result.stdout


def test_pvesh_style_get_and_set(pve: MockPve, run: Run) -> None:
    pve.routes["GET /nodes/pve1/qemu"] = VMS
    pve.routes["PUT /nodes/pve1/qemu/100/config"] = None
    result = run("api", "get", "/nodes/pve1/qemu", "--full", "1")
    assert result.exit_code == 0, result.stderr
    assert result.json() == VMS
    assert dict(pve.requests[-1].url.params) == {"full": "1"}
    assert run("api", "get", "/nodes/pve1/qemu", "-o", "text").stdout.startswith("vmid\tname")
    result = run(
        "api",
        "set",
        "/nodes/pve1/qemu/100/config",
        "--memory",
        "4096",
        "--net0=virtio,bridge=vmbr0",
        "--onboot",
        "true",
    )
    assert result.exit_code == 0, result.stderr
    assert dict(MockPve.form(pve.requests[-1])) == {"memory": "4096", "net0": "virtio,bridge=vmbr0", "onboot": "1"}


def test_pvesh_style_validation_and_unknown_path(pve: MockPve, run: Run) -> None:
    result = run("api", "set", "/nodes/pve1/qemu/100/config", "--nosuch", "1")
    assert result.exit_code == 2
    assert "--nosuch" in result.stderr
    assert pve.requests == []
    # a path the schema does not know is sent as given (a newer PVE may have it); the server's 404 decides
    result = run("api", "get", "/nodes/pve1/nothing-here")
    assert result.exit_code == 4
    assert "nothing was validated" in result.stderr
    assert pve.sent() == ["GET /nodes/pve1/nothing-here"]


def test_pvesh_style_reaches_paths_newer_than_the_schema(pve: MockPve, run: Run) -> None:
    pve.routes["GET /nodes/pve1/newer/thing"] = {"answer": 42}
    pve.routes["POST /cluster/newer"] = UPID
    pve.routes[f"GET /nodes/pve1/tasks/{UPID}/status"] = {"status": "stopped", "exitstatus": "OK", "upid": UPID}
    result = run("api", "get", "/nodes/pve1/newer/thing", "--full", "--tag", "a", "--tag", "b", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"answer": 42}
    assert "note: GET /nodes/pve1/newer/thing is not in the PVE" in result.stderr
    assert pve.requests[-1].url.query == b"full=1&tag=a&tag=b"
    result = run("api", "create", "/cluster/newer", "--name", "x", "--no-wait")
    assert result.exit_code == 0, result.stderr
    assert UPID in result.stdout
    assert MockPve.form(pve.requests[-1]) == [("name", "x")]


def test_output_option_after_the_command(pve: MockPve, run: Run) -> None:
    pve.routes["GET /nodes/pve1/qemu"] = VMS
    result = run("api", "nodes", "qemu", "list", "--node", "pve1", "-o", "text")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].split("\t")[:2] == ["vmid", "name"]
    result = run("api", "nodes", "qemu", "list", "--node", "pve1", "--output=yaml")
    assert "- vmid: 100\n" in result.stdout
    result = run("api", "nodes", "qemu", "list", "--node", "pve1", "-o", "xml")
    assert result.exit_code == 2
    assert "xml" in result.stderr


def test_list_every_command(run: Run) -> None:
    text = run("api", "--list", "--no-headers")  # text when piped; the header line off
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert len(lines) == 649
    assert any(
        line.split() == ["nodes", "qemu", "config", "set", "PUT", "/nodes/{node}/qemu/{vmid}/config"] for line in lines
    )
    data = run("-o", "json", "api", "--list").json()
    assert len(data) == 649
    assert {
        "command": "nodes qemu status start",
        "method": "POST",
        "path": "/nodes/{node}/qemu/{vmid}/status/start",
    }.items() <= next(d for d in data if d["command"] == "nodes qemu status start").items()


def test_usage_of_a_path(run: Run) -> None:
    result = run("api", "usage", "/nodes/pve1/qemu")
    assert result.exit_code == 0, result.stderr
    assert "== GET /nodes/{node}/qemu" in result.stdout
    assert "== POST /nodes/{node}/qemu" in result.stdout
    assert "Usage: pvectl api nodes qemu create [OPTIONS]" in result.stdout
    only = run("api", "usage", "/nodes/{node}/qemu/{vmid}/config", "--command", "put")
    assert "PVE method:  update_vm" in only.stdout
    assert "== GET" not in only.stdout
    assert run("api", "usage", "/no/such/path").exit_code == 4


def test_help_shows_types_ranges_defaults_versions_and_permissions(run: Run) -> None:
    result = run("api", "nodes", "qemu", "config", "set", "--help", env={"COLUMNS": "200"})
    text = " ".join(result.stdout.split())
    assert "HTTP: PUT /nodes/{node}/qemu/{vmid}/config" in text
    assert "Permissions: VM.Config.Disk or VM.Config.CDROM" in text and "on /vms/{vmid}" in text
    assert "--cores INTEGER The number of cores per socket. [integer 1..N; PVE default: 1 (not sent)]" in text
    assert "since PVE 9.0.17 (or earlier, after 8.4.0)" in text  # allow-ksm
    assert "--arch [x86_64|aarch64]" in text
    assert "as --net N=VALUE (repeatable) or --netN VALUE, N in 0..31" in text


def test_family_beside_a_plain_parameter_of_the_same_name(pve: MockPve, run: Run) -> None:
    # qemu has both `numa` (a boolean) and `numa[n]` (topology): the family option is --numa-n
    pve.routes["PUT /nodes/pve1/qemu/100/config"] = None
    result = run(
        "api", "nodes", "qemu", "config", "set", "--node", "pve1", "--vmid", "100",
        "--numa", "on", "--numa0", "cpus=0-1,memory=1024", "--numa-n", "1=cpus=2-3,memory=1024",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert dict(MockPve.form(pve.requests[-1])) == {
        "numa": "1",
        "numa0": "cpus=0-1,memory=1024",
        "numa1": "cpus=2-3,memory=1024",
    }


def test_typos_get_suggestions_from_the_index(run: Run) -> None:
    result = run("api", "nodes", "qemo")
    assert result.exit_code == 2
    assert "Did you mean 'qemu'?" in result.stderr
    assert "Did you mean 'config'?" in run("api", "nodes", "qemu", "confgi").stderr


def test_array_parameters_are_repeated_keys(pve: MockPve, run: Run) -> None:
    pve.routes["POST /cluster/bulk-action/guest/start"] = UPID
    result = run(
        "-o", "text", "api", "cluster", "bulk-action", "guest", "start", "--vms", "100", "--vms", "101", "--no-wait"
    )
    assert result.exit_code == 0, result.stderr
    assert MockPve.form(pve.requests[-1]) == [("vms", "100"), ("vms", "101")]


def test_non_integer_path_value(pve: MockPve, run: Run) -> None:
    result = run("api", "nodes", "qemu", "config", "get", "--node", "pve1", "--vmid", "abc")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --vmid: type check ('integer') failed - got 'abc' (accepts an integer")
    assert pve.requests == []


def test_tables_are_for_people_json_stays_raw(pve: MockPve, run: Run) -> None:
    pve.routes["GET /nodes"] = [
        {"node": "pve1", "status": "online", "cpu": 0.05, "maxmem": 68719476736, "uptime": 90000}
    ]
    table = run("-o", "table", "api", "nodes", "list")
    assert table.stdout.split("\n")[0].split() == ["NODE", "STATUS", "UPTIME", "CPU", "MAXMEM"]
    assert table.stdout.split("\n")[1].split() == ["pve1", "online", "1d", "1h", "5.0%", "64.0", "GiB"]
    assert run("-o", "json", "api", "nodes", "list").json()[0]["maxmem"] == 68719476736


def test_interrupted_wait_says_the_task_goes_on(pve: MockPve, run: Run) -> None:
    pve.routes["POST /nodes/pve1/qemu"] = UPID

    def interrupt(request: httpx.Request) -> httpx.Response:
        raise KeyboardInterrupt

    pve.routes[f"GET /nodes/pve1/tasks/{UPID}/status"] = interrupt
    result = run("api", "nodes", "qemu", "create", "--node", "pve1", "--vmid", "101")
    assert result.exit_code == 130
    assert f"interrupted; the task goes on: {UPID}" in result.stderr
    assert f"pvectl task wait '{UPID}'" in result.stderr
