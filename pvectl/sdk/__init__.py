"""pvectl's typed Proxmox VE SDK.

    from pvectl.sdk import ProxmoxClient
    with ProxmoxClient("pve1.example.com", token="root@pam!ci=SECRET") as client:
        for vm in client.nodes("pve1").qemu.list():
            print(vm.vmid, vm.name)

Importing this package loads the client core only; generated resources and models load on first use.
The library logs under ``pvectl.sdk`` and ``pvectl.http`` (DEBUG: values kept as PVE sent them, HTTP traces);
nothing reaches stderr unless the application configures logging.
"""

import logging

from pvectl.sdk._client import AsyncProxmoxClient, ProxmoxClient
from pvectl.sdk._core.auth import SecondFactorRequired, TfaChallenge, TicketAuth, TokenAuth
from pvectl.sdk._core.base import Clock
from pvectl.sdk._core.errors import (
    ApiError,
    AuthenticationError,
    NotFound,
    PermissionDenied,
    PveError,
    TaskFailed,
    TaskTimeout,
    TLSError,
    TokenNotAllowed,
    TransportError,
    UnsupportedByServer,
    ValidationError,
)
from pvectl.sdk._core.jsonvalue import JsonValue
from pvectl.sdk._core.redact import redact
from pvectl.sdk._core.task import AsyncTask, Task, TaskLost, WaitCancelled
from pvectl.sdk._core.tls import FingerprintMismatch, InsecureTLSWarning
from pvectl.sdk._core.upid import Upid, parse_upid

__all__ = [
    "ApiError",
    "AsyncProxmoxClient",
    "AsyncTask",
    "AuthenticationError",
    "Clock",
    "FingerprintMismatch",
    "InsecureTLSWarning",
    "JsonValue",
    "NotFound",
    "PermissionDenied",
    "ProxmoxClient",
    "PveError",
    "SecondFactorRequired",
    "TLSError",
    "Task",
    "TaskFailed",
    "TaskLost",
    "TaskTimeout",
    "TfaChallenge",
    "TicketAuth",
    "TokenAuth",
    "TokenNotAllowed",
    "TransportError",
    "UnsupportedByServer",
    "Upid",
    "ValidationError",
    "WaitCancelled",
    "parse_upid",
    "redact",
]

for _name in ("pvectl.sdk", "pvectl.http"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
