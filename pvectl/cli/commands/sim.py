"""``pvectl sim``: run, reset and inspect the embedded PVE simulator."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from pvectl.cli.errors import USAGE, CliError, reported

app = typer.Typer(
    name="sim",
    help="Run the embedded PVE simulator (a PVE 9.1.3 API on this machine, for demos and tests).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

SeedOpt = Annotated[
    Path | None,
    typer.Option(
        "--seed", help="World to start from (YAML/JSON; 'pvectl sim example-seed' shows the format).", dir_okay=False
    ),
]
StateOpt = Annotated[
    Path | None, typer.Option("--state", help="State file (default: state.json in the simulator's state dir).")
]


def _state_file(state: Path | None) -> Path:
    from pvectl.sim.paths import STATE_FILE, ensure_dir, state_dir

    return state if state is not None else ensure_dir(state_dir()) / STATE_FILE


def _open_store(state: Path | None, seed: Path | None, *, reset: bool) -> Any:
    from pvectl.sim.store import StateError, Store
    from pvectl.sim.world import SeedError, load_seed

    try:
        data = load_seed(seed) if seed is not None else None
        return Store(_state_file(state), data, reset=reset)
    except (SeedError, StateError) as exc:
        raise CliError(str(exc), USAGE) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback only unless --force).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free port).", min=0, max=65535)] = 8006,
    seed: SeedOpt = None,
    state: StateOpt = None,
    faults: Annotated[
        list[str] | None,
        typer.Option(
            "--faults",
            help="Inject a fault, KIND[:key=value,...] (repeatable), e.g. 'fail:path=/cluster/nextid,status=503'. "
            "Kinds: fail (path, method, nth, count, status, message), task-fail (type, message, count), "
            "task-slow (seconds, type), expire-tickets, steal-vmid (count), lock-vm (vmid, lock), "
            "node-offline (node), latency (seconds, path).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Allow a non-loopback address.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request.")] = False,
) -> None:
    """Serve the simulator over HTTPS until interrupted. --seed starts a fresh world from the file."""
    from pvectl.sim.core import Simulator
    from pvectl.sim.faults import FaultSpecError, parse_fault
    from pvectl.sim.paths import SERVER_FILE, ensure_dir, state_dir
    from pvectl.sim.server import start_server
    from pvectl.sim.tls import ensure_cert
    from pvectl.sim.world import credentials_of

    with reported():
        try:
            parsed = [parse_fault(spec) for spec in faults or []]
        except FaultSpecError as exc:
            raise CliError(f"--faults: {exc}", USAGE) from None
        store = _open_store(state, seed, reset=seed is not None)
        directory = ensure_dir(state_dir())
        cert = ensure_cert(directory)
        sim = Simulator(store)
        try:
            sim.inject(*parsed)
        except FaultSpecError as exc:
            raise CliError(f"--faults: {exc}", USAGE) from None
        try:
            running = start_server(sim, cert, host, port, force=force, verbose=verbose)
        except ValueError as exc:
            raise CliError(str(exc), USAGE) from None
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        snap = store.snapshot()
        creds = credentials_of(snap)
        token = f"root@pam!{creds['token_id']}={creds['token_secret']}"
        info = {"url": running.base_url, "port": running.port, "pid": os.getpid(), "fingerprint": cert.fingerprint}
        server_file = directory / SERVER_FILE
        server_file.write_text(json.dumps(info), encoding="utf-8")
        echo = typer.echo
        echo(f"PVE {snap['version']} simulator listening on {running.base_url}/api2/json")
        echo(f"  certificate SHA-256 fingerprint: {cert.fingerprint}")
        echo(f"  certificate file:                {cert.cert}")
        echo(f"  user root@pam, password:         {creds['password']}")
        echo(f"  API token:                       {token}")
        echo(f"  state file:                      {store.path}")
        echo(f"Try: pvectl --host {running.host}:{running.port} --fingerprint {cert.fingerprint} --token '{token}' ...")
        echo("Press Ctrl-C to stop.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            running.stop()
            server_file.unlink(missing_ok=True)
        echo("simulator stopped")


@app.command()
def reset(ctx: typer.Context, seed: SeedOpt = None, state: StateOpt = None) -> None:
    """Start over: a fresh default world (or the seed's); the password and token stay the same."""
    from pvectl.cli.output import show

    with reported():
        store = _open_store(state, seed, reset=True)
        show(ctx, {"state_file": str(store.path)}, human=f"simulator state reset: {store.path}", piped="text")


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def status_data(state: Path | None) -> dict[str, Any]:
    """What ``sim status`` reports, as data (the text below and ``-o json`` render the same dict)."""
    from pvectl.sim.paths import CERT_FILE, SERVER_FILE, state_dir
    from pvectl.sim.tls import fingerprint_of
    from pvectl.sim.world import credentials_of

    directory = state_dir()
    path = _state_file(state)
    data: dict[str, Any] = {"state_dir": str(directory), "state_file": str(path), "exists": path.exists()}
    if not data["exists"]:
        return data
    snap = _open_store(state, None, reset=False).snapshot()
    creds = credentials_of(snap)
    data |= {
        "version": snap["version"],
        "nodes": list(snap["nodes"]),
        "vms": len(snap["vms"]),
        "tasks": len(snap["tasks"]),
        "running_tasks": sum(t["status"] == "running" for t in snap["tasks"]),
        "password": creds["password"],
        "token": f"root@pam!{creds['token_id']}={creds['token_secret']}",
    }
    cert = directory / CERT_FILE
    if cert.exists():
        data["certificate"] = str(cert)
        data["fingerprint"] = fingerprint_of(cert.read_bytes())
    server = directory / SERVER_FILE
    info: dict[str, Any] = {}
    if server.exists():
        try:
            info = json.loads(server.read_text(encoding="utf-8"))
        except ValueError:
            info = {}
    running = bool(info) and _reachable(int(info.get("port", 0)))
    data["servers"] = [{"url": info["url"], "pid": info.get("pid")}] if running else []
    return data


def _status_text(data: dict[str, Any]) -> str:
    lines = [f"state dir:   {data['state_dir']}"]
    if not data["exists"]:
        lines.append(f"state file:  {data['state_file']} (none yet: created on first use)")
        return "\n".join(lines)
    lines.append(f"state file:  {data['state_file']}")
    lines.append(f"PVE version: {data['version']}; nodes: {', '.join(data['nodes'])}")
    lines.append(f"VMs: {data['vms']}; tasks: {data['tasks']} ({data['running_tasks']} running)")
    lines.append(f"user root@pam, password: {data['password']}")
    lines.append(f"API token:   {data['token']}")
    if "certificate" in data:
        lines.append(f"certificate: {data['certificate']} (SHA-256 {data['fingerprint']})")
    if not data["servers"]:
        lines.append("server:      not running ('pvectl sim serve' starts one)")
    lines += [f"server:      running at {s['url']} (pid {s['pid']})" for s in data["servers"]]
    return "\n".join(lines)


@app.command()
def status(ctx: typer.Context, state: StateOpt = None) -> None:
    """Where the simulator keeps its state, what is in it, and whether `sim serve` runs."""
    from pvectl.cli.output import show

    with reported():
        data = status_data(state)
        show(ctx, data, human=_status_text(data), piped="text")


@app.command("example-seed")
def example_seed(ctx: typer.Context) -> None:
    """Print the default world as a seed file (YAML with comments) to copy, edit and pass to --seed."""
    import yaml

    from pvectl.cli.output import show
    from pvectl.sim import world

    lines = []
    for line in (world.__doc__ or "").strip().splitlines()[2:]:
        if line.startswith("A malformed seed"):
            break
        lines.append(f"# {line}".rstrip())
    commented = "\n".join(lines) + "\n" + yaml.safe_dump(world.DEFAULT_SEED, sort_keys=False, width=118)
    show(ctx, world.DEFAULT_SEED, human=commented, piped="text")
