"""Waiting for a VM's state or its guest agent, and running commands through the agent.

PVE's agent endpoints (qemu-server PVE::API2::Qemu::Agent) answer HTTP 500 with qemu-server's messages:
"No QEMU guest agent configured" (``agent`` unset in the config), "VM N is not running", "QEMU guest agent is
not running" (no agent socket: also what ``agent: 0`` gives, since only a missing key is "not configured";
qemu-server src/PVE/QemuServer/Agent.pm ``assert_agent_available``), and
"VM N qmp command 'guest-…' failed - got timeout" while the agent in the guest does not answer (booting, not
installed). Errors of the guest itself come back as "Agent error: …" (e.g. ``guest-exec`` disabled by the guest's
qemu-guest-agent configuration).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

FIRST_POLL = 0.1  # seconds; doubles up to MAX_POLL (the task waits' backoff)
MAX_POLL = 2.0
CONDITIONS = ("status=running", "status=stopped", "agent", "ip")
EXEC_DISABLED_HELP = (
    "the guest's qemu-guest-agent refuses guest-exec (recent releases disable it by default): in the guest, "
    "remove guest-exec from block-rpcs / add it to allow-rpcs in /etc/qemu/qemu-ga.conf (or the --allow-rpcs "
    "option of the service) and restart qemu-guest-agent"
)


class GuestError(Exception):
    """The agent cannot do what was asked; ``remedy`` says what to change."""

    def __init__(self, message: str, remedy: str = "") -> None:
        super().__init__(message)
        self.remedy = remedy


class WaitTimeout(Exception):
    """The condition did not hold before the deadline; ``last`` is what was seen last."""

    def __init__(self, condition: str, seconds: float, last: str) -> None:
        super().__init__(f"VM did not reach '{condition}' within {seconds:g}s (last seen: {last})")
        self.last = last


class StartUnknown(Exception):
    """The answer to ``agent/exec`` went missing or came back odd after it may have reached the guest: the command
    may be running. qemu-ga's guest-exec keeps no list of what it started that could be asked for the pid
    (qemu-guest-agent ``guest-exec`` answers only the new pid), so it is never sent again."""


@dataclass(frozen=True)
class Reached:
    condition: str
    detail: str  # the address for ``ip``, the status otherwise
    interfaces: list[dict[str, Any]]


def _agent_problem(message: str, node: str, vmid: int) -> GuestError | None:
    """A GuestError for answers that waiting cannot change; None when the agent may still come up."""
    if "No QEMU guest agent configured" in message:
        return GuestError(
            f"VM {vmid} has no guest agent configured",
            f"pvectl vm set {vmid} --agent --reboot, and install qemu-guest-agent in the guest",
        )
    if "guest-exec has been disabled" in message or "has been disabled for this instance" in message:
        return GuestError(f"VM {vmid}: {message.removeprefix('Agent error: ')}", EXEC_DISABLED_HELP)
    return None


def agent_disabled(value: Any) -> bool:
    """Whether an ``agent`` config value switches the agent off: ``0`` or ``enabled=0`` (qemu-server's
    pve-qm-agent format: ``enabled`` is the default key, so a bare ``0`` is ``enabled=0``)."""
    if value is None:
        return False
    for part in str(value).split(","):
        name, eq, val = part.partition("=")
        flag = (val if eq else name).strip() if (not eq or name.strip() == "enabled") else None
        if flag is not None:
            return flag.lower() in ("0", "no", "off", "false")
    return False


def _disabled_agent(client: ProxmoxClient, node: str, vmid: int) -> GuestError | None:
    """After "QEMU guest agent is not running": the running config says whether waiting can help."""
    from pvectl.sdk import PveError
    from pvectl.sdk._core.answers import plain

    try:
        config = plain(client.nodes(node).qemu(vmid).config.get(current=True))
    except PveError:
        return None
    if not isinstance(config, dict) or not agent_disabled(config.get("agent")):
        return None
    return GuestError(
        f"VM {vmid} has its guest agent disabled (agent: {config.get('agent')})",
        f"pvectl vm set {vmid} --agent, then restart the VM (and install qemu-guest-agent in the guest)",
    )


def agent_call(client: ProxmoxClient, node: str, vmid: int, method: str, what: str, params: Any = None) -> Any:
    """One agent request; GuestError for answers naming a configuration problem, ApiError otherwise."""
    from pvectl.sdk import ApiError
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.names import attr_ident
    from pvectl.sdk.lib import pve_call

    agent = client.nodes(node).qemu(vmid).agent  # one typed method per agent command: agent.ping, agent.exec, ...
    command = attr_ident(what)
    if type(agent)._ops.get(command, "").split(" ")[0] != method.upper():
        raise ValueError(f"no guest agent command {method} agent/{what}")
    try:
        return plain(pve_call(getattr(agent, command), params or {}))  # as PVE sent it
    except ApiError as exc:
        problem = _agent_problem(exc.message, node, vmid)
        if problem is None and "QEMU guest agent is not running" in exc.message:
            problem = _disabled_agent(client, node, vmid)
        if problem is not None:
            raise problem from None
        raise


def first_address(interfaces: list[dict[str, Any]], family: int | None = None) -> str | None:
    """The first address that is neither loopback nor link-local (nor of another ``family``)."""
    for iface in interfaces:
        for entry in iface.get("ip-addresses") or []:
            try:
                addr = ipaddress.ip_address(str(entry.get("ip-address", "")).split("%")[0])
            except ValueError:
                continue
            if addr.is_loopback or addr.is_link_local or (family is not None and addr.version != family):
                continue
            return str(addr)
    return None


def _check(client: ProxmoxClient, node: str, vmid: int, condition: str, family: int | None) -> Reached | str:
    """Reached, or a short text of what was seen instead."""
    from pvectl.sdk import ApiError
    from pvectl.sdk._core.answers import plain

    if condition.startswith("status="):
        current = plain(client.nodes(node).qemu(vmid).status.current())
        status = str(current.get("status", "?")) if isinstance(current, dict) else "?"
        return Reached(condition, status, []) if status == condition[7:] else f"status {status}"
    try:
        if condition == "agent":
            agent_call(client, node, vmid, "POST", "ping")
            return Reached(condition, "agent answers", [])
        answer = agent_call(client, node, vmid, "GET", "network-get-interfaces")
    except ApiError as exc:  # not running, or the agent does not answer yet
        return exc.message
    interfaces = list(answer.get("result") or []) if isinstance(answer, dict) else []
    address = first_address(interfaces, family)
    return Reached(condition, address, interfaces) if address else "no address yet"


def wait_until(
    client: ProxmoxClient,
    node: str,
    vmid: int,
    condition: str,
    *,
    timeout: float,
    family: int | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Reached:
    """Poll until ``condition`` (one of CONDITIONS) holds; WaitTimeout after ``timeout`` seconds. A transient error
    (a lost connection, a 5xx) is one more "not yet" (for up to a minute in a row), not the end of the wait."""
    from pvectl.sdk._core.backoff import Poll, is_transient, poll_until

    seen: str = "not checked yet"

    def probe() -> Reached | None:
        nonlocal seen
        try:
            answer = _check(client, node, vmid, condition, family)
        except Exception as exc:
            if is_transient(exc):  # a reset or a 5xx: one more "not yet" (the poll asks again)
                seen = f"no answer this time ({exc})"
                if on_progress:
                    on_progress(seen)
            raise
        if isinstance(answer, Reached):
            return answer
        seen = answer
        if on_progress:
            on_progress(seen)
        return None

    reached = poll_until(probe, Poll(client.clock, timeout=timeout, first=FIRST_POLL, cap=MAX_POLL))
    if reached is None:
        raise WaitTimeout(condition, timeout, seen)
    return reached


# Our exit status for a guest exit code that a process status cannot carry (above 255, negative) or that the
# agent did not report as a number; the real code is printed beside it. Windows guests return 32-bit codes
# (0xC0000005 = 3221225477 for an access violation): qemu-ga's guest-exec-status reports the process's code as
# it is (qemu qga/qapi-schema.json GuestExecStatus.exitcode), and PVE passes it through (qemu-server
# src/PVE/API2/Qemu/Agent.pm, exec-status). Taking it modulo 256 would turn 256 or 512 into success.
EXEC_OUT_OF_RANGE = 255


@dataclass(frozen=True)
class ExecResult:
    exitcode: int | None  # None: the agent's answer held no number (``reported`` holds what it said)
    out: str
    err: str
    reported: object = None

    def exit_status(self) -> tuple[int, str | None]:
        """Our exit status for the guest's code, and a note when the two differ: 0 and 1-255 pass as they are,
        any other code exits EXEC_OUT_OF_RANGE (never 0: a failed command never looks like success)."""
        if self.exitcode is None:
            return EXEC_OUT_OF_RANGE, (
                f"the guest agent reported exit code {self.reported!r}, not a number; exiting {EXEC_OUT_OF_RANGE}"
            )
        if 0 <= self.exitcode <= 255:
            return self.exitcode, None
        return EXEC_OUT_OF_RANGE, (
            f"the command exited with {self.exitcode} (0x{self.exitcode & 0xFFFFFFFF:08X}), which an exit status "
            f"cannot carry; exiting {EXEC_OUT_OF_RANGE}"
        )


def _exit_code(value: object) -> int | None:
    """The agent's exit code as an integer; None when it is not one (a string of digits counts)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) < 40:
        return int(value.strip())
    return None


