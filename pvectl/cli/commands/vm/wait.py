"""``pvectl vm wait ID --for status=running|status=stopped|agent|ip``: poll until a VM's condition holds.

Exit 0 when it holds; 7 when ``--timeout`` ran out first (the code of every wait that runs out); 1 when the
condition cannot come true (no guest agent configured).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import completers
from pvectl.cli.errors import FAILURE, UNKNOWN, USAGE, CliError, reported

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

WAIT_TIMEOUT = 300.0  # --timeout default: 5m
VmArg = Annotated[
    str,
    typer.Argument(
        help="VM id or name (found across the cluster).", show_default=False, autocompletion=completers.vmid
    ),
]


def check_family(family: int | None) -> None:
    if family not in (None, 4, 6):
        raise CliError(f"--family: expected 4 or 6, got {family}", USAGE)


def wait_for_vm(
    ctx: typer.Context,
    client: ProxmoxClient,
    ref: VmRef,
    condition: str,
    *,
    timeout: float,
    family: int | None = None,
) -> None:
    """Wait for ``condition`` and print the result (the address for ``ip``; the interfaces with -o json)."""
    from pvectl.cli.output import show
    from pvectl.vm.guest import GuestError, WaitTimeout, wait_until

    def progress(seen: str) -> None:
        if sys.stderr.isatty():
            print("\r\x1b[K" + status_line(condition, ref.vmid, seen), end="", file=sys.stderr)

    try:
        reached = wait_until(
            client, ref.node, ref.vmid, condition, timeout=timeout, family=family, on_progress=progress
        )
    except GuestError as exc:
        raise CliError(str(exc), FAILURE, [f"remedy: {exc.remedy}"] if exc.remedy else []) from None
    except WaitTimeout as exc:
        raise CliError(
            f"VM {ref.vmid}: {exc}",
            UNKNOWN,
            [f"wait longer: pvectl vm wait {ref.vmid} --for {condition} --timeout 10m"],
        ) from None
    finally:
        if sys.stderr.isatty():
            print("\r\x1b[K", end="", file=sys.stderr)
    data = {"vmid": ref.vmid, "node": ref.node, "condition": condition, "result": reached.detail}
    if condition == "ip":
        data["interfaces"] = reached.interfaces
    # piped: the bare address, so that IP=$(pvectl vm wait web1 --for ip) works
    show(ctx, data, human=reached.detail if condition == "ip" else f"VM {ref.vmid}: {condition}", piped="text")


def status_line(condition: str, vmid: int, seen: str) -> str:
    """The one-line progress of a wait, at most 79 columns: PVE's raw QMP failure (``VM 103 qmp command
    'guest-network-get-interfaces' failed - got timeout``, what qemu-server answers while the agent is not up yet)
    in a few words."""
    import re

    from pvectl.cli.safe_text import safe_cell

    if re.search(r"qmp command '[\w-]+' failed - got timeout", seen):
        seen = "the guest agent does not answer yet"
    seen = re.sub(rf"^VM {vmid}\b:? ?", "", seen) or seen
    seen = safe_cell(seen)  # server text: control characters escaped before it reaches the terminal
    line = f"waiting for {condition} on VM {vmid}: {seen}"
    return line if len(line) <= 79 else line[:76] + "..."


def check_condition(condition: str) -> str:
    """The condition in its full form: ``running``/``stopped`` are taken for ``status=running``/``status=stopped``."""
    from pvectl.vm.guest import CONDITIONS

    if condition in ("running", "stopped"):
        return f"status={condition}"
    if condition not in CONDITIONS:
        raise CliError(f"--for: expected one of {', '.join(CONDITIONS)}, got '{condition}'", USAGE)
    return condition


def wait(
    ctx: typer.Context,
    vm: VmArg,
    condition: Annotated[
        str,
        typer.Option(
            "--for",
            metavar="CONDITION",
            help="status=running (or running), status=stopped (or stopped), agent (answers ping) or ip.",
        ),
    ],
    family: Annotated[
        int | None, typer.Option("--family", help="With --for ip: only IPv4 (4) or IPv6 (6).", show_default=False)
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout", metavar="DURATION", help="How long to wait (default 5m); exit 7 after it.", show_default=False
        ),
    ] = None,
) -> None:
    """Wait until a VM is running/stopped, its guest agent answers, or it has an IP address (printed)."""
    with reported():
        from pvectl.cli.commands.vm.daily import _find
        from pvectl.cli.duration import parse_duration
        from pvectl.cli.output import resolve
        from pvectl.cli.runner import output_format

        resolve(output_format(ctx))
        condition = check_condition(condition)
        check_family(family)
        seconds = WAIT_TIMEOUT if timeout is None else parse_duration(timeout, "--timeout")
        client = ctx.obj.client()
        wait_for_vm(ctx, client, _find(client, vm), condition, timeout=seconds, family=family)
