"""The ticket cache: consecutive commands reuse a password login instead of logging in again.

One JSON file in the XDG cache dir, owner-only (0600), keyed by user and server. Entries past PVE's
two-hour ticket lifetime are dropped when read. A cache file others can read is not trusted (and rewritten).

The cache only saves logins: when it cannot be used (a directory where the file should be, no permission,
a corrupt file, a full disk) pvectl warns once on stderr and logs in afresh; no command fails because of it.
"""

from __future__ import annotations

import json
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pvectl.config.paths import cache_dir, write_private

TICKET_LIFETIME = 7200.0  # PVE's ticket lifetime (mirrors pvectl.sdk._core.auth, kept import-light here)
EXPIRY_MARGIN = 60.0


@dataclass(frozen=True)
class CachedTicket:
    ticket: str
    csrf: str | None
    age: float  # seconds since the ticket was issued

    def __repr__(self) -> str:
        return f"CachedTicket(ticket='***', age={self.age:.0f})"


def cache_file() -> Path:
    return cache_dir() / "tickets.json"


def _key(base_url: str, user: str) -> str:
    return f"{user} {base_url}"


_warned: set[str] = set()


def _warn(message: str) -> None:
    """Tell the user once per process; the command goes on without the cache."""
    if message not in _warned:
        _warned.add(message)
        print(f"warning: {message}", file=sys.stderr)


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _read(path: Path) -> dict[str, Any]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    except OSError as exc:
        _warn(f"cannot use the ticket cache {path} ({_why(exc)}); logging in afresh")
        return {}
    if not stat.S_ISREG(mode):
        _warn(f"the ticket cache {path} is not a file; logging in afresh (remove it to cache logins again)")
        return {}
    if stat.S_IMODE(mode) & 0o077:
        return {}  # readable by others: someone may have tampered with it or read it; start over
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        _warn(f"cannot read the ticket cache {path} ({_why(exc)}); logging in afresh")
        return {}
    except ValueError:
        _warn(f"the ticket cache {path} is corrupt; logging in afresh and starting a new one")
        return {}
    if not isinstance(data, dict):
        _warn(f"the ticket cache {path} is corrupt; logging in afresh and starting a new one")
        return {}
    return data


def _write(path: Path, entries: dict[str, Any]) -> None:
    try:
        write_private(path, json.dumps(entries, indent=1).encode())
    except OSError as exc:
        _warn(f"cannot write the ticket cache {path} ({_why(exc)}); the next command logs in again")


def _live(entries: dict[str, Any], now: float) -> dict[str, Any]:
    out = {}
    for key, entry in entries.items():
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("ticket"), str)
            and isinstance(entry.get("issued"), (int, float))
            and now - entry["issued"] < TICKET_LIFETIME - EXPIRY_MARGIN
        ):
            out[key] = entry
    return out


def load_ticket(base_url: str, user: str, now: float | None = None) -> CachedTicket | None:
    """The cached, unexpired ticket of ``user`` on ``base_url``, if any."""
    now = time.time() if now is None else now
    entry = _live(_read(cache_file()), now).get(_key(base_url, user))
    if entry is None:
        return None
    csrf = entry.get("csrf")
    return CachedTicket(entry["ticket"], csrf if isinstance(csrf, str) else None, max(0.0, now - entry["issued"]))


def store_ticket(base_url: str, user: str, ticket: str, csrf: str | None, age: float = 0.0) -> None:
    """Remember a ticket (issued ``age`` seconds ago); expired entries are dropped on the way."""
    now = time.time()
    path = cache_file()
    entries = _live(_read(path), now)
    entries[_key(base_url, user)] = {"ticket": ticket, "csrf": csrf, "issued": now - age}
    _write(path, entries)


def drop_tickets(base_url: str | None = None, user: str | None = None) -> int:
    """Forget cached tickets (all, or those of one server and/or user); returns how many were dropped."""
    path = cache_file()
    entries = _read(path)
    keep = {}
    for key, entry in entries.items():
        entry_user, _, entry_url = key.partition(" ")
        if (base_url is None or entry_url == base_url) and (user is None or entry_user == user):
            continue
        keep[key] = entry
    dropped = len(entries) - len(keep)
    if keep:
        _write(path, keep)
    else:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            _warn(f"cannot remove the ticket cache {path} ({_why(exc)})")
    return dropped
