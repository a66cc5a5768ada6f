"""Bulk throughput against the simulator over real HTTPS (token auth), each client in a fresh process:

- 300 GETs of /nodes/pve1/qemu at once (``asyncio.gather``) from a fresh AsyncProxmoxClient, no warm-up,
  vs raw ``httpx.AsyncClient(max_connections=10)`` (target <= 1.3x) and vs a ``requests.Session`` driven by
  16 threads, the way the most used untyped PVE client does bulk work (target <= 1.0x; the row is skipped
  when ``requests`` is not installed: it is no dependency of pvectl, install it for the benchmark only);
- 500 GETs at once from a fresh AsyncProxmoxClient (one version check for all) vs raw httpx (target <= 1.3x);
- 500 sequential GETs on a warm sync client vs raw ``httpx.Client`` (target <= 1.2x).

Times are taken inside each process from the client's creation to its close (imports excluded: the import
benchmark is bench_sdk); runs interleave so machine noise hits every row alike.

Run: python -m tests.bench.bench_pool            (add --sweep to time the gather for several pool sizes)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from pvectl.sim.core import Simulator
from pvectl.sim.server import start_server
from pvectl.sim.store import Store
from pvectl.sim.tls import ensure_cert
from pvectl.sim.world import credentials_of

RUNS = 5
PATH = "/nodes/pve1/qemu"

PRELUDE = """
import asyncio, json, ssl, sys, time
BASE, TOKEN, CA, N = {base!r}, {token!r}, {ca!r}, {n}
URL = BASE + "/api2/json" + {path!r}
HEADERS = {{"Authorization": "PVEAPIToken=" + TOKEN}}
"""

SDK_GATHER = """
from pvectl.sdk import AsyncProxmoxClient
async def main():
    start, cpu = time.perf_counter(), time.process_time()
    async with AsyncProxmoxClient(base_url=BASE + "/api2/json", token=TOKEN, verify=CA{pool}) as client:
        results = await asyncio.gather(*(client.nodes("pve1").qemu.list() for _ in range(N)))
    assert len(results) == N and results[0]
    return time.perf_counter() - start, time.process_time() - cpu
print(*asyncio.run(main()))
"""

RAW_GATHER = """
import httpx
async def main():
    start, cpu = time.perf_counter(), time.process_time()
    context = ssl.create_default_context(cafile=CA)
    # no pool timeout, as the SDK: on a loaded machine httpx's default 5 s fails the baseline itself
    timeout = httpx.Timeout(30.0, pool=None)
    async with httpx.AsyncClient(verify=context, headers=HEADERS, timeout=timeout{limits}) as client:
        async def one():
            response = await client.get(URL)
            response.raise_for_status()
            return response.json()["data"]
        results = await asyncio.gather(*(one() for _ in range(N)))
    assert len(results) == N and results[0]
    return time.perf_counter() - start, time.process_time() - cpu
print(*asyncio.run(main()))
"""

REQUESTS_THREADS = """
from concurrent.futures import ThreadPoolExecutor
import requests
from requests.adapters import HTTPAdapter
class TrustCA(HTTPAdapter):  # the simulator's self-signed CA, trusted the way the other rows trust it
    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = CONTEXT
        return super().init_poolmanager(*args, **kwargs)
CONTEXT = ssl.create_default_context(cafile=CA)
start, cpu = time.perf_counter(), time.process_time()
with requests.Session() as session:
    session.mount("https://", TrustCA())  # requests' default pool: 10 connections per host
    session.headers.update(HEADERS)
    def one(_):
        response = session.get(URL)
        response.raise_for_status()
        return response.json()["data"]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(N)))
assert len(results) == N and results[0]
print(time.perf_counter() - start, time.process_time() - cpu)
"""

SDK_SEQUENTIAL = """
from pvectl.sdk import ProxmoxClient
with ProxmoxClient(base_url=BASE + "/api2/json", token=TOKEN, verify=CA) as client:
    client.nodes("pve1").qemu.list()  # warm: connection, spec, models, version check
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(N):
        assert client.nodes("pve1").qemu.list()
    print(time.perf_counter() - start, time.process_time() - cpu)
"""

RAW_SEQUENTIAL = """
import httpx
with httpx.Client(verify=ssl.create_default_context(cafile=CA), headers=HEADERS) as client:
    client.get(URL).raise_for_status()  # warm: connection
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(N):
        response = client.get(URL)
        response.raise_for_status()
        assert response.json()["data"]
    print(time.perf_counter() - start, time.process_time() - cpu)
