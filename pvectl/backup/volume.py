"""Writes on one backup volume, and what the storage shows after an ambiguous answer to one.

pve-storage ``src/PVE/API2/Storage/Content.pm``: ``updateattributes`` (PUT, notes and protected) runs in the
request and answers null; ``delete`` forks an ``imgdel`` task and answers its UPID (null only when the
``delay`` parameter, which pvectl does not send, saw the task end). A lost, 5xx or odd answer leaves the write
in doubt: the storage's backup list is read once more instead of sending it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pvectl.backup.catalog import Backup
    from pvectl.sdk import ProxmoxClient


def shown(client: ProxmoxClient, volid: str, node: str, wanted: Callable[[Backup | None], bool]) -> bool | None:
    """Does the storage show the write done? ``wanted`` judges the backup as listed now (None: no longer
    listed). None when the storage cannot be read."""
    from pvectl.backup.catalog import BackupNotFound, locate
    from pvectl.sdk._core.errors import PveError

    try:
        backup: Backup | None = locate(client, volid, node=node)
    except BackupNotFound:
        backup = None
    except PveError:
        return None
    return wanted(backup)
