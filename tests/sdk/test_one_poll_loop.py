"""Issue 24: one poll/backoff loop. Outside the simulator, nothing sleeps but the loop in sdk/_core/backoff.py,
the injectable Clock that it sleeps on, and the few pauses listed here that are not polls (each with why)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2] / "pvectl"
SLEEPS = ("sleep", "asleep")

NOT_POLLS = {
    "sdk/_core/backoff.py": "the poll loop itself",
    "sdk/_core/base.py": "the Clock: time.sleep and asyncio.sleep behind the injectable clock",
    "sdk/_core/pinning.py": "httpcore's network backend hands its sleep through to the wrapped one",
    "sdk/_client.py": "a GET tried again after a lost connection or a 502/503/504 (delays from backoff.delay_at)",
    "vm/submit.py": "a short random pause before another VM id after a collision (spreads racing creates)",
}


def _sleeps(path: Path) -> list[int]:
    """Lines of ``path`` that call something named sleep/asleep (``time.sleep``, ``clock.sleep``, ``sleep``)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in SLEEPS:
            lines.append(node.lineno)
    return lines


def test_no_sleep_outside_the_poll_loop_and_the_listed_pauses() -> None:
    found = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("sim/") or rel in NOT_POLLS:
            continue
        lines = _sleeps(path)
        if lines:
            found[rel] = lines
    assert found == {}, f"poll through pvectl.sdk._core.backoff (Poll, poll_until) instead: {found}"


def test_every_listed_pause_still_sleeps() -> None:
    """A listed file that no longer sleeps leaves the list (it would hide a new loop there)."""
    assert [rel for rel in NOT_POLLS if not _sleeps(ROOT / rel)] == []


def test_the_scan_sees_the_ways_a_loop_sleeps(tmp_path: Path) -> None:
    code = tmp_path / "loop.py"
    code.write_text("import time\nfrom time import sleep\ntime.sleep(1)\nsleep(2)\nclient.clock.sleep(3)\n")
    assert _sleeps(code) == [3, 4, 5]
