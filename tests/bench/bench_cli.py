"""CLI startup benchmarks: pvectl vs a two-command Typer app, in one run, interleaved; wall time and peak RSS.

Run: python -m tests.bench.bench_cli [runs]

The generated modules are byte-compiled first (as in an installed wheel). Two baselines:
- "stock": the two-command Typer app doing the same kind of thing (its subcommand help and its TAB go through
  Typer 0.29's pydantic-backed parameter coercion, as any Typer app's do);
- "floor": the same app's root ``--help`` (interpreter + Typer + a help page, no pydantic): the cheapest
  invocation a Typer CLI can have.
"""

from __future__ import annotations

import compileall
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Peak RSS of the interpreter itself: VmHWM (ru_maxrss would include the parent's size at fork on Linux).
PEAK = """
import atexit, sys

def _peak():
    try:
        with open("/proc/self/status") as f:
            kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stderr.write(f"PEAK_KB {kb}\\n")

atexit.register(_peak)
"""

TWO_COMMANDS = """
import os, sys, typer
app = typer.Typer(rich_markup_mode=None, add_completion=False)

@app.command()
def start(vmid: int = 100, node: str = "pve1") -> None:
    "Start a VM."

@app.command()
def stop(vmid: int = 100, node: str = "pve1") -> None:
    "Stop a VM."

sys.argv = ["demo", *ARGS]
os.environ.update(ENV)
app(prog_name="demo")
"""

PVECTL = """
import os, sys
sys.argv = ["pvectl", *ARGS]
os.environ.update(ENV)
from pvectl.__main__ import main
main()
"""


def snippet(template: str, args: list[str], env: dict[str, str] | None = None) -> str:
    return PEAK + template.replace("ARGS", repr(args)).replace("ENV", repr(env or {}))


def bash_env(line: str, prog: str) -> dict[str, str]:
    words = line.split()
    return {
        "_PVECTL_COMPLETE" if prog == "pvectl" else "_DEMO_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) if line.endswith(" ") else len(words) - 1),
    }


def run_once(code: str) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1) or "Traceback" in proc.stderr:
        raise RuntimeError(f"benchmark snippet failed:\n{proc.stderr}")
    m = re.search(r"PEAK_KB (\d+)", proc.stderr)
    return elapsed, int(m.group(1)) if m else 0


def measure(snippets: dict[str, str], runs: int) -> dict[str, tuple[float, int]]:
    """Median seconds and median peak KiB per snippet, all interleaved so machine noise hits each alike."""
    times: dict[str, list[float]] = {k: [] for k in snippets}
    peaks: dict[str, list[int]] = {k: [] for k in snippets}
    for code in snippets.values():
        run_once(code)  # warm caches
    for _ in range(runs):
        for name, code in snippets.items():
            t, kb = run_once(code)
            times[name].append(t)
            peaks[name].append(kb)
    return {k: (statistics.median(times[k]), int(statistics.median(peaks[k]))) for k in snippets}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    compileall.compile_dir(str(ROOT / "pvectl"), quiet=1)
    env_demo_tab = bash_env("demo ", "demo")
    snippets = {
        "floor: demo --help": snippet(TWO_COMMANDS, ["--help"]),
        "stock: demo start --help": snippet(TWO_COMMANDS, ["start", "--help"]),
        "stock: TAB demo ": snippet(TWO_COMMANDS, [], env_demo_tab),
        "pvectl --help": snippet(PVECTL, ["--help"]),
        "pvectl api nodes qemu config set --help": snippet(PVECTL, ["api", "nodes", "qemu", "config", "set", "--help"]),
        "TAB pvectl api nodes qemu ": snippet(PVECTL, [], bash_env("pvectl api nodes qemu ", "pvectl")),
        # a curated command's live value with no server configured: the command tree and the completer's cost
        "TAB pvectl vm start ": snippet(PVECTL, [], bash_env("pvectl vm start ", "pvectl")),
        "TAB pvectl vm create --bios ": snippet(PVECTL, [], bash_env("pvectl vm create --bios ", "pvectl")),
    }
    os.environ.pop("PVECTL_HOST", None)
    results = measure(snippets, runs)
    for name, (seconds, kb) in results.items():
        print(f"{name:<45} {seconds * 1000:6.0f} ms  peak {kb / 1024:5.1f} MiB")
    print()
    comparisons = [
        ("pvectl --help", "floor: demo --help", 1.2),
        ("pvectl api nodes qemu config set --help", "stock: demo start --help", 1.3),
        ("pvectl api nodes qemu config set --help", "floor: demo --help", 1.3),
        ("TAB pvectl api nodes qemu ", "stock: TAB demo ", 1.3),
        ("TAB pvectl api nodes qemu ", "floor: demo --help", 1.3),
        ("TAB pvectl vm start ", "stock: TAB demo ", 1.3),
        ("TAB pvectl vm create --bios ", "stock: TAB demo ", 1.3),
    ]
    for cand, base, target in comparisons:
        ratio = results[cand][0] / results[base][0]
        mem = results[cand][1] / max(results[base][1], 1)
        verdict = "ok" if ratio <= target else f"OVER {target}x"
        print(f"{cand} vs {base}: time {ratio:.2f}x ({verdict}), peak memory {mem:.2f}x")


if __name__ == "__main__":
    main()
