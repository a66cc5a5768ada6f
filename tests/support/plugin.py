"""The test suite's pytest plugin (registered in tests/conftest.py): isolation every test gets without asking,
so tests are hermetic and can run side by side under pytest-xdist, and the fixtures shared across folders.

Autouse, for every test:
- the caller's environment does not leak in: every ``PVECTL_*`` variable (and the completion protocol's, and
  the colour/size overrides Rich honours) is removed; ``HOME`` and the XDG directories point into a directory
  of the test's own, so config, caches, tickets and the ``--sim`` state are per test, never shared files;
- simulators that ``pvectl --sim`` started in this process are stopped when the test ends.

A test that needs a variable sets it with ``monkeypatch.setenv`` (or passes ``env=`` to a subprocess).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.answers import Script
from tests.support.clock import FakeClock
from tests.support.simcli import SimCli, sim_cli, sim_client, use_client

# Read by Rich or by the shell-completion protocol: a developer's shell must not change what tests see.
SCRUBBED = ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES", "_TYPER_COMPLETE_ARGS")
SCRUBBED_PREFIXES = ("PVECTL_", "_PVECTL_", "COMP_")
XDG = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME")


def pytest_configure(config: pytest.Config) -> None:
    # A suite started in the background by a non-interactive shell inherits SIGINT ignored, and so would every
    # `pvectl` it spawns (an ignored signal stays ignored across exec): the Ctrl-C tests need it delivered.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    _cache_bytecode(config)


def _cache_bytecode(config: pytest.Config) -> None:
    """``PYTHONDONTWRITEBYTECODE`` (set in some CI and sandbox shells) makes every interpreter the suite starts, the
    xdist workers and a few hundred ``pvectl`` subprocesses, compile pvectl's ~750 modules from source again: a
    quarter of a subprocess's CPU. The suite compiles them once into a temporary prefix instead (the source tree
    stays clean, as the variable asks), shared by the workers and their subprocesses, removed at the end."""
    if not sys.dont_write_bytecode or hasattr(config, "workerinput"):  # a worker inherits the controller's choice
        return
    prefix = tempfile.mkdtemp(prefix="pvectl-tests-pyc-")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    sys.dont_write_bytecode = False
    sys.pycache_prefix = prefix
    config.add_cleanup(lambda: shutil.rmtree(prefix, ignore_errors=True))


@pytest.fixture(autouse=True)
def _hermetic(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads or writes the real home, nor sees the caller's ``PVECTL_*`` (tests may set their own)."""
    for name in list(os.environ):
        if name in SCRUBBED or name.startswith(SCRUBBED_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var in XDG:
        monkeypatch.setenv(var, str(home / var.lower()))
    yield
    stop = getattr(sys.modules.get("pvectl.sim.embedded"), "stop_embedded", None)  # a test may fake the module
    if stop is not None:
        stop()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers per core (at most four more than the cores). About 40 % of a worker's time is
    spent waiting (subprocesses, servers, Textual's event loop, a task's pause), and a second worker per core
    fills it. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides when set, as pytest-xdist documents."""
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "")
    if chosen.isdigit():
        return int(chosen)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(2 * cores, cores + 4)


_SHARED: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _one_set_of_default_key_bindings(monkeypatch: pytest.MonkeyPatch) -> None:
    """prompt_toolkit builds its ~1,200 default key bindings (emacs, vi, mouse) anew for every Application: a
    third of the CPU of a real questionary question. They keep no state of their own (vi state lives on the app),
    so the tests share one set; the questions, layouts and key handling stay questionary's own."""
    application = sys.modules.get("prompt_toolkit.application.application")
    if application is None:  # no prompts in this process (yet)
        return
    if "key_bindings" not in _SHARED:
        _SHARED["key_bindings"] = application.load_key_bindings()
    monkeypatch.setattr(application, "load_key_bindings", lambda: _SHARED["key_bindings"])


@pytest.fixture(autouse=True)
def _one_click_tree_per_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """Typer turns an app into its Click command tree on every ``CliRunner().invoke``: in-process runs paid ~50 ms of
    CPU each for it, three quarters of a short command's cost. A process runs one command, so pvectl builds the tree
    once; the tests build each app's tree once per worker too (the lazy groups then load each noun once). The
    commands, their options and callbacks stay Typer's own; nothing of a run is kept (Click makes a new context
    for each)."""
    import typer.testing

    build = _SHARED.setdefault("build_command", typer.testing._get_command)  # type: ignore[attr-defined]
    trees: dict[int, tuple[Any, Any]] = _SHARED.setdefault("click_trees", {})

    def tree(app: Any) -> Any:
        known = trees.get(id(app))
        if known is None or known[0] is not app:
            known = trees[id(app)] = (app, build(app))
        return known[1]

    monkeypatch.setattr(typer.testing, "_get_command", tree)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimCli]:
    """`pvectl --sim ...` in-process against a fresh simulator (tasks end at once) on a mock transport."""
    yield from sim_cli(tmp_path, monkeypatch)


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., SimCli]]:
    """``seeded(**seed)`` -> a SimCli over a simulator seeded so (v1 node, older release ...)."""
    from pvectl.sim.core import Simulator
    from pvectl.sim.store import Store

    clients: list[Any] = []

    def make(**seed: Any) -> SimCli:
        runner = SimCli(Simulator(Store(tmp_path / "state.json", {"task_seconds": 0, **seed})))
        client = sim_client(runner.sim, clock=FakeClock())
        clients.append(client)
        use_client(monkeypatch, client)
        return runner

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sim_time(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """One fake time line for the simulators `--sim` builds in this test and for the completion cache: tasks end
    and cache entries age when the test calls ``advance``, never by sleeping."""
    from pvectl.cli import completers
    from pvectl.sim import core

    clock = FakeClock(1_800_000_000.0)
    monkeypatch.setattr(core, "default_clock", clock)
    monkeypatch.setattr(completers, "clock", clock.time)
    return clock


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Script]]:
    """``scripted(**answers_by_label)``: the prompts answered by tests/support/answers.py's Script, in process."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from pvectl.prompts import ask

    scripts: list[Script] = []

    def install(**answers: Any) -> Script:
        script = Script(answers)
        scripts.append(script)
        monkeypatch.setattr(ask, "questionary", script)
        return script

    # a session with its own input: the prompts' "is there a terminal?" check holds, nothing reads the real stdin
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        yield install
    left = {label: queue for s in scripts for label, queue in s.pending.items()}
    assert not left, f"scripted answers never asked for: {left}"
