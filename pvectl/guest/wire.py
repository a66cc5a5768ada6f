"""The one place a planned request goes to the server as planned.

A plan's requests are data (method, path, PVE-named parameters): ``--dry-run`` prints them, outcomes and the faults
tests name them, and they are sent exactly as shown. ``client.request`` resolves the path against the same schema
as the typed calls and validates the parameters like them; only the dispatch is by path instead of by attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient


def send_planned(client: ProxmoxClient, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
    """Send one planned request; the answer's data as PVE sent it (a UPID for a task)."""
    return client.request(method, path, dict(params or {}))  # pvesh-style: the request is data, shown as sent
