"""Bulk stop of 200 simulated VMs over real HTTPS: ``--parallel 8`` vs ``--parallel 1`` (the same code path as
``pvectl vm stop --all --parallel N``: pvectl.vm.bulk.run with one shared client and its connection pool).

Each run gets a fresh simulator whose 200 VMs all run; tasks take ``TASK_SECONDS`` (a real stop takes seconds,
so waiting dominates and parallel runs overlap the waits). Prints both times and the speed-up.

Run: python -m tests.bench.bench_bulk
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.server import start_server
from pvectl.sim.store import Store
from pvectl.sim.tls import ensure_cert
from pvectl.sim.world import credentials_of
from pvectl.vm import bulk
from pvectl.vm.actions import power
from pvectl.vm.lookup import cluster_vms

VMS = 200
TASK_SECONDS = 0.05
NODES = ["pve1", "pve2", "pve3", "pve4"]


def seed() -> dict[str, object]:
    vms = [
        {"vmid": 1000 + i, "node": NODES[i % len(NODES)], "name": f"vm-{i:03d}", "status": "running"}
        for i in range(VMS)
    ]
    return {"task_seconds": TASK_SECONDS, "nodes": NODES, "vms": vms}


def one_run(parallel: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        sim = Simulator(Store(Path(tmp) / "state.json", seed()))
        creds = credentials_of(sim.store.snapshot())
        cert = ensure_cert(Path(tmp))
        server = start_server(sim, cert)
        try:
            token = f"root@pam!{creds['token_id']}={creds['token_secret']}"
            with ProxmoxClient(base_url=server.base_url + "/api2/json", token=token, verify=str(cert.cert)) as client:
                refs = cluster_vms(client)
                assert len(refs) == VMS
                start = time.perf_counter()
                results = bulk.run(
                    client,
                    refs,
                    lambda ref: power(client, ref.node, ref.vmid, "stop").upid.raw,
                    past="stopped",
                    parallel=parallel,
                )
                elapsed = time.perf_counter() - start
            assert bulk.exit_code(results) == 0, [r.outcome.message for r in results if not r.outcome.ok][:3]
            states = {vm["status"] for vm in sim.store.snapshot()["vms"].values()}
            assert states == {"stopped"}, states
            return elapsed
        finally:
            server.stop()


def main() -> None:
    serial = one_run(1)
    parallel = one_run(8)
    print(f"bulk stop of {VMS} VMs (tasks {TASK_SECONDS:g}s each, HTTPS simulator, one client):")
    print(f"  --parallel 1: {serial:6.2f} s")
    print(f"  --parallel 8: {parallel:6.2f} s")
    print(f"  speed-up: {serial / parallel:.1f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
