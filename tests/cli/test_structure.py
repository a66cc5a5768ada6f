"""The shape of the code (issue 24): commands parse, confirm and render; they import no other noun's commands;
command functions stay short; exit codes are defined once; the simulator imports nothing of the client."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2] / "pvectl"
COMMANDS = ROOT / "cli" / "commands"
MAX_LINES = 60
CLIENT_PACKAGES = (
    "pvectl.vm",
    "pvectl.guest",
    "pvectl.ct",
    "pvectl.console",
    "pvectl.cli",
    "pvectl.prompts",
    "pvectl.tui",
)

# Known debts, paid down as the workflows move into pvectl/guest/ops (each names what is left to move).
LONG_FUNCTIONS: set[str] = set()
CROSS_IMPORTS: set[tuple[str, str]] = set()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _noun(path: Path) -> str:
    """``commands/vm/power.py`` -> ``vm``; ``commands/node.py`` -> ``node``."""
    rel = path.relative_to(COMMANDS)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _command_module(name: str) -> str | None:
    prefix = "pvectl.cli.commands."
    if not name.startswith(prefix):
        return None
    return name[len(prefix) :].split(".")[0]


def test_commands_import_no_other_nouns_commands() -> None:
    found: set[tuple[str, str]] = set()
    for path in COMMANDS.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == COMMANDS:
            continue
        noun = _noun(path)
        for name in _imports(path):
            other = _command_module(name)
            if other is not None and other not in (noun, "__init__"):
                found.add((str(path.relative_to(ROOT)), other))
    assert found <= CROSS_IMPORTS, sorted(found - CROSS_IMPORTS)


def test_command_functions_are_short() -> None:
    long: dict[str, int] = {}
    for path in COMMANDS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None:
                lines = node.end_lineno - node.body[0].lineno + 1  # the body: signatures and decorators not counted
                if lines > MAX_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    assert set(long) <= LONG_FUNCTIONS, {k: v for k, v in long.items() if k not in LONG_FUNCTIONS}


def test_exit_codes_are_defined_once() -> None:
    """Only pvectl/guest/outcome.py assigns the documented exit codes to names."""
    codes = {
        "OK": 0,
        "FAILURE": 1,
        "USAGE": 2,
        "UNKNOWN": 7,
        "SOME_FAILED": 8,
        "INTERRUPTED": 130,
        "PARTIAL": 6,
        "CONNECTION": 5,
    }
    defined: list[str] = []
    for path in ROOT.rglob("*.py"):
        if "sim" in path.relative_to(ROOT).parts[:1]:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and codes.get(target.id) == node.value.value:
                        defined.append(f"{path.relative_to(ROOT)}:{target.id}")
    assert {d.split(":")[0] for d in defined} == {"guest/outcome.py"}, defined


def test_the_simulator_imports_nothing_of_the_client() -> None:
    found = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "sim").rglob("*.py")
        for name in _imports(path)
        if name.startswith(CLIENT_PACKAGES)
    )
    assert found == []


def test_a_broken_rule_is_seen() -> None:
    """The checks above can fail: a command module that imports another noun's commands is found."""
    assert _command_module("pvectl.cli.commands.vm.migrate") == "vm"
    assert _noun(COMMANDS / "node.py") == "node" and _noun(COMMANDS / "vm" / "power.py") == "vm"
