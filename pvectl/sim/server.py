"""The HTTPS server around a Simulator: threaded, loopback by default, TLS handshakes in worker threads."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pvectl.sim.core import Simulator
from pvectl.sim.tls import CertFiles
from pvectl.sim.wire import GZIP_MIN, ApiFail, SimResponse, error, gzip_body

IDLE_TIMEOUT = 30.0
MAX_BODY = 16 * 1024 * 1024


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pve-api-daemon/3.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: SimServer

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            response = error(ApiFail(400 if length < 0 else 413, "invalid or too large Content-Length"))
        else:
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            response = self.server.sim.handle(self.command, path, query, dict(self.headers.items()), body)
            if response.status == 200 and "Upgrade" in self.headers and self._websocket(response):
                return
        body = response.body
        reason = response.reason.encode("latin-1", "replace").decode("latin-1")
        self.send_response(response.status, reason)
        for key, value in response.headers.items():
            self.send_header(key, value)
        accepts = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if self.server.compress and len(body) > GZIP_MIN and accepts:
            body = self.server.gzipped(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _websocket(self, response: SimResponse) -> bool:
        """Serve an upgraded vncwebsocket call as the console it asks for (pvectl.sim.websocket)."""
        from pvectl.sim.websocket import serve_console, wants_upgrade

        if not wants_upgrade(self.command, self.path, dict(self.headers.items())):
            return False
        self.close_connection = True
        serve_console(self, response, self.server.sim)
        return True

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], sim: Simulator, context: ssl.SSLContext, verbose: bool, compress: bool = True
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.sim = sim
        self.context = context
        self.verbose = verbose
        self.compress = compress
        self._last_gzip: tuple[bytes, bytes] = (b"", b"")

    def gzipped(self, body: bytes) -> bytes:
        """``body`` compressed; the last one is kept, since cached answers are the same bytes object."""
        last = self._last_gzip
        if last[0] is body:
            return last[1]
        packed = gzip_body(body)
        self._last_gzip = (body, packed)
        return packed

    def finish_request(self, request: Any, client_address: Any) -> None:
        # Wrap here, in the connection's own thread, so one slow handshake never blocks accept().
        request.settimeout(IDLE_TIMEOUT)
        if request.family in (socket.AF_INET, socket.AF_INET6):
            # Headers and body go out in two writes; without NODELAY, Nagle plus delayed ACKs add 40 ms each.
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            _Handler(tls, client_address, self)
        finally:
            tls.close()


@dataclass
class RunningServer:
    server: SimServer
    thread: threading.Thread
    host: str
    port: int

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_server(
    sim: Simulator,
    cert: CertFiles,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    force: bool = False,
    verbose: bool = False,
    compress: bool = True,
) -> RunningServer:
    """Serve ``sim`` over HTTPS in a daemon thread. Non-loopback addresses need ``force``.

    ``compress=False`` sends answers uncompressed even to clients that accept gzip: for a server in the
    client's own process, compressing costs more than sending.
    """
    if not force and not is_loopback(host):
        raise ValueError(f"refusing to listen on non-loopback address '{host}' (the simulator is for this machine)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert.cert, cert.key)
    server = SimServer((host, port), sim, context, verbose, compress)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="pvectl-sim", daemon=True)
    thread.start()
    return RunningServer(server, thread, host, int(server.server_address[1]))
