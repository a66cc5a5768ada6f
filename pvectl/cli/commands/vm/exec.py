"""``pvectl vm exec ID -- CMD ARG…``: run a command in the guest through the QEMU guest agent.

The command's stdout and stderr go to ours, and its exit code becomes ours; ``-o json`` prints them as one
object instead (still exiting with the command's code). Codes 1-255 pass as they are; a code a process status
cannot carry (above 255, negative: Windows guests return 32-bit codes) or one that is not a number exits 255,
with the real code on stderr: a failed command never exits 0. Failures of pvectl itself use the documented codes
(1 agent not usable, 4 no such VM, 7 ``--timeout`` ran out while the command still runs, or the answer to
``agent/exec`` was lost: the command may have started, and is not sent again).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pvectl.cli.commands.vm.wait import VmArg
from pvectl.cli.errors import FAILURE, UNKNOWN, USAGE, CliError, reported

EXEC_TIMEOUT = 300.0
# PVE's agent exec takes at most 64 Ki characters of input-data (qemu-server src/PVE/API2/Qemu/Agent.pm, the exec
# method's input-data: maxLength 64 * 1024; schema pve-9.1.3 max_length 65536): reading past it only delays the
# refusal (4 bytes is the longest UTF-8 character)
INPUT_MAX = 64 * 1024


def _read_input(source: str | None) -> str | None:
    """The command's input, read only as far as PVE would take it (``--input /dev/zero`` ran until memory ran
    out), as UTF-8 text: one error line otherwise."""
    if source is None:
        return None
    try:
        if source == "-":
            data = sys.stdin.buffer.read(4 * INPUT_MAX + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(4 * INPUT_MAX + 1)
    except OSError as exc:
        raise CliError(f"--input: cannot read {source}: {exc.strerror}", USAGE) from None
    try:
        text = data[: 4 * INPUT_MAX].decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(data) <= 4 * INPUT_MAX or exc.start < 4 * INPUT_MAX - 3:  # not a character cut at the read's end
            raise CliError(
                f"--input {source}: not UTF-8 text (byte 0x{data[exc.start]:02x} at {exc.start})", USAGE
            ) from None
        text = data[: exc.start].decode("utf-8")
    if len(text) > INPUT_MAX or len(data) > 4 * INPUT_MAX:
        raise CliError(
            f"--input {source}: more than 64 Ki characters, the most PVE's agent exec takes (input-data)", USAGE
        )
    return text


def exec_(
    ctx: typer.Context,
    vm: VmArg,
    command: Annotated[list[str], typer.Argument(help="The command and its arguments (after --).", show_default=False)],
    input_: Annotated[
        str | None,
        typer.Option(
            "--input", metavar="FILE|-", help="Feed this file (- for our stdin) to the command.", show_default=False
        ),
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            metavar="DURATION",
            help="How long the command may run (default 5m); exit 7 after it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a command in a VM through its guest agent; exits with the command's exit code.

    Exit codes 1-255 pass as they are; any other non-zero code (above 255 or negative, as Windows guests
    return, or not a number) exits 255 and prints the real code on stderr. pvectl's own failures: 1 agent
    not usable, 4 no such VM, 7 --timeout ran out or the start's answer was lost
    (the command may run: it is not sent again).
    """
    code = 0
    with reported():
        from pvectl.cli.commands.vm.daily import _find
        from pvectl.cli.duration import parse_duration
        from pvectl.cli.output import resolve
        from pvectl.cli.runner import output_format
        from pvectl.vm.guest import GuestError, StartUnknown, WaitTimeout, run

        fmt = resolve(output_format(ctx), piped="text")  # piped: the raw streams, like ssh
        seconds = EXEC_TIMEOUT if timeout is None else parse_duration(timeout, "--timeout")
        stdin = _read_input(input_)
        client = ctx.obj.client()
        ref = _find(client, vm)
        try:
            result = run(client, ref.node, ref.vmid, list(command), stdin=stdin, timeout=seconds)
        except GuestError as exc:
            raise CliError(str(exc), FAILURE, [f"remedy: {exc.remedy}"] if exc.remedy else []) from None
        except StartUnknown as exc:
            raise CliError(f"VM {ref.vmid}: {exc}", UNKNOWN) from None
        except WaitTimeout as exc:
            raise CliError(f"VM {ref.vmid}: {exc}; the command goes on in the guest", UNKNOWN) from None
        if fmt in ("json", "yaml"):
            from pvectl.cli.output import show

            exitcode = result.exitcode if result.exitcode is not None else result.reported
            show(ctx, {"vmid": ref.vmid, "exitcode": exitcode, "out-data": result.out, "err-data": result.err})
        else:
            sys.stdout.write(result.out)
            sys.stderr.write(result.err)
        code, note = result.exit_status()
        if note:
            print(f"pvectl: VM {ref.vmid}: {note}", file=sys.stderr)
    if code:
        raise typer.Exit(code)
