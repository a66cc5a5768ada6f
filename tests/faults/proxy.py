"""A fault-injecting loopback HTTP proxy in front of the in-process simulator.

Every request is recorded (so a test can check that no write went out twice). Rules pick requests by method,
path pattern and ordinal, and misbehave the way a broken network or proxy does:

``drop-after``   forward, let the simulator act, then close the connection without an answer
``status-after`` forward, then answer ``status`` (502 from a proxy that lost the upstream answer)
``delay-after``  forward, then answer only after ``delay`` seconds (slower than the client's timeout)
``body``         forward, then answer 200 with ``{"data": body}`` instead (odd shapes)
``status``       do not forward; answer ``status`` (401/403/500 from the server)
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pvectl.sim.core import Simulator

PREFIX = "/api2/json"
MAX_DELAY = 10.0  # the proxy never holds a request longer than this: tests stay bounded


@dataclass
class Rule:
    method: str
    path: str  # a regular expression, matched in full against the path without /api2/json and the query
    action: str
    status: int = 502
    body: Any = None
    delay: float = 0.0
    nth: int = 1  # the first matching request the rule applies to
    count: int = 1  # how many matching requests, from the nth on
    seen: int = field(default=0, compare=False)

    def applies(self, method: str, path: str) -> bool:
        if self.method not in ("*", method) or not re.fullmatch(self.path, path):
            return False
        self.seen += 1
        return self.nth <= self.seen < self.nth + self.count


class FaultProxy:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.rules: list[Rule] = []
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.seen_event: dict[str, threading.Event] = {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30
            # headers and body go out in two writes: with Nagle's algorithm the body waits for the client's
            # delayed ACK (tens of ms per answer)
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                proxy._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, method: str, path: str, action: str, **kwargs: Any) -> Rule:
        rule = Rule(method, path, action, **kwargs)
        self.rules.append(rule)
        return rule

    def signal_on(self, pattern: str) -> threading.Event:
        """An event set when a request whose "METHOD path" matches ``pattern`` arrives."""
        event = threading.Event()
        self.seen_event[pattern] = event
        return event

    def writes(self) -> list[str]:
        return [f"{m} {p}" for m, p in self.requests if m != "GET"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path, _, query = handler.path.partition("?")
        short = path.removeprefix(PREFIX)
        with self.lock:
            self.requests.append((handler.command, short))
            rule = next((r for r in self.rules if r.applies(handler.command, short)), None)
            for pattern, event in self.seen_event.items():
                if re.fullmatch(pattern, f"{handler.command} {short}"):
                    event.set()
        if rule is not None and rule.action == "status":
            self._answer(handler, rule.status, {"data": None, "message": f"injected {rule.status}"})
            return
        response = self.sim.handle(handler.command, path, query, dict(handler.headers.items()), body)
        if rule is None:
            self._raw(handler, response.status, response.reason, response.headers, response.body)
        elif rule.action == "drop-after":
            handler.close_connection = True
            with contextlib.suppress(OSError):  # the client may be gone already
                handler.connection.shutdown(socket.SHUT_RDWR)
        elif rule.action == "status-after":
            self._answer(handler, rule.status, {"data": None, "message": "Bad Gateway"})
        elif rule.action == "delay-after":
            time.sleep(min(rule.delay, MAX_DELAY))
            self._raw(handler, response.status, response.reason, response.headers, response.body)
        elif rule.action == "body":
            self._answer(handler, 200, {"data": rule.body})
        else:
            raise ValueError(f"unknown proxy action {rule.action!r}")

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        self._raw(handler, status, "injected", {"Content-Type": "application/json"}, json.dumps(payload).encode())

    @staticmethod
    def _raw(
        handler: BaseHTTPRequestHandler, status: int, reason: str, headers: Mapping[str, str], body: bytes
    ) -> None:
        try:
            handler.send_response(status, reason)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            handler.close_connection = True  # the client gave up (timeout): nothing to answer
