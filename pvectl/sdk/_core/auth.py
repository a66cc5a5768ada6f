"""Credentials the client attaches to requests. Secrets never appear in reprs or messages."""

from __future__ import annotations

import re
from typing import Protocol

_TOKEN = re.compile(r"(?P<user>[^\s!@]+@[^\s!@]+)!(?P<id>[A-Za-z][A-Za-z0-9.\-_]*)[=:](?P<secret>\S+)")


class Auth(Protocol):
    """What the client needs from a credential: headers (and cookies) for one request."""

    uses_token: bool

    def headers(self, method: str) -> dict[str, str]: ...


class TokenAuth:
    """API token auth: ``Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET``; no CSRF token needed."""

    uses_token = True

    def __init__(self, token: str) -> None:
        m = _TOKEN.fullmatch(token.strip())
        if not m:
            raise ValueError("API token must look like USER@REALM!TOKENID=SECRET")
        self.user = m["user"]
        self.token_id = m["id"]
        self._secret = m["secret"]

    @property
    def full_id(self) -> str:
        return f"{self.user}!{self.token_id}"

    def headers(self, method: str) -> dict[str, str]:
        return {"Authorization": f"PVEAPIToken={self.full_id}={self._secret}"}

    def secrets(self) -> tuple[str, ...]:
        return (self._secret,)

    def __repr__(self) -> str:
        return f"TokenAuth({self.full_id!r}, secret='***')"