"""


def has_requests() -> bool:
    return subprocess.run([sys.executable, "-c", "import requests"], capture_output=True).returncode == 0


class Bench:
    def __init__(self, base: str, token: str, ca: str) -> None:
        self.base, self.token, self.ca = base, token, ca

    def code(self, body: str, n: int) -> str:
        return PRELUDE.format(base=self.base, token=self.token, ca=self.ca, n=n, path=PATH) + body

    def once(self, code: str) -> tuple[float, float]:
        """(wall, CPU) seconds of the client's work in a fresh process."""
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"benchmark snippet failed:\n{done.stderr[-2000:]}")
        wall, cpu = done.stdout.strip().splitlines()[-1].split()
        return float(wall), float(cpu)

    def medians(self, rows: dict[str, str], runs: int = RUNS) -> dict[str, tuple[float, float]]:
        for code in rows.values():
            self.once(code)  # file cache, simulator warm
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for _ in range(runs):
            for name, code in rows.items():
                times[name].append(self.once(code))
        return {
            name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
            for name, values in times.items()
        }


def report(label: str, candidate: tuple[float, float], baseline: tuple[float, float], target: float) -> None:
    """The wall-time ratio is the goal; the client processes' CPU ratio is printed beside it because it
    holds still when other work shares the machine (the simulator's time is in neither)."""
    ratio = candidate[0] / baseline[0]
    verdict = "  ok" if ratio <= target else f"  OVER target {target}x"
    print(
        f"{label}: {candidate[0] * 1000:.0f} ms vs {baseline[0] * 1000:.0f} ms -> {ratio:.2f}x{verdict}"
        f"  (client CPU {candidate[1] * 1000:.0f} vs {baseline[1] * 1000:.0f} ms -> {candidate[1] / baseline[1]:.2f}x)"
    )


def run_all(bench: Bench) -> None:
    rows = {
        "sdk300": bench.code(SDK_GATHER.format(pool=""), 300),
        "raw300": bench.code(RAW_GATHER.format(limits=", limits=httpx.Limits(max_connections=10)"), 300),
        "rawdefault300": bench.code(RAW_GATHER.format(limits=""), 300),
        "sdk500": bench.code(SDK_GATHER.format(pool=""), 500),
        "raw500": bench.code(RAW_GATHER.format(limits=", limits=httpx.Limits(max_connections=10)"), 500),
        "sdkseq": bench.code(SDK_SEQUENTIAL, 500),
        "rawseq": bench.code(RAW_SEQUENTIAL, 500),
    }
    with_requests = has_requests()
    if with_requests:
        rows["requests300"] = bench.code(REQUESTS_THREADS, 300)
    m = bench.medians(rows)
    report("300 GETs at once, fresh AsyncProxmoxClient vs raw httpx.AsyncClient(max_connections=10)",
           m["sdk300"], m["raw300"], 1.3)  # fmt: skip
    if with_requests:
        report("300 GETs at once, fresh AsyncProxmoxClient vs requests.Session + 16 threads",
               m["sdk300"], m["requests300"], 1.0)  # fmt: skip
    else:
        print("300 GETs vs requests.Session + 16 threads: skipped (install requests in this environment to run it)")
    print(f"  (raw httpx.AsyncClient with its default pool of 100: {m['rawdefault300'][0] * 1000:.0f} ms)")
    report("500 GETs at once, fresh AsyncProxmoxClient (no warm-up) vs raw httpx.AsyncClient(max_connections=10)",
           m["sdk500"], m["raw500"], 1.3)  # fmt: skip
    report("500 sequential GETs, warm ProxmoxClient vs raw httpx.Client", m["sdkseq"], m["rawseq"], 1.2)


def sweep(bench: Bench) -> None:
    sizes = (4, 6, 8, 10, 12, 16, 24, 100)
    rows = {str(size): bench.code(SDK_GATHER.format(pool=f", max_connections={size}"), 300) for size in sizes}
    m = bench.medians(rows, runs=3)
    for size in sizes:
        wall, cpu = m[str(size)]
        print(f"max_connections={size:>3}: 300 GETs at once in {wall * 1000:.0f} ms (client CPU {cpu * 1000:.0f} ms)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sim = Simulator(Store(Path(tmp) / "state.json", {"task_seconds": 0}))
        creds = credentials_of(sim.store.snapshot())
        cert = ensure_cert(Path(tmp))
        server = start_server(sim, cert)
        try:
            token = f"root@pam!{creds['token_id']}={creds['token_secret']}"
            bench = Bench(server.base_url, token, str(cert.cert))
            if "--sweep" in sys.argv:
                sweep(bench)
            else:
                run_all(bench)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
