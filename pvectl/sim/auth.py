"""Authentication as pveproxy does it: password tickets with CSRF tokens, and API tokens.

Ticket: ``PVE:<user>:<hex time>::<signature>`` (sent back as cookie ``PVEAuthCookie``). CSRF token:
``<hex time>:<signature>`` (header ``CSRFPreventionToken``, needed on every write made with a ticket).
API token: header ``Authorization: PVEAPIToken=<user>!<tokenid>=<secret>``, never needs CSRF.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from pvectl.sim.wire import ApiFail

State = dict[str, Any]
_TICKET = re.compile(r"PVE:(?P<user>[^:\s]+@[^:\s]+):(?P<time>[0-9A-F]{8})::(?P<sig>\S+)")
_TOKEN = re.compile(r"PVEAPIToken[= ](?P<user>[^\s!]+@[^\s!]+)!(?P<id>[^\s=:]+)[=:](?P<secret>\S+)")
# pve-access-control: a ticket is accepted from 5 minutes "in the future" up to its lifetime (2 hours).
CLOCK_SKEW = 300


@dataclass(frozen=True)
class Identity:
    user: str
    via_ticket: bool
    csrf_ok: bool


def _sign(state: State, text: str) -> str:
    key = f"{state['secret']}:{state.get('ticket_epoch', 0)}".encode()
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode().rstrip("=")


def issue_ticket(state: State, user: str, now: float) -> tuple[str, str]:
    """(ticket, CSRF token) for a user who just authenticated."""
    stamp = f"{int(now):08X}"
    plain = f"PVE:{user}:{stamp}"
    ticket = f"{plain}::{_sign(state, plain)}"
    csrf = f"{stamp}:{_sign(state, f'{stamp}:{user}')}"
    return ticket, csrf


def check_ticket(state: State, ticket: str, now: float) -> str | None:
    """The user a ticket belongs to, or None when it is forged, from another epoch, or expired."""
    m = _TICKET.fullmatch(unquote(ticket.strip()))
    if not m:
        return None
    plain = f"PVE:{m['user']}:{m['time']}"
    if not hmac.compare_digest(_sign(state, plain), m["sig"]):
        return None
    age = now - int(m["time"], 16)
    if age < -CLOCK_SKEW or age > state["ticket_lifetime"]:
        return None
    user = m["user"]
    return user if user in state["users"] and state["users"][user].get("enable", 1) else None


def check_csrf(state: State, token: str | None, user: str, now: float) -> bool:
    if not token or ":" not in token:
        return False
    stamp, _, sig = token.partition(":")
    if not re.fullmatch(r"[0-9A-F]{8}", stamp) or not hmac.compare_digest(_sign(state, f"{stamp}:{user}"), sig):
        return False
    age = now - int(stamp, 16)
    return bool(-CLOCK_SKEW <= age <= state["ticket_lifetime"])


def check_password(state: State, user: str, password: str) -> bool:
    entry = state["users"].get(user)
    if entry is None or not entry.get("enable", 1) or "password" not in entry:
        return False
    return hmac.compare_digest(str(entry["password"]), password)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def identify(state: State, headers: Mapping[str, str], now: float) -> Identity:
    """Who is calling, from the Authorization header or the PVEAuthCookie; 401 when nobody valid."""
    authz = headers.get("authorization", "")
    if authz:
        m = _TOKEN.fullmatch(authz.strip())
        if not m:
            raise ApiFail(401, "authentication failure")
        entry = state["users"].get(m["user"])
        token = (entry or {}).get("tokens", {}).get(m["id"])
        if token is None or not hmac.compare_digest(str(token["secret"]), m["secret"]):
            raise ApiFail(401, "authentication failure")
        # Requests made with a token run as the token: tasks show "root@pam!sim" as their user.
        return Identity(f"{m['user']}!{m['id']}", via_ticket=False, csrf_ok=True)
    ticket = _cookie(headers.get("cookie", ""), "PVEAuthCookie")
    if ticket is None:
        raise ApiFail(401, "No ticket")
    user = check_ticket(state, ticket, now)
    if user is None:
        raise ApiFail(401, "permission denied - invalid PVE ticket")
    csrf = check_csrf(state, headers.get("csrfpreventiontoken"), user, now)
    return Identity(user, via_ticket=True, csrf_ok=csrf)
