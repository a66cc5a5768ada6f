"""SDK benchmarks: import cost vs httpx, and the first call of one method vs raw httpx (mock transport).

Run: python -m tests.bench.bench_sdk
"""

from __future__ import annotations

from tests.bench._timing import compare, installed_env

IMPORT_SDK = "import pvectl.sdk"
IMPORT_HTTPX = "import httpx"

FIRST_CALL_SDK = """
import httpx
from pvectl.sdk import ProxmoxClient
data = {"data": {"status": "running", "vmid": 100, "name": "web1", "maxmem": 2147483648, "cpus": 2}}
t = httpx.MockTransport(lambda r: httpx.Response(200, json=data))
c = ProxmoxClient("pve1", token="root@pam!b=s", server_version="9.1.9", transport=t)
assert c.nodes("pve1").qemu(100).status.current().vmid == 100
"""

FIRST_CALL_RAW = """
import httpx
data = {"data": {"status": "running", "vmid": 100, "name": "web1", "maxmem": 2147483648, "cpus": 2}}
t = httpx.MockTransport(lambda r: httpx.Response(200, json=data))
c = httpx.Client(transport=t, headers={"Authorization": "PVEAPIToken=root@pam!b=s"})
assert c.get("https://pve1:8006/api2/json/nodes/pve1/qemu/100/status/current").json()["data"]["vmid"] == 100
"""


# What any SDK returning pydantic models pays before doing anything: the raw call plus importing pydantic.
FLOOR_PYDANTIC = FIRST_CALL_RAW + "import pydantic.main, pydantic.fields\n"


def main() -> None:
    env = installed_env()
    compare("import pvectl.sdk vs import httpx", IMPORT_SDK, IMPORT_HTTPX, target=1.3, env=env)
    compare(
        "import + first typed GET vs raw httpx (import+build+serialise+parse)",
        FIRST_CALL_SDK,
        FIRST_CALL_RAW,
        target=1.8,
        env=env,
    )
    compare("(floor) raw httpx + import pydantic vs raw httpx", FLOOR_PYDANTIC, FIRST_CALL_RAW, env=env)
    # what pvectl adds on top of the floor (its modules, the spec, the model classes, the call itself)
    compare("import + first typed GET vs the floor", FIRST_CALL_SDK, FLOOR_PYDANTIC, env=env)


if __name__ == "__main__":
    main()
