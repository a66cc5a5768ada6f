"""``pvectl sim``: run, reset and inspect the embedded PVE simulator."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from pvectl.cli.errors import USAGE, CliError, reported

FAULT_KINDS = """\
fail:path=P[,method=M,nth=N,count=C,status=S,message=T]
    the Nth call to P (and the C-1 after it) answers status S, message T
task-fail[:type=T,message=M,count=C]
    tasks (of type T, e.g. qmcreate) end with error M
task-slow:seconds=S[,type=T]
    tasks (of type T) run S seconds
expire-tickets
    every ticket issued so far stops being valid
steal-vmid[:count=C]
    the id /cluster/nextid answers is taken by another VM right after
lock-vm:vmid=N[,lock=L]
    the VM's config gets 'lock: L' (default backup)
node-offline:node=N
    the node answers 595 and shows as offline
latency:seconds=S[,path=P]
    every request (to P) waits S seconds first
agent:vmid=N,state=down|no-exec
    the VM's guest agent never answers, or refuses guest-exec
console:vmid=N[,state=refused]
    the VM's serial console refuses the login (closes without OK)
backup-fail:vmid=N[,message=T]
    vzdump's backup of guest N fails with T; the job goes on (job errors)"""

app = typer.Typer(
    name="sim",
    help=(
        "Run the embedded PVE simulator (a PVE 9.1 API on this machine, for demos and tests).\n\n"
        "`pvectl --sim ...` runs commands against it without a server; `pvectl sim serve` serves it over HTTPS. "
        "State lives in $PVECTL_SIM_STATE_DIR (default: $XDG_STATE_HOME/pvectl/sim).\n\n"
        "Faults: `sim serve --faults SPEC` (repeatable), a seed's `faults` list, or for `--sim` the variable "
        "PVECTL_SIM_FAULTS='SPEC; SPEC...'. Faults from PVECTL_SIM_FAULTS apply only while it is set; "
        "`sim status` shows the faults in force and `sim faults clear` undoes them. SPEC is KIND[:key=value,...]:"
        "\n\n\b\n" + FAULT_KINDS
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
faults_app = typer.Typer(
    name="faults",
    help="Faults in force in the simulator's state (seed, --faults, PVECTL_SIM_FAULTS).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(faults_app)

SeedOpt = Annotated[
    Path | None,
    typer.Option(
        "--seed",
        help="World to start from (YAML/JSON; 'pvectl sim example-seed' shows the format), or 'stock' (a freshly "
        "installed one-node PVE), or 'examples' (where a new state starts: what the examples of --help and the "
        "README name).",
        dir_okay=False,
    ),
]
StateOpt = Annotated[
    Path | None, typer.Option("--state", help="State file (default: state.db in the simulator's state dir).")
]


def _state_file(state: Path | None) -> Path:
    from pvectl.sim.paths import STATE_FILE, ensure_dir, state_dir

    return state if state is not None else ensure_dir(state_dir()) / STATE_FILE


def _open_store(state: Path | None, seed: Path | None, *, reset: bool) -> Any:
    from pvectl.sim.store import StateError, Store
    from pvectl.sim.world import SeedError, load_world

    try:
        if seed is None:
            return Store(_state_file(state), reset=reset)
        data, world = load_world(seed)  # checked and built once
        return Store(_state_file(state), data, reset=reset, state=world)
    except (SeedError, StateError) as exc:
        raise CliError(str(exc), USAGE) from None


def _serve_args(host: str, port: int, workers: int, force: bool, faults: list[str] | None) -> list[Any]:
    """``sim serve``'s flags checked (exit 2 naming the flag); the parsed faults."""
    from pvectl.sim.faults import FaultSpecError, parse_fault
    from pvectl.sim.server import is_loopback

    if not 0 <= port <= 65535:
        raise CliError(f"--port: must be between 0 and 65535, got {port}", USAGE)
    if not 1 <= workers <= 64:
        raise CliError(f"--workers: must be between 1 and 64, got {workers}", USAGE)
    if not force and not is_loopback(host):
        raise CliError(
            f"refusing to listen on non-loopback address '{host}' (the simulator is for this machine)", USAGE
        )
    try:
        return [parse_fault(spec) for spec in faults or []]
    except FaultSpecError as exc:
        raise CliError(f"--faults: {exc}", USAGE) from None


def _banner(headline: str, fingerprint: str, cert: str, password: str, token: str, state: str, where: str) -> None:
    """What ``sim serve`` prints on start: how to reach and log in to this local simulator."""
    echo = typer.echo
    echo(headline)
    echo(f"  certificate SHA-256 fingerprint: {fingerprint}")
    echo(f"  certificate file:                {cert}")
    echo(f"  user root@pam, password:         {password}")
    echo(f"  API token:                       {token}")
    echo(f"  state file:                      {state}")
    echo(f"Try: pvectl --host {where} --fingerprint {fingerprint} --token '{token}' ...")
    echo("Press Ctrl-C to stop.")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback only unless --force).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="TCP port, 0-65535 (0: any free port).")] = 8006,
    seed: SeedOpt = None,
    state: StateOpt = None,
    faults: Annotated[
        list[str] | None,
        typer.Option(
            "--faults",
            help="Inject a fault, KIND[:key=value,...] (repeatable), e.g. 'fail:path=/cluster/nextid,status=503'. "
            "Kinds: see 'pvectl sim --help'.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Allow a non-loopback address.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request.")] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="Serve from N processes sharing the port, as pveproxy's 3 workers do (1-64; request faults "
            "count calls per process, so they need 1).",
        ),
    ] = 1,
) -> None:
    """Serve the simulator over HTTPS until interrupted. --seed starts a fresh world from the file."""
    from pvectl.sim.core import Simulator
    from pvectl.sim.faults import FaultSpecError
    from pvectl.sim.paths import ensure_dir, state_dir
    from pvectl.sim.server import start_server
    from pvectl.sim.servers import forget_server, record_server
    from pvectl.sim.tls import ensure_cert

    with reported():
        parsed = _serve_args(host, port, workers, force, faults)
        store = _open_store(state, seed, reset=seed is not None)
        directory = ensure_dir(state_dir())
        cert = ensure_cert(directory, host)
        sim = Simulator(store)
        try:
            sim.inject(*parsed)
        except FaultSpecError as exc:
            raise CliError(f"--faults: {exc}", USAGE) from None
        if workers > 1 and sim.faults.faults:
            raise CliError("--workers: request faults count calls in one process; serve them with --workers 1", USAGE)
        try:
            running = start_server(sim, cert, host, port, force=force, verbose=verbose, workers=workers)
        except ValueError as exc:
            raise CliError(str(exc), USAGE) from None
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        summary = store.summary()
        creds = store.credentials()
        token = f"root@pam!{creds['token_id']}={creds['token_secret']}"
        info = {
            "url": running.base_url,
            "host": running.host,
            "port": running.port,
            "pid": os.getpid(),
            "fingerprint": cert.fingerprint,
        }
        record_server(directory, info)
        serving = f" ({workers} worker processes)" if workers > 1 else ""
        _banner(
            f"PVE {summary['version']} simulator listening on {running.base_url}/api2/json{serving}",
            cert.fingerprint,
            str(cert.cert),
            creds["password"],
            token,
            str(store.path),
            f"{running.host}:{running.port}",
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            running.stop()
            forget_server(directory, info)
        typer.echo("simulator stopped")


@app.command()
def reset(ctx: typer.Context, seed: SeedOpt = None, state: StateOpt = None) -> None:
    """Start over: the world a new state starts from (or the seed's); the password and token stay the same."""
    from pvectl.cli.output import show

    with reported():
        store = _open_store(state, seed, reset=True)
        show(ctx, {"state_file": str(store.path)}, human=f"simulator state reset: {store.path}", piped="text")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except (OSError, ValueError):
        return False


def status_data(state: Path | None) -> dict[str, Any]:
    """What ``sim status`` reports, as data (the text below and ``-o json`` render the same dict)."""
    import os

    from pvectl.sim.paths import CERT_FILE, FAULTS_ENV, state_dir
    from pvectl.sim.servers import recorded_servers
    from pvectl.sim.tls import fingerprint_of

    directory = state_dir()
    path = _state_file(state)
    data: dict[str, Any] = {"state_dir": str(directory), "state_file": str(path), "exists": path.exists()}
    # the faults `--sim` runs with while the variable is set (sim serve does not read it)
    data["env_faults"] = [f.strip() for f in os.environ.get(FAULTS_ENV, "").split(";") if f.strip()]
    if not data["exists"] and not (state is None and (directory / "state.json").exists()):
        return data
    store = _open_store(state, None, reset=False)
    data["exists"] = True
    data.update(store.summary())
    creds = store.credentials()
    data["password"] = creds["password"]
    data["token"] = f"root@pam!{creds['token_id']}={creds['token_secret']}"
    cert = directory / CERT_FILE
    if cert.exists():
        data["certificate"] = str(cert)
        data["fingerprint"] = fingerprint_of(cert.read_bytes())
    servers = []
    for info in recorded_servers(directory):
        host, port = str(info.get("host") or "127.0.0.1"), int(info.get("port") or 0)
        if port and _reachable(host, port):
            servers.append({"url": info.get("url"), "pid": info.get("pid")})
    data["servers"] = servers
    return data


def _status_text(data: dict[str, Any]) -> str:
    lines = [f"state dir:   {data['state_dir']}"]
    if data.get("env_faults"):
        lines.append(f"PVECTL_SIM_FAULTS: {'; '.join(data['env_faults'])} (for --sim while it is set)")
    if not data["exists"]:
        lines.append(f"state file:  {data['state_file']} (none yet: created on first use)")
        return "\n".join(lines)
    lines.append(f"state file:  {data['state_file']}")
    lines.append(f"PVE version: {data['version']}; nodes: {', '.join(data['nodes'])}")
    cts = f"; containers: {data['containers']}" if data.get("containers") else ""
    lines.append(f"VMs: {data['vms']}{cts}; tasks: {data['tasks']} ({data['running_tasks']} running)")
    lines.append(f"user root@pam, password: {data['password']}")
    lines.append(f"API token:   {data['token']}")
    if "certificate" in data:
        lines.append(f"certificate: {data['certificate']} (SHA-256 {data['fingerprint']})")
    if data["faults"]:
        lines.append(f"faults:      {'; '.join(data['faults'])} ('pvectl sim faults clear' undoes them)")
    if not data["servers"]:
        lines.append("server:      not running ('pvectl sim serve' starts one)")
    lines += [f"server:      running at {server['url']} (pid {server['pid']})" for server in data["servers"]]
    return "\n".join(lines)


@app.command()
def status(ctx: typer.Context, state: StateOpt = None) -> None:
    """Where the simulator keeps its state, what is in it, the faults in force, and which servers run."""
    from pvectl.cli.output import show

    with reported():
        data = status_data(state)
        show(ctx, data, human=_status_text(data), piped="text")


@faults_app.command("clear")
def faults_clear(ctx: typer.Context, state: StateOpt = None) -> None:
    """Undo every fault recorded in the state: nodes back online, injected locks removed, the list emptied.

    Faults a running `sim serve` holds in memory (fail, latency, task-*) end when it stops.
    """
    from pvectl.cli.output import show
    from pvectl.sim.core import Simulator

    with reported():
        cleared = Simulator(_open_store(state, None, reset=False)).clear_state_faults()
        human = f"cleared: {'; '.join(cleared)}" if cleared else "no faults recorded in the state"
        show(ctx, {"cleared": list(cleared)}, human=human, piped="text")


@app.command("example-seed")
def example_seed(ctx: typer.Context) -> None:
    """Print the world a new state starts from as a seed file (YAML with comments) to copy, edit and pass to
    --seed."""
    import yaml

    from pvectl.cli.output import show
    from pvectl.sim import world

    lines = []
    for line in (world.__doc__ or "").strip().splitlines()[2:]:
        if line.startswith("A malformed seed"):
            break
        lines.append(f"# {line}".rstrip())
    first = {**world.DEFAULT_SEED, **world.first_seed()}
    commented = "\n".join(lines) + "\n" + yaml.safe_dump(first, sort_keys=False, width=118)
    show(ctx, first, human=commented, piped="text")
