"""Tables vs JSON: `pvectl --sim vm list -o table` against `-o json` on a 1,000-VM simulator world, in one run.

Run: python -m tests.bench.bench_table [runs] [vms]

Two measurements, each a ratio against a baseline measured in the same run:
- whole commands in fresh interpreters (what a user waits for), interleaved;
- the renderers alone, in this process, on the rows `vm list` prints (the per-row cost of a table vs JSON),
  plus the former rich-based table for reference.
Target (issue #13): table <= 1.3x JSON.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from tests.bench._timing import compare

TARGET = 1.3


def seed(vms: int) -> dict[str, Any]:
    """The default world with ``vms`` VMs spread over its nodes (no disks: seeding stays fast)."""
    nodes = ["pve1", "pve2"]
    return {
        "vms": [
            {
                "vmid": 1000 + i,
                "node": nodes[i % len(nodes)],
                "name": f"vm-{i:05d}",
                "status": "running" if i % 3 else "stopped",
                "tags": "bench;fleet" if i % 2 else "bench",
                "config": {"memory": str(1024 * (1 + i % 8)), "cores": str(1 + i % 4)},
            }
            for i in range(vms)
        ]
    }


SNIPPET = """
import os, sys
os.environ["PVECTL_SIM_STATE_DIR"] = STATE
sys.argv = ["pvectl", "--sim", "vm", "list", "-o", FMT]
from pvectl.__main__ import main
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
"""


def rows_of(vms: int) -> list[dict[str, Any]]:
    return [
        {
            "vmid": vm["vmid"],
            "name": vm["name"],
            "node": vm["node"],
            "status": vm["status"],
            "tags": vm["tags"],
            "cpus": int(vm["config"]["cores"]),
            "memory": int(vm["config"]["memory"]),
        }
        for vm in seed(vms)["vms"]
    ]


def rich_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """The renderer tables used before (rich.Table, one string cell per value), for reference."""
    from rich.console import Console
    from rich.table import Table

    from pvectl.cli.output import human_cell

    t = Table(box=None, header_style="bold", pad_edge=False)
    for c in columns:
        t.add_column(c.upper(), overflow="fold")
    for row in rows:
        t.add_row(*(human_cell(c, row.get(c)) for c in columns))
    Console(file=sys.stdout, width=200).print(t)


def renderers(vms: int, runs: int) -> None:
    from pvectl.cli.output import Shape, render

    rows = rows_of(vms)
    columns = ["vmid", "name", "node", "status", "tags", "cpus", "memory"]
    cases: dict[str, Callable[[], None]] = {
        "json": lambda: render(rows, Shape(fmt="json"), columns=columns),
        "table": lambda: render(rows, Shape(fmt="table"), columns=columns),
        "rich (former)": lambda: rich_table(rows, columns),
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            with redirect_stdout(io.StringIO()):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times["json"])
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"renderer {name:<14} {median * 1000:7.2f} ms  {median / vms * 1e6:6.1f} us/row  {median / base:.2f}x json"
        )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    vms = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "sim"
        world = Path(tmp) / "world.json"
        world.write_text(json.dumps(seed(vms)))
        env = {**os.environ, "PVECTL_SIM_STATE_DIR": str(state)}
        cmd = [sys.executable, "-m", "pvectl", "sim", "reset", "--seed", str(world)]
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        code = {fmt: SNIPPET.replace("STATE", repr(str(state))).replace("FMT", repr(fmt)) for fmt in ("table", "json")}
        ratio = compare(
            f"pvectl --sim vm list, {vms} VMs: -o table vs -o json", code["table"], code["json"], runs, TARGET
        )
    renderers(vms, max(runs, 5))
    print(f"whole command: table/json {ratio:.2f}x (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
