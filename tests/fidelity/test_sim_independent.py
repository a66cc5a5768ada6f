"""The simulator models PVE on its own: no module of pvectl.sim imports the client's rules (issue 24 item 11),
so the client and the simulator can disagree, and these tests can catch either side drifting from PVE."""

from __future__ import annotations

import ast
from pathlib import Path

import pvectl.sim

CLIENT = ("pvectl.vm", "pvectl.guest", "pvectl.ct", "pvectl.console", "pvectl.cli", "pvectl.prompts", "pvectl.tui")


def test_no_simulator_module_imports_the_client() -> None:
    found = []
    for path in Path(pvectl.sim.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            found += [f"{path.name}: {n}" for n in names if n.startswith(CLIENT)]
    assert found == []


def test_the_simulator_judges_releases_on_its_own() -> None:
    # what an older seeded release lacks is read from the generated table by the simulator itself, not through
    # the client's version checks (pvectl.sdk._core.versions), so a misreading there cannot hide in both
    found = []
    for path in Path(pvectl.sim.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "pvectl.sdk._core.versions":
                found.append(path.name)
    assert found == []
