"""A PVE-shaped HTTP/1.1 server on loopback that counts connections: how many were opened, how many were
open at once, and how many requests each path got. Plain http:// (the SDK allows it to loopback)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSION = {"version": "9.1.3", "release": "9.1", "repoid": "0123abcd"}


@dataclass
class Counts:
    base_url: str = ""
    opened: int = 0
    open_now: int = 0
    most_open: int = 0
    paths: Counter[str] = field(default_factory=Counter)
    delay: float = 0.0  # seconds each answer but /version takes
    unavailable: int = 0  # how many of the next answers (but /version) are 503 Service Unavailable
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a burst of connects must not be refused by the listen backlog

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout tests) is expected


@contextmanager
def counting_server() -> Iterator[Counts]:
    counts = Counts()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as pveproxy
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def setup(self) -> None:
            super().setup()
            with counts.lock:
                counts.opened += 1
                counts.open_now += 1
                counts.most_open = max(counts.most_open, counts.open_now)

        def finish(self) -> None:
            with counts.lock:
                counts.open_now -= 1
            super().finish()

        def _answer(self) -> None:
            path = self.path.split("?", 1)[0].removeprefix("/api2/json")
            with counts.lock:
                counts.paths[f"{self.command} {path}"] += 1
            length = int(self.headers.get("Content-Length") or 0)
            form = self.rfile.read(length).decode() if length else ""
            data: Any
            with counts.lock:
                busy = path != "/version" and counts.unavailable > 0
                counts.unavailable -= busy
            if busy:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if path == "/version":
                time.sleep(0.05)  # long enough for concurrent first calls to overlap
                data = VERSION
            elif path == "/nodes":
                time.sleep(counts.delay)
                data = [{"node": "pve1", "status": "online"}]
            else:
                time.sleep(counts.delay)
                data = {"method": self.command, "path": path, "query": self.path.partition("?")[2]}
                if length:
                    data["form"] = form
            body = json.dumps({"data": data}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    counts.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield counts
    finally:
        server.shutdown()
        server.server_close()
