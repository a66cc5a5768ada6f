"""The simulator's self-signed certificate: created on first start, kept in the state dir, pinned by SHA-256."""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pvectl.sim.paths import CERT_FILE, KEY_FILE, ensure_dir


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path
    fingerprint: str  # "AA:BB:..." SHA-256 of the DER certificate, as PVE shows it


def fingerprint_of(cert_pem: bytes) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    digest = x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")


def _san_entries(names: list[str]) -> list[Any]:
    from cryptography import x509

    out: list[Any] = []
    for name in names:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def names_of(cert_pem: bytes) -> list[str]:
    """The DNS names and IP addresses the certificate covers."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_pem)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*san.get_values_for_type(x509.DNSName), *(str(ip) for ip in san.get_values_for_type(x509.IPAddress))]


def _generate(cert_path: Path, key_path: Path, names: list[str]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pvectl simulator")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(_san_entries(names)),
            critical=False,
        )
        # A CA-flagged self-signed leaf, so clients can use the file itself as their trust anchor.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp_key = key_path.with_suffix(".tmp")
    fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_pem)
    tmp_cert = cert_path.with_suffix(".tmp")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp_key, key_path)
    os.replace(tmp_cert, cert_path)


def _normal(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return host.lower()


def ensure_cert(directory: Path, host: str | None = None) -> CertFiles:
    """The certificate in ``directory``, generated when missing (under a lock: processes may race here).

    It covers localhost, 127.0.0.1 and ::1, and ``host`` when given: serving on another address
    (``--host 127.0.0.21``) replaces it by one that covers that address too (a new fingerprint), so clients
    that verify against the certificate file see the name they connect to.
    """
    import fcntl

    ensure_dir(directory)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    fd = os.open(directory / "cert.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        names = list(DEFAULT_NAMES)
        if cert_path.is_file() and key_path.is_file():
            covered = names_of(cert_path.read_bytes())
            if host is None or _normal(host) in covered:
                names = []
            else:
                names = list(dict.fromkeys([*covered, *DEFAULT_NAMES, _normal(host)]))
        elif host is not None:
            names = list(dict.fromkeys([*names, _normal(host)]))
        if names:
            _generate(cert_path, key_path, names)
        pem = cert_path.read_bytes()
    finally:
        os.close(fd)
    return CertFiles(cert_path, key_path, fingerprint_of(pem))
