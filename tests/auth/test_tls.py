"""TLS against a real HTTPS server on 127.0.0.1: CA checks, fingerprint pins (checked before any request),
insecure mode warning once, and plain http:// refused except to loopback."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import AsyncProxmoxClient, FingerprintMismatch, InsecureTLSWarning, ProxmoxClient, TLSError
from pvectl.sdk._core import tls
from pvectl.sdk._core.tls import cert_fingerprint, fetch_fingerprint, format_fingerprint, parse_fingerprint
from tests.auth.tls_server import TlsServer, tls_server
from tests.conftest import TOKEN

WRONG_PIN = ":".join(["AB"] * 32)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TlsServer]:
    with tls_server(tmp_path) as s:
        yield s


def _client(server: TlsServer, **kwargs: object) -> ProxmoxClient:
    return ProxmoxClient(server.url, token=TOKEN, server_version="9.1.3", retries=0, **kwargs)  # type: ignore[arg-type]


def test_default_verification_fails_on_a_self_signed_cert(server: TlsServer) -> None:
    with _client(server) as c, pytest.raises(TLSError):
        c.request("GET", "/nodes")
    assert server.seen.requests == []


def test_ca_file_makes_it_trusted(server: TlsServer) -> None:
    with _client(server, verify=str(server.ca_file)) as c:
        assert c.request("GET", "/nodes") == [{"node": "pve1"}]
    assert len(server.seen.requests) == 1


def test_right_pin_connects(server: TlsServer) -> None:
    with _client(server, fingerprint=server.fingerprint) as c:
        assert c.request("GET", "/nodes") == [{"node": "pve1"}]
    ((method, path, headers),) = server.seen.requests
    assert (method, path) == ("GET", "/api2/json/nodes")
    assert headers["Authorization"].startswith("PVEAPIToken=")


def test_lowercase_pin_without_colons_connects(server: TlsServer) -> None:
    pin = server.fingerprint.replace(":", "").lower()
    with _client(server, fingerprint=pin) as c:
        c.request("GET", "/nodes")


def test_wrong_pin_sends_nothing(server: TlsServer) -> None:
    with _client(server, fingerprint=WRONG_PIN) as c, pytest.raises(FingerprintMismatch) as info:
        c.request("GET", "/nodes")
    assert server.fingerprint in str(info.value) and WRONG_PIN in str(info.value)
    # A request that is allowed through afterwards proves the server was serving all along.
    with _client(server, fingerprint=server.fingerprint) as c:
        c.request("GET", "/nodes")
    assert [r[:2] for r in server.seen.requests] == [("GET", "/api2/json/nodes")]


def test_wrong_pin_sends_no_password(server: TlsServer) -> None:
    with (
        ProxmoxClient(
            server.url, user="root@pam", password="s3cret-pass", fingerprint=WRONG_PIN, server_version="9.1.3"
        ) as c,
        pytest.raises(FingerprintMismatch),
    ):
        c.request("GET", "/nodes")
    assert server.seen.requests == []


def test_pin_with_ca_file_needs_both(server: TlsServer, tmp_path: Path) -> None:
    with _client(server, fingerprint=server.fingerprint, verify=str(server.ca_file)) as c:
        c.request("GET", "/nodes")
    other = tmp_path / "other"
    other.mkdir()
    from tests.auth.tls_server import make_cert

    other_ca, _, _ = make_cert(other, "other-ca")
    with _client(server, fingerprint=server.fingerprint, verify=str(other_ca)) as c, pytest.raises(TLSError):
        c.request("GET", "/nodes")


async def test_async_right_and_wrong_pin(server: TlsServer) -> None:
    async with AsyncProxmoxClient(server.url, token=TOKEN, server_version="9.1.3", fingerprint=WRONG_PIN) as c:
        with pytest.raises(FingerprintMismatch):
            await c.request("GET", "/nodes")
    assert server.seen.requests == []
    async with AsyncProxmoxClient(server.url, token=TOKEN, server_version="9.1.3", fingerprint=server.fingerprint) as c:
        assert await c.request("GET", "/nodes") == [{"node": "pve1"}]
    assert len(server.seen.requests) == 1


async def test_async_ca_file(server: TlsServer) -> None:
    async with AsyncProxmoxClient(server.url, token=TOKEN, server_version="9.1.3", verify=str(server.ca_file)) as c:
        await c.request("GET", "/nodes")


def test_fetch_fingerprint_sends_no_request(server: TlsServer) -> None:
    assert fetch_fingerprint("127.0.0.1", server.port) == server.fingerprint
    assert server.seen.requests == []


def test_insecure_warns_once(server: TlsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tls, "_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _client(server, verify=False) as c:
            c.request("GET", "/nodes")
        with _client(server, verify=False) as c:
            c.request("GET", "/nodes")
    assert [w.category for w in caught] == [InsecureTLSWarning]


@pytest.mark.parametrize("url", ["http://pve1:8006", "http://10.0.0.5:8006", "http://pve1.example.com"])
def test_plain_http_refused_to_remote_hosts(url: str) -> None:
    with pytest.raises(ValueError, match="plain http"):
        ProxmoxClient(base_url=url, token=TOKEN)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8006", "http://localhost:8006", "http://[::1]:8006"])
def test_plain_http_allowed_to_loopback(url: str) -> None:
    ProxmoxClient(base_url=url, token=TOKEN).close()


@pytest.mark.parametrize("bad", ["", "AA:BB", "sha1:AA", ":".join(["ZZ"] * 32), ":".join(["AA"] * 31)])
def test_bad_fingerprint_format_rejected_at_construction(bad: str) -> None:
    with pytest.raises(ValueError, match="fingerprint"):
        ProxmoxClient("pve1", token=TOKEN, fingerprint=bad)


def test_fingerprint_round_trip() -> None:
    digest = bytes(range(32))
    assert parse_fingerprint(format_fingerprint(digest)) == digest
    assert cert_fingerprint(b"x") == format_fingerprint(__import__("hashlib").sha256(b"x").digest())


@pytest.mark.parametrize(("verify", "pinned"), [(True, True), (False, False)])
def test_unverified_and_pinned_contexts_load_no_ca_store(verify: bool, pinned: bool) -> None:
    import ssl

    from pvectl.sdk._core.tls import ssl_context

    ctx = ssl_context(verify, pinned=pinned)
    assert ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] == 0  # the system's CAs would go unused: not loaded
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
