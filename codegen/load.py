"""Read a raw PVE ``apidata.js`` dump from a file or a URL."""

from __future__ import annotations

import hashlib
import json
import re
import ssl
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# apidata.js is `const apiSchema = [ ... ];` -- a JS assignment around pretty JSON.
_PREFIX = re.compile(r"^\s*(?:const|var|let)\s+apiSchema\s*=\s*", re.S)


@dataclass(frozen=True)
class RawDump:
    """A raw dump as read: the parsed tree, where it came from and the sha256 of its bytes."""

    tree: list[dict[str, Any]]
    source: str
    sha256: str


def parse_apidata(text: str) -> list[dict[str, Any]]:
    """Strip the JavaScript wrapper and parse the JSON array inside."""
    body = _PREFIX.sub("", text, count=1).strip()
    if body.endswith(";"):
        body = body[:-1]
    data = json.loads(body)
    if not isinstance(data, list):
        raise ValueError("apidata.js does not hold a JSON array")
    return data


def read_source(source: str, *, insecure: bool = False) -> bytes:
    """Bytes of a dump given as a local path or an http(s) URL (a node serves its own dump)."""
    if source.startswith(("https://", "http://")):
        context = ssl.create_default_context()
        if insecure:
            # PVE nodes mostly run self-signed certificates; the user asked for it explicitly.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(source, context=context, timeout=60) as resp:  # noqa: S310
            data: bytes = resp.read()
            return data
    return Path(source).read_bytes()


def load_dump(source: str, *, insecure: bool = False) -> RawDump:
    """Read and parse one dump."""
    raw = read_source(source, insecure=insecure)
    return RawDump(
        tree=parse_apidata(raw.decode("utf-8")),
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


_VERSION_IN_NAME = re.compile(r"pve-(\d+\.\d+(?:[.-]\d+)?)-apidata\.js$")


def version_from_name(source: str) -> str | None:
    """The PVE version encoded in a dump's file name (``pve-9.1.3-apidata.js``), if any."""
    m = _VERSION_IN_NAME.search(source)
    return m.group(1) if m else None
