"""The simulator's websocket: ``vncwebsocket`` upgraded to a serial console speaking PVE's terminal protocol.

As pve-http-server (PVE::APIServer::AnyEvent ``handle_api2_request``/``websocket_proxy``) does: a GET to a
path ending in ``websocket`` with ``Upgrade: websocket`` first runs as an ordinary API call (authentication,
then the vncwebsocket handler checks the vncticket); only a 200 answer becomes the 101 switch, any other
answer is sent as it is. Server frames are binary; when the terminal ends, the connection is closed without
a close frame (``client_do_disconnect``), as PVE does. The framing is the ``websockets`` library's sans-IO
ServerProtocol; the terminal side is termproxy's (pvectl.sim.termproto, pvectl.sim.serial).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pvectl.sim.wire import SimResponse

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from websockets.server import ServerProtocol

    from pvectl.sim.core import Simulator

IDLE_SECONDS = 600.0  # a session without any message for this long is dropped (the client sends "2" every 30 s)


def wants_upgrade(method: str, path: str, headers: Mapping[str, str]) -> bool:
    """The request PVE turns into a websocket when its API call succeeds."""
    upgrade = next((v for k, v in headers.items() if k.lower() == "upgrade"), "")
    return method == "GET" and path.partition("?")[0].endswith("websocket") and upgrade.lower() == "websocket"


def serve_console(handler: BaseHTTPRequestHandler, answer: SimResponse, sim: Simulator) -> None:
    """Switch the connection of an answered vncwebsocket call to the console on the answered port."""
    from websockets.http11 import Request
    from websockets.server import ServerProtocol
    from websockets.typing import Subprotocol

    from pvectl.sim.handlers.termproxy import connect

    port = int(json.loads(answer.body)["data"]["port"])
    with sim.store.transaction(write=True) as txn:
        session = connect(txn.state, port, sim.clock.time())
        txn.changed()
        session = dict(session) if session is not None else None
        vm = txn.state["vms"].get(str(session["vmid"])) if session is not None else None
        hostname = (
            str(vm["config"].get("name") or vm["config"].get("hostname") or f"vm{session['vmid']}")
            if vm and session
            else ""
        )
    if session is None:
        return  # nobody listens on that port: pveproxy's tcp_connect fails and it drops the connection
    protocol = ServerProtocol(subprotocols=[Subprotocol("binary")], max_size=128 * 1024)
    # http.server has read the request already: hand its bytes to the protocol, which parses and checks them
    head = "".join(f"{k}: {v}\r\n" for k, v in handler.headers.items())
    protocol.receive_data(f"GET {handler.path} HTTP/1.1\r\n{head}\r\n".encode("latin-1", "replace"))
    request = next(ev for ev in protocol.events_received() if isinstance(ev, Request))
    response = protocol.accept(request)
    protocol.send_response(response)
    _flush(handler, protocol)
    if response.status_code != 101:
        _end(sim, port, "websocket handshake failed")
        return
    _Console(handler, protocol, sim, port, session, hostname).run()


def _flush(handler: BaseHTTPRequestHandler, protocol: ServerProtocol) -> None:
    for chunk in protocol.data_to_send():
        if chunk:  # b"" means: half-close; the caller closes the whole connection
            handler.wfile.write(chunk)


def _end(sim: Simulator, port: int, failure: str | None) -> None:
    from pvectl.sim.handlers.termproxy import disconnect

    with sim.store.transaction(write=True) as txn:
        disconnect(txn.state, port, sim.clock.time(), failure)
        txn.changed()


class _Console:
    def __init__(
        self,
        handler: BaseHTTPRequestHandler,
        protocol: ServerProtocol,
        sim: Simulator,
        port: int,
        session: dict[str, Any],
        hostname: str,
    ) -> None:
        from pvectl.sim.serial import FakeSerial
        from pvectl.sim.termproto import Stream

        self.handler, self.protocol, self.sim, self.port, self.session = handler, protocol, sim, port, session
        serial = str(session.get("serial") or "serial0")
        self.serial = FakeSerial(hostname, tty=f"ttyS{serial[-1]}")
        self.stream = Stream()
        self.pending = b""  # bytes before the login line's newline

    def run(self) -> None:
        from pvectl.sim.handlers.termproxy import ACCEPT_SECONDS

        failure: str | None = None
        conn: socket.socket = self.handler.connection
        try:
            conn.settimeout(ACCEPT_SECONDS)
            failure = self._login()
            if failure is None:
                conn.settimeout(IDLE_SECONDS)
                self._serve()
        except (OSError, ValueError) as exc:  # timeouts, resets, protocol garbage: termproxy exits
            failure = failure or f"console connection ended: {exc}"
        finally:
            _end(self.sim, self.port, failure)

    def _frames(self) -> list[bytes] | None:
        """The payloads of the next data frames from the client; None once the connection is over."""
        from websockets.frames import Frame, Opcode
        from websockets.protocol import State

        chunk = self.handler.rfile.read1(65536)
        if not chunk:
            self.protocol.receive_eof()
            return None
        self.protocol.receive_data(chunk)
        events = self.protocol.events_received()
        payloads = [
            bytes(ev.data) for ev in events if isinstance(ev, Frame) and ev.opcode in (Opcode.TEXT, Opcode.BINARY)
        ]
        _flush(self.handler, self.protocol)  # pongs and the answer to a close frame
        if self.protocol.state is not State.OPEN:  # a close frame came (and was answered)
            return None
        return payloads

    def _login(self) -> str | None:
        """Read ``USER:TICKET\\n`` and check it as termproxy does; None when OK was sent, else the failure."""
        from pvectl.sim.handlers.termproxy import check_vnc_ticket, qm_terminal
        from pvectl.sim.packages import termproxy_accepts_tokens
        from pvectl.sim.termproto import split_login

        while b"\n" not in self.pending:
            frames = self._frames()
            if frames is None:
                return "failed reading ticket: connection closed before authentication"
            self.pending += b"".join(frames)
        line, _, rest = self.pending.partition(b"\n")
        login = split_login(line)
        if login is None:
            return "authentication data is invalid"
        user, ticket = login
        vmid = int(self.session["vmid"])
        with self.sim.store.transaction() as txn:
            valid = check_vnc_ticket(txn.state, ticket, user, vmid, self.sim.clock.time())
            tokens_ok = termproxy_accepts_tokens(txn.state, str(self.session.get("kind") or "qemu"))
        if "!" in user and not tokens_ok:
            # before qemu-server 9.1.7 termproxy checks the ticket with POST /access/ticket, whose
            # lookup_username refuses API token ids (pve-access-control src/PVE/API2/AccessControl.pm
            # create_ticket); from 9.1.7 it asks POST /access/vncticket, which takes them (pvectl.sim.packages);
            # a container's termproxy likewise from pve-container 6.1.3
            return f"invalid authentication - 500 value '{user}' does not look like a valid user name"
        if not valid or self.sim.faults.console_refused(vmid):
            return "invalid authentication - 401 authentication failure"
        self._send(b"OK")
        with self.sim.store.transaction() as txn:
            said, goes_on = qm_terminal(txn.state, self.session)
        self._send(said.replace("\n", "\r\n").encode())  # the pty's onlcr
        if not goes_on:
            self.serial.closed = True  # qm terminal died: termproxy ends, the connection closes
            return None
        self._send(self.serial.banner())
        self._handle(rest)
        return None

    def _serve(self) -> None:
        while not self.serial.closed:
            frames = self._frames()
            if frames is None:
                return
            for payload in frames:
                self._handle(payload)

    def _handle(self, payload: bytes) -> None:
        keys, sizes = self.stream.push(payload)
        for cols, rows in sizes:
            self.serial.resize(cols, rows)
        if keys:
            out = self.serial.feed(keys)
            if out:
                self._send(out)

    def _send(self, data: bytes) -> None:
        self.protocol.send_binary(data)
        _flush(self.handler, self.protocol)
