"""TLS: CA bundles, an explicit insecure mode, and SHA-256 certificate pinning checked before any byte of HTTP.

PVE clusters mostly run self-signed certificates; the GUI shows their SHA-256 fingerprint as ``AA:BB:...``.
A pin is checked right after the TLS handshake, inside the connection pool's network backend (``pinning.py``),
so a server with another certificate never receives a request, let alone a credential.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import ssl
import threading
import warnings

import httpx

from pvectl.sdk._core.errors import TLSError

_HEX = re.compile(r"[0-9A-Fa-f]{64}")


class FingerprintMismatch(TLSError):
    """The server's certificate does not match the pinned fingerprint; nothing was sent to it."""

    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"server certificate fingerprint {got} does not match the pinned {expected}")
        self.expected = expected
        self.got = got


class InsecureTLSWarning(UserWarning):
    """Certificate verification is turned off."""


def parse_fingerprint(text: str) -> bytes:
    """``AA:BB:...`` (32 pairs, as PVE shows it; also without colons or lower case) -> 32 raw bytes."""
    cleaned = text.strip().replace(":", "").replace(" ", "")
    if cleaned.lower().startswith("sha256"):
        cleaned = cleaned[6:].lstrip("=/")
    if not _HEX.fullmatch(cleaned):
        raise ValueError(f"fingerprint must be a SHA-256 as AA:BB:... (32 hex pairs), got {text.strip()[:120]!r}")
    return bytes.fromhex(cleaned)


def format_fingerprint(digest: bytes) -> str:
    """32 raw bytes -> ``AA:BB:...`` as the PVE GUI shows it."""
    return ":".join(f"{b:02X}" for b in digest)


def cert_fingerprint(der: bytes) -> str:
    """SHA-256 fingerprint of a DER certificate, in PVE's format."""
    return format_fingerprint(hashlib.sha256(der).digest())


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (the only place plain http:// is allowed to go)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_scheme(url: str) -> None:
    """Refuse plain http:// except to loopback: credentials would cross the network in the clear."""
    parsed = httpx.URL(url)
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        raise ValueError(f"refusing plain http:// to {parsed.host}: credentials would travel unencrypted; use https")
    if parsed.scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {parsed.scheme!r} (use https)")


_warned_lock = threading.Lock()
_warned = False


def warn_insecure(host: str) -> None:
    """Warn, once per process, that certificate checks are off."""
    global _warned
    with _warned_lock:
        if _warned:
            return
        _warned = True
    warnings.warn(
        f"TLS certificate verification is off for {host}: anyone on the path can read the credentials; "
        "pin the fingerprint instead",
        InsecureTLSWarning,
        stacklevel=3,
    )


def ssl_context(verify: bool | str | ssl.SSLContext = True, pinned: bool = False) -> ssl.SSLContext:
    """An SSL context: default CAs, a CA bundle file, or no chain check (insecure or pinned)."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False or (pinned and verify is True):
        # With a pin the certificate itself is the trust anchor (PVE's self-signed case); the chain and
        # the host name are not checked, the pin is, before anything is sent. No CA store either: loading the
        # system's (create_default_context) costs more than the whole first request and would go unused.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if isinstance(verify, str):
        try:
            return ssl.create_default_context(cafile=verify)
        except (OSError, ssl.SSLError) as exc:
            raise TLSError(f"cannot load CA file {verify}: {exc.strerror or exc}") from exc
    return ssl.create_default_context()


def fetch_fingerprint(host: str, port: int = 8006, timeout: float = 10.0) -> str:
    """Connect once and return the server certificate's fingerprint (trust on first use), sending nothing."""
    import socket

    ctx = ssl_context(False)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            ctx.wrap_socket(sock, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise TLSError(f"cannot fetch the certificate of {host}:{port}: {exc}") from exc
    if not der:
        raise TLSError(f"{host}:{port} presented no certificate")
    return cert_fingerprint(der)
