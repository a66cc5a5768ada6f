"""Fixtures for the auth tests: PVE-shaped login answers and a client that logs in with a password."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, quote

import httpx
import pytest

BASE = "https://pve1:8006/api2/json"
PASSWORD = "Pa55-w0rd-correct-horse"
TICKET1 = "PVE:root@pam:65A1B2C3::c2lnbmF0dXJlLW9uZQ=="
TICKET2 = "PVE:root@pam:65A1C0D0::c2lnbmF0dXJlLXR3bw=="
CSRF1 = "65A1B2C3:Y3NyZi1vbmUtc2VjcmV0"
CSRF2 = "65A1C0D0:Y3NyZi10d28tc2VjcmV0"
TFA_TICKET = "PVE:!tfa!" + quote('{"totp":true,"recovery":"available"}', safe="") + ":65A1B2C3::dGZhLXNpZw=="


def login_answer(ticket: str = TICKET1, csrf: str | None = CSRF1) -> dict[str, object]:
    data: dict[str, object] = {"username": "root@pam", "ticket": ticket}
    if csrf is not None:
        data["CSRFPreventionToken"] = csrf
    return {"data": data}


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


@pytest.fixture(autouse=True)
def _no_real_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CONTEXT", "HOST", "USER", "PASSWORD", "TOKEN", "CA_FILE", "FINGERPRINT", "INSECURE", "SIM"):
        monkeypatch.delenv(f"PVECTL_{name}", raising=False)
