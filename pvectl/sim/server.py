"""The HTTPS server around a Simulator: threaded (optionally in several pre-forked processes), loopback by
default, TLS handshakes in connection threads."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn

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
    thread: threading.Thread | None
    host: str
    port: int
    workers: tuple[int, ...] = ()  # pids of forked worker processes (``workers`` > 1)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def stop(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)
        _stop_workers(self.workers)


def start_server(
    sim: Simulator,
    cert: CertFiles,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    force: bool = False,
    verbose: bool = False,
    compress: bool = True,
    workers: int = 1,
) -> RunningServer:
    """Serve ``sim`` over HTTPS in a daemon thread. Non-loopback addresses need ``force``.

    ``compress=False`` sends answers uncompressed even to clients that accept gzip: for a server in the
    client's own process, compressing costs more than sending.

    ``workers`` > 1 serves from that many forked processes sharing the listening socket, as pveproxy does
    (PVE::APIServer / pve-manager's PVE/Service/pveproxy.pm: ``max_workers => 3``, pre-forked, each
    accepting from the one socket): one Python process serialises its requests on the GIL. Each worker
    keeps the world in memory (forked, so shared until written) and its own answer caches; the SQLite
    store keeps reads concurrent and writes one at a time across processes. Call it before starting any
    other thread (a fork copies only the calling thread).
    """
    if not force and not is_loopback(host):
        raise ValueError(f"refusing to listen on non-loopback address '{host}' (the simulator is for this machine)")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert.cert, cert.key)
    server = SimServer((host, port), sim, context, verbose, compress)
    bound = int(server.server_address[1])
    if workers > 1:
        return RunningServer(server, None, host, bound, _fork_workers(server, workers))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="pvectl-sim", daemon=True)
    thread.start()
    return RunningServer(server, thread, host, bound)


def _fork_workers(server: SimServer, count: int) -> tuple[int, ...]:
    store = server.sim.store
    store.close()  # no database connection may cross the fork: each process opens its own
    parent = os.getpid()
    pids: list[int] = []
    try:
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                _serve_in_worker(server, parent)
            pids.append(pid)
    except OSError:
        _stop_workers(tuple(pids))
        raise
    finally:
        if os.getpid() == parent:
            store.reopen()
    return tuple(pids)


def _serve_in_worker(server: SimServer, parent: int) -> NoReturn:
    """A worker's life: serve until SIGTERM (the parent's stop) or until the parent is gone."""
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
        server.sim.store.reopen()

        def orphaned() -> None:  # a parent killed with SIGKILL cannot stop its workers: they notice
            while os.getppid() == parent:
                time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=orphaned, name="pvectl-sim-parent", daemon=True).start()
        server.serve_forever(0.05)
        code = 0
    finally:
        os._exit(code)


def _stop_workers(pids: tuple[int, ...]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5.0
    for pid in pids:
        while True:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.02)
