"""A real HTTPS server on 127.0.0.1 with a freshly generated self-signed certificate, recording what it saw."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Seen:
    """Requests that reached the handler: (method, path, headers)."""

    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


@dataclass(frozen=True)
class TlsServer:
    url: str
    port: int
    ca_file: Path
    fingerprint: str
    seen: Seen


def make_cert(directory: Path, common_name: str = "pve-test") -> tuple[Path, Path, str]:
    """Self-signed certificate for 127.0.0.1 and localhost -> (cert path, key path, AA:BB:... fingerprint)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / f"{common_name}.pem"
    key_path = directory / f"{common_name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()
    return cert_path, key_path, ":".join(f"{b:02X}" for b in digest)


@contextmanager
def tls_server(directory: Path) -> Iterator[TlsServer]:
    """Serve PVE-shaped answers over HTTPS on 127.0.0.1 (random port) until the block ends."""
    cert, key, fingerprint = make_cert(directory)
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            seen.requests.append((self.command, self.path, dict(self.headers.items())))
            body = json.dumps({"data": [{"node": "pve1"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield TlsServer(f"https://127.0.0.1:{port}", port, cert, fingerprint, seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
