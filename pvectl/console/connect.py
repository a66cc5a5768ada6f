"""From a VM to a logged-in console websocket: checks, ``termproxy``, a pinned TLS socket, the handshake.

PVE facts (qemu-server PVE/API2/Qemu.pm ``termproxy``/``vncwebsocket``; pve-http-server
PVE/APIServer/AnyEvent.pm ``websocket_proxy``; pve-xtermjs termproxy/src/main.rs and xterm.js/src/main.js):

- ``POST …/termproxy`` (``serial=serialN``) answers ``{user, ticket, port, upid}`` and starts termproxy,
  which waits 10 s for its client; the ticket is good for 40 s.
- The websocket is ``GET /api2/json/nodes/N/qemu/ID/vncwebsocket?port=P&vncticket=T`` (T url-encoded),
  subprotocol ``binary``, authenticated like any API call: the ``PVEAuthCookie`` of a ticket login, or an API
  token's ``Authorization`` header (the method allows tokens).
- API tokens depend on the node's qemu-server. Before 9.1.7 termproxy checks the login line with
  ``POST /access/ticket``, whose ``lookup_username`` refuses a token id such as ``root@pam!ci`` ("does not look
  like a valid user name", pve-access-control src/PVE/API2/AccessControl.pm create_ticket), and closes the
  connection without ``OK``; the ticket is bound to the token id, so no other user name helps (reported
  against PVE 8 and 9, e.g. luthermonson/go-proxmox#221, k8s-proxmox/cluster-api-provider-proxmox#182). From
  qemu-server 9.1.7 (src/PVE/API2/Qemu.pm termproxy, commit c9ee34b5: ``--vncticket-endpoint``) termproxy asks
  ``POST /access/vncticket`` instead, which accepts token ids (pve-access-control 9.0.4, "allow token-owned
  VNC ticket verification"). pvectl reads the node's qemu-server version (``GET /nodes/{node}/apt/versions``)
  and refuses a token before sending anything only where the release needs it; when the version cannot be
  read (the token lacks Sys.Audit) it tries, and a refused login names the token as the likely cause. A
  container's termproxy is started by pve-container, which passes the same option since 6.1.3 (commit 45d994c).
- pveproxy rejects frames with RSV bits (so no permessage-deflate) and fragmented frames, and closes the
  connection without a close frame when the terminal ends.

TLS is the SDK's: the client's CA file or default CAs, and its fingerprint pin checked right after the
handshake, before the first byte of HTTP (as pvectl.sdk._core.pinning does for every other request).
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from pvectl.console import protocol

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

    from pvectl.sdk import ProxmoxClient

SERIALS = ("serial0", "serial1", "serial2", "serial3")
LOGIN_SECONDS = 10.0  # termproxy's read_ticket_line timeout: no answer by then means none is coming


class ConsoleError(Exception):
    """The console cannot be opened; ``kind`` is failure, auth or connection, ``remedy`` the next step."""

    def __init__(self, message: str, kind: str = "failure", remedy: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.remedy = remedy


@dataclass(frozen=True)
class Ticket:
    user: str
    ticket: str
    port: int
    upid: str


VNCTICKET_QEMU_SERVER = "9.1.7"  # termproxy checks at /access/vncticket, which takes token ids
# pve-container src/PVE/API2/LXC.pm termproxy passes --vncticket-endpoint since 6.1.3 (commit 45d994c; its
# debian/changelog 6.1.3: "pin the accepted ticket in the spawned termproxy process"), released with qemu-server 9.1.7
VNCTICKET_PVE_CONTAINER = "6.1.3"
# (package that starts termproxy, its first release that lets tokens in) per guest kind
VNCTICKET = {"qemu": ("qemu-server", VNCTICKET_QEMU_SERVER), "lxc": ("pve-container", VNCTICKET_PVE_CONTAINER)}


def qemu_server_version(client: ProxmoxClient, node: str, package: str = "qemu-server") -> str | None:
    """The node's qemu-server (or ``package``) version (``GET /nodes/{node}/apt/versions``, needs Sys.Audit);
    None if unknown."""
    from pvectl.sdk import PveError
    from pvectl.sdk._core.answers import plain

    try:
        rows = plain(client.nodes(node).apt.versions())
    except PveError:
        return None
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("Package") == package and row.get("Version"):
            return str(row["Version"])
    return None


def token_console_refused(client: ProxmoxClient, node: str | None, kind: str = "qemu") -> bool | None:
    """True: this token cannot pass termproxy's login on ``node`` (qemu-server before 9.1.7 for a VM,
    pve-container before 6.1.3 for a container); False: it can or no token is used; None: unknown (no node yet,
    or the version cannot be read)."""
    from pvectl.sdk._core.versions import version_key

    if client.auth is None or not client.auth.uses_token:
        return False
    if node is None:
        return None
    package, since = VNCTICKET[kind]
    version = qemu_server_version(client, node, package)
    if version is None:
        return None
    return version_key(version) < version_key(since)


def refuse_token(client: ProxmoxClient, node: str | None = None, kind: str = "qemu") -> None:
    """An API token on a node whose termproxy refuses tokens (see the module doc): say so before sending."""
    if token_console_refused(client, node, kind):
        user = getattr(client.auth, "user", None) or "USER@REALM"  # the token's owner (TokenAuth.user)
        package, since = VNCTICKET[kind]
        noun = "ct" if kind == "lxc" else "vm"
        raise ConsoleError(
            f"{noun} console with an API token needs {package} {since} or newer on {node}: "
            "older termproxy refuses API tokens at its login check",
            "auth",
            f"log in with a password once: pvectl --user {user} login ({noun} console then uses that login, "
            "everything else keeps the token)",
        )


def pick_serial(vmid: int, current: dict[str, Any], pending: dict[str, Any], wanted: str | None) -> str:
    """The serial port to attach to: ``wanted``, else the display's (vga=serialN), else the first socket port
    (qm terminal's choice); ConsoleError with the remedy when there is none."""
    vga = str(current.get("vga", "")).split(",")[0]
    choice = wanted or (vga if vga in SERIALS and current.get(vga) == "socket" else None)
    choice = choice or next((s for s in SERIALS if current.get(s) == "socket"), None)
    if choice is not None and current.get(choice) == "socket":
        return choice
    port = choice or "serial0"
    if pending.get(port) == "socket":
        raise ConsoleError(
            f"VM {vmid}: {port} is configured but not active yet (a new serial port needs a restart)",
            remedy=f"pvectl vm reboot {vmid}",
        )
    if current.get(port):
        raise ConsoleError(f"VM {vmid}: {port} is '{current[port]}', not a socket the console can use")
    raise ConsoleError(
        f"VM {vmid} has no serial console ({port} is not set)",
        remedy=f"pvectl vm serial-console enable {vmid}, then restart the VM (pvectl vm reboot {vmid})",
    )


def check_vm(client: ProxmoxClient, node: str, vmid: int, wanted: str | None) -> str:
    """The serial port to use, after checking that the VM runs and has it (nothing is started)."""
    from pvectl.sdk._core.answers import as_object

    base = f"/nodes/{node}/qemu/{vmid}"
    vm = client.nodes(node).qemu(vmid)
    status = as_object(f"GET {base}/status/current", vm.status.current())
    if status.get("status") != "running":
        raise ConsoleError(f"VM {vmid} is not running; start it first", remedy=f"pvectl vm start {vmid}")
    # current=1: what the running VM has; without it, pending changes (a serial0 added since the start) show,
    # which only explain a missing port
    current = as_object(f"GET {base}/config", vm.config.get(current=True))
    try:
        return pick_serial(vmid, current, {}, wanted)
    except ConsoleError:
        pending = as_object(f"GET {base}/config", vm.config.get())
        return pick_serial(vmid, current, pending, wanted)


def check_ct(client: ProxmoxClient, node: str, vmid: int) -> None:
    """A container's console needs it running (pve-container's termproxy attaches lxc-console to its tty)."""
    from pvectl.sdk._core.answers import as_object

    path = f"/nodes/{node}/lxc/{vmid}/status/current"
    status = as_object(f"GET {path}", client.nodes(node).lxc(vmid).status.current())
    if status.get("status") != "running":
        raise ConsoleError(f"CT {vmid} is not running; start it first", remedy=f"pvectl ct start {vmid}")


def open_ticket(client: ProxmoxClient, node: str, vmid: int, serial: str | None, kind: str = "qemu") -> Ticket:
    """termproxy for a VM's serial port (``kind`` qemu) or a container's console (lxc: pve-container
    src/PVE/API2/LXC.pm termproxy takes no serial port)."""
    from pvectl.guest.api import guest_api
    from pvectl.sdk._core.answers import as_int, as_object, as_text
    from pvectl.sdk._core.redact import register_secret

    what = f"POST /nodes/{node}/{kind}/{vmid}/termproxy"
    params = {"serial": serial} if kind == "qemu" else {}
    answer = as_object(what, guest_api(client, node, vmid, kind).termproxy(**params))
    ticket = Ticket(
        user=as_text(what, answer.get("user")),
        ticket=as_text(what, answer.get("ticket")),
        port=as_int(what, answer.get("port")),
        upid=as_text(what, answer.get("upid"), default=""),
    )
    register_secret(ticket.ticket)  # never in a trace or an error
    return ticket


def _pinned_socket(client: ProxmoxClient, host: str, port: int, secure: bool) -> socket.socket:
    """A connected socket, TLS-wrapped and pin-checked as the SDK's own connections are."""
    import ssl

    from pvectl.sdk._core.tls import FingerprintMismatch, parse_fingerprint, ssl_context

    try:
        raw = socket.create_connection((host, port), timeout=client.timeout)
    except OSError as exc:
        raise ConsoleError(f"cannot connect to {host}:{port}: {exc.strerror or exc}", "connection") from None
    if not secure:
        return raw
    pinned = client.fingerprint is not None
    context = ssl_context(client.verify, pinned=pinned)
    try:
        tls = context.wrap_socket(raw, server_hostname=host)
    except (OSError, ssl.SSLError) as exc:
        raw.close()
        raise ConsoleError(f"TLS error talking to {host}:{port}: {exc}", "connection") from None
    if client.fingerprint is not None:
        from pvectl.sdk._core.pinning import check_der

        try:
            check_der(tls.getpeercert(True), parse_fingerprint(client.fingerprint))
        except FingerprintMismatch as mismatch:
            tls.close()
            raise ConsoleError(str(mismatch), "connection") from None
    return tls


def _trace(url: str, headers: dict[str, str]) -> None:
    """-vv: the upgrade request like the SDK's request traces (redacted: cookie, token, vncticket)."""
    from pvectl.sdk._core.base import http_log
    from pvectl.sdk._core.redact import format_request

    if http_log.isEnabledFor(logging.DEBUG):
        upgrade = [("Upgrade", "websocket"), ("Sec-WebSocket-Protocol", "binary")]
        http_log.debug("> %s", format_request("GET", url, [*headers.items(), *upgrade]))


def open_websocket(client: ProxmoxClient, node: str, vmid: int, ticket: Ticket, kind: str = "qemu") -> ClientConnection:
    """The vncwebsocket of ``ticket``'s termproxy, over a socket pinned like the client's requests."""
    from websockets.exceptions import InvalidHandshake, InvalidStatus
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    from pvectl import __version__

    url = urlsplit(client.base_url)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    path = (
        f"{url.path.rstrip('/')}/nodes/{quote(node)}/{kind}/{vmid}/vncwebsocket"
        f"?port={ticket.port}&vncticket={quote(ticket.ticket, safe='')}"
    )
    sock = _pinned_socket(client, host, port, url.scheme == "https")
    shown = f"[{host}]" if ":" in host else host
    assert client.auth is not None
    headers = client.auth.headers("GET")
    _trace(f"{url.scheme}://{shown}:{port}{path}", headers)
    try:
        # ws:// over our own TLS socket: with wss:// the library would wrap the socket a second time
        return connect(
            f"ws://{shown}:{port}{path}",
            sock=sock,
            subprotocols=[Subprotocol("binary")],
            additional_headers=headers,
            user_agent_header=f"pvectl/{__version__}",
            compression=None,  # pveproxy drops frames with RSV bits
            proxy=None,
            open_timeout=client.timeout,
            ping_interval=None,  # termproxy's own keep-alive ("2") is sent instead, as the web GUI does
            max_size=2**20,
        )
    except InvalidStatus as exc:
        sock.close()
        status = exc.response.status_code
        reason = exc.response.reason_phrase
        kind = "auth" if status == 401 else "failure"
        raise ConsoleError(f"VM {vmid}: the console websocket was refused: {status} {reason}", kind) from None
    except (InvalidHandshake, OSError, TimeoutError) as exc:
        sock.close()
        raise ConsoleError(f"VM {vmid}: cannot open the console websocket: {exc}", "connection") from None


def login(ws: ClientConnection, ticket: Ticket, vmid: int) -> bytes:
    """Send the login line and wait for ``OK``; returns the output that came with it."""
    from websockets.exceptions import ConnectionClosed

    remedy = f"check that {ticket.user} has VM.Console on /vms/{vmid} and try again"
    if "!" in ticket.user:  # the node's qemu-server could not be read: an old termproxy refuses tokens
        remedy = (
            f"an API token passes termproxy's login only with qemu-server {VNCTICKET_QEMU_SERVER}+ (VMs) or "
            f"pve-container {VNCTICKET_PVE_CONTAINER}+ (containers) on the node: log in with a password "
            f"(pvectl --user USER@REALM login), or check VM.Console on /vms/{vmid}"
        )
    if ticket.upid:
        remedy += f"; termproxy's log: pvectl task log {ticket.upid}"
    refused = ConsoleError(
        f"VM {vmid}: the serial console refused the login (termproxy closed the connection without OK)",
        "auth",
        remedy,
    )
    received = b""
    try:
        ws.send(protocol.auth_line(ticket.user, ticket.ticket))
        while len(received) < len(protocol.OK):
            message = ws.recv(timeout=LOGIN_SECONDS)
            received += message if isinstance(message, bytes) else message.encode()
    except (ConnectionClosed, TimeoutError):
        raise refused from None
    if not received.startswith(protocol.OK):
        raise refused
    return received[len(protocol.OK) :]
