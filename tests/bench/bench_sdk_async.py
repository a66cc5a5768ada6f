"""SDK overhead against the simulator over real HTTPS: N GETs through AsyncProxmoxClient vs raw
httpx.AsyncClient (target <= 1.3x). Both keep their connections alive; requests run 10 at a time.

Run: python -m tests.bench.bench_sdk_async
"""

from __future__ import annotations

import asyncio
import ssl
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from pvectl.sdk import AsyncProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.server import start_server
from pvectl.sim.store import Store
from pvectl.sim.tls import ensure_cert
from pvectl.sim.world import credentials_of

N = 400
CONCURRENCY = 10


async def batch(call: object) -> float:
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with sem:
            await call()  # type: ignore[operator]

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(N)))
    return time.perf_counter() - start


async def main_async(base: str, token: str, ca: str) -> None:
    context = ssl.create_default_context(cafile=ca)
    headers = {"Authorization": f"PVEAPIToken={token}"}
    async with (
        httpx.AsyncClient(verify=context, headers=headers) as raw,
        AsyncProxmoxClient(base_url=f"{base}/api2/json", token=token, verify=ca) as sdk,
    ):

        async def raw_call() -> None:
            response = await raw.get(f"{base}/api2/json/nodes")
            response.raise_for_status()
            assert response.json()["data"]

        async def sdk_call() -> None:
            assert await sdk.nodes.list()

        await raw_call()
        await sdk_call()  # warm: spec, models, version check
        sdk_times, raw_times = [], []
        for _ in range(3):
            sdk_times.append(await batch(sdk_call))
            raw_times.append(await batch(raw_call))
    ratio = statistics.median(sdk_times) / statistics.median(raw_times)
    verdict = "  ok" if ratio <= 1.3 else "  OVER target 1.3x"
    print(
        f"{N} GETs /nodes over HTTPS, {CONCURRENCY} at a time: SDK {statistics.median(sdk_times) * 1000:.0f} ms"
        f" vs raw httpx {statistics.median(raw_times) * 1000:.0f} ms -> {ratio:.2f}x{verdict}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sim = Simulator(Store(Path(tmp) / "state.json", {"task_seconds": 0}))
        creds = credentials_of(sim.store.snapshot())
        cert = ensure_cert(Path(tmp))
        server = start_server(sim, cert)
        try:
            token = f"root@pam!{creds['token_id']}={creds['token_secret']}"
            asyncio.run(main_async(server.base_url, token, str(cert.cert)))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