def run(
    client: ProxmoxClient, node: str, vmid: int, argv: list[str], *, stdin: str | None, timeout: float
) -> ExecResult:
    """``agent/exec`` then ``agent/exec-status`` until the process exited; WaitTimeout after ``timeout``."""
    params: dict[str, Any] = {"command": argv}
    if stdin is not None:
        params["input-data"] = stdin
    from pvectl.guest.answers import ambiguous, describe_loss
    from pvectl.sdk._core.answers import UnexpectedAnswer

    unknown = "; the command may be running in the guest (its pid is unknown); it was not sent again"
    try:
        started = agent_call(client, node, vmid, "POST", "exec", params)
    except Exception as exc:
        if ambiguous(exc):
            raise StartUnknown(f"agent/exec: {describe_loss(exc)}{unknown}") from None
        raise
    pid = started.get("pid") if isinstance(started, dict) else None
    if pid is None:
        odd = UnexpectedAnswer("POST agent/exec", started, "an object with the guest's pid")
        raise StartUnknown(f"agent/exec: {describe_loss(odd)}{unknown}")
    from pvectl.sdk._core.backoff import Poll

    poll = Poll(client.clock, timeout=timeout, first=FIRST_POLL, cap=MAX_POLL)
    while True:
        try:
            status = agent_call(client, node, vmid, "GET", "exec-status", {"pid": pid})
        except Exception as exc:
            poll.failed(exc)  # a lost connection or a 5xx: asked again (a minute in a row at most); others raised
            status = None
        if isinstance(status, dict) and status.get("exited"):
            # exitcode is absent when a signal ended the process (qemu-ga's guest-exec-status)
            if status.get("exitcode") is not None:
                reported = status["exitcode"]
                code = _exit_code(reported)
            else:  # a signal's number, as shells report it
                reported = status.get("signal", 0)
                signal = _exit_code(reported)
                code = None if signal is None else 128 + signal
            return ExecResult(code, str(status.get("out-data", "")), str(status.get("err-data", "")), reported)
        if not poll.pause():
            raise WaitTimeout(f"exec pid {pid}", timeout, "still running")
