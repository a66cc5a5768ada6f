"""``pvectl ct set CT``: change what the flags say, in one config write with the digest read just before; then
say what waits for the next start (a running container takes some changes at once: pve-container
src/PVE/LXC/Config.pm vmconfig_hotplug_pending), and with ``--reboot`` restart it for the rest."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from pvectl.cli import completers
from pvectl.cli.commands.ct.daily import CtArg
from pvectl.cli.errors import USAGE, CliError, reported


def _o(*names: str, help: str, metavar: str | None = None, complete: Any = None) -> Any:
    return typer.Option(*names, help=help, metavar=metavar, show_default=False, autocompletion=complete)


Str = str | None
Int = int | None
Flag = bool | None
Many = list[str] | None
DISK, TAG = completers.ct_disk, completers.tag


def set_(
    ctx: typer.Context,
    ct: CtArg,
    hostname: Annotated[Str, _o("--hostname", help="Host name.")] = None,
    cores: Annotated[Int, _o("--cores", help="CPU cores.")] = None,
    cpulimit: Annotated[float | None, _o("--cpulimit", help="CPU time limit in cores (0: none).")] = None,
    cpuunits: Annotated[Int, _o("--cpuunits", help="CPU weight.")] = None,
    memory: Annotated[Int, _o("--memory", help="Memory in MiB.")] = None,
    swap: Annotated[Int, _o("--swap", help="Swap in MiB.")] = None,
    net: Annotated[Many, _o("--net", metavar="[N:]SPEC", help="NIC netN (default 0); keeps its MAC.")] = None,
    mp: Annotated[Many, _o("--mp", metavar="SPEC", help="New mount point STORAGE:SIZE,mp=/P.", complete=DISK)] = None,
    nameserver: Annotated[Str, _o("--nameserver", help="DNS servers.")] = None,
    searchdomain: Annotated[Str, _o("--searchdomain", help="DNS search domain.")] = None,
    onboot: Annotated[Flag, _o("--onboot/--no-onboot", help="Start when the node boots.")] = None,
    tag: Annotated[Many, _o("--tag", help="Tags (repeatable; replace the current ones).", complete=TAG)] = None,
    description: Annotated[Str, _o("--description", help="Notes.")] = None,
    ostype: Annotated[Str, _o("--ostype", help="OS type (the setup PVE runs at start).")] = None,
    nesting: Annotated[Flag, _o("--nesting/--no-nesting", help="Nesting.")] = None,
    keyctl: Annotated[Flag, _o("--keyctl/--no-keyctl", help="keyctl() (unprivileged only).")] = None,
    fuse: Annotated[Flag, _o("--fuse/--no-fuse", help="FUSE file systems.")] = None,
    mknod: Annotated[Flag, _o("--mknod/--no-mknod", help="mknod() of some devices.")] = None,
    mount: Annotated[Many, _o("--mount", help="Allowed mounts nfs, cifs (replace the current ones).")] = None,
    unprivileged: Annotated[Flag, _o("--unprivileged/--privileged", help="Refused: fixed at creation.")] = None,
    remove: Annotated[Many, _o("--remove", metavar="KEY", help="Remove a config key (PVE's delete=).")] = None,
    reboot: Annotated[bool, typer.Option("--reboot", help="Restart it when changes wait for the next start.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the request; send nothing.")] = False,
) -> None:  # fmt: skip
    """Change a container's settings: only what differs is sent (one write, guarded by the config's digest)."""
    values = {k: v for k, v in locals().items() if k not in ("ctx", "ct", "reboot", "dry_run")}
    with reported():
        _set(ctx, ct, values, reboot=reboot, dry_run=dry_run)


def _set(ctx: typer.Context, key: str, values: dict[str, Any], *, reboot: bool, dry_run: bool) -> None:
    from pvectl.cli import render
    from pvectl.cli.commands.ct.daily import find
    from pvectl.ct import ops
    from pvectl.ct.update import plan_set
    from pvectl.guest.run import decided, execute

    client = ctx.obj.client()
    ref = find(client, key)
    from pvectl.sdk._core.answers import plain

    config = plain(client.nodes(ref.node).lxc(ref.vmid).config.get()) or {}
    change = plan_set(config, values)
    problems = change.problems or _node_problems(client, ref.node, change.params)
    if problems:
        raise CliError(problems[0] + " (nothing was sent)", USAGE, problems[1:])
    if change.empty:
        render.one(ctx, decided(ref, "set", "already", "nothing to change; nothing sent"))
        return
    write = ops.update(ref, change.params, change.delete, config.get("digest"))
    if dry_run:
        render.plan(ctx, [write], "set", request=lambda s: f"{write.request} {_shown(write.params)}")
        return
    outcome = execute(client, write)
    waiting = _waiting(client, ref) if outcome.ok else []
    if waiting and reboot and ref.status == "running":
        from pvectl.guest.ops.power import power_write

        again = execute(client, power_write(ref, "reboot"), timeout=600)
        outcome.done.append(f"reboot: {again.message}")
        if again.ok:
            outcome.message += ", rebooted"  # the first line says all that happened
        else:
            outcome.kind, outcome.missing = "partial", ["reboot"]
            outcome.message += f"; the reboot did not happen: {again.message}"
            outcome.remedies = [f"pvectl ct reboot {ref.vmid}"]
    elif waiting:
        print(f"note: waiting for the next start: {', '.join(waiting)} (pvectl ct pending {ref.vmid};"
              f" --reboot applies them)", file=sys.stderr)  # fmt: skip
    render.one(ctx, outcome)


def _node_problems(client: Any, node: str, params: dict[str, Any]) -> list[str]:
    """A NIC's bridge and a new mount point's storage checked on the node, as ct create checks them: PVE writes an
    unknown bridge into a stopped container's config and fails only at the next start."""
    from pvectl.ct.drain import _volume
    from pvectl.ct.templates import rootdir_storages
    from pvectl.sdk._core.answers import as_rows

    out: list[str] = []
    nics = {k: dict(p.partition("=")[::2] for p in str(v).split(",")) for k, v in params.items() if k[:3] == "net"}
    if any(nic.get("bridge") for nic in nics.values()):
        rows = as_rows(f"GET /nodes/{node}/network", client.nodes(node).network.list(type="any_bridge"))
        bridges = sorted(str(r.get("iface")) for r in rows)
        for key, nic in sorted(nics.items()):
            if nic.get("bridge") and nic["bridge"] not in bridges:
                out.append(f"--net {key}: bridge '{nic['bridge']}' does not exist on {node} (available: "
                           f"{', '.join(bridges) or 'none'})")  # fmt: skip
    mps = {k: _volume(v)[0] for k, v in params.items() if k[:2] == "mp" and k[2:].isdigit()}
    if mps:
        storages = rootdir_storages(client, node)
        for key, volume in sorted(mps.items()):
            storage = volume.split(":", 1)[0]
            if ":" in volume and not volume.startswith("/") and storage not in storages:
                out.append(f"--mp {key}: storage '{storage}' takes no container disks on {node} (available: "
                           f"{', '.join(storages) or 'none'})")  # fmt: skip
    return out


def _shown(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items() if k != "digest") + " digest=<read just before>"


def _waiting(client: Any, ref: Any) -> list[str]:

    from pvectl.sdk._core.answers import plain

    rows = plain(client.nodes(ref.node).lxc(ref.vmid).pending()) or []
    return [str(r["key"]) for r in rows if r.get("pending") is not None or r.get("delete")]
