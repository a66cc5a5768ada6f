"""PVE's HTTP wire format as the server sees it: parameter decoding, the JSON envelope, error answers.

pve-http-server decodes ``application/x-www-form-urlencoded`` bodies and query strings with
``decode_urlencoded``: pairs split on ``&`` *and* ``;``, ``+`` is a space, a repeated key becomes an array.
JSON bodies are accepted too (booleans become 1/0 before validation). Answers are ``{"data": ...}``;
errors carry the message in the HTTP reason phrase and, for parameter problems, an ``errors`` map.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

Params = dict[str, str | list[str]]


class ApiFail(Exception):
    """Raised by handlers: an HTTP error answer with PVE's message (and per-parameter errors)."""

    def __init__(self, status: int, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = dict(errors or {})


def param_fail(errors: Mapping[str, str]) -> ApiFail:
    """PVE's ``raise_param_exc``: 400 ``Parameter verification failed.`` with the ``errors`` map."""
    return ApiFail(400, "Parameter verification failed.", errors)


@dataclass(frozen=True)
class SimResponse:
    status: int
    reason: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


# pve-http-server gzips answers of more than 1024 bytes when the client accepts gzip (PVE::APIServer::AnyEvent,
# sub response: memGzip unless $nocomp; pveproxy compresses unless COMPRESSION=0 in /etc/default/pveproxy).
GZIP_MIN = 1024


def gzip_body(body: bytes) -> bytes:
    import gzip

    return gzip.compress(body, compresslevel=1, mtime=0)


def _add(params: Params, key: str, value: str) -> None:
    old = params.get(key)
    if old is None:
        params[key] = value
    elif isinstance(old, list):
        old.append(value)
    else:
        params[key] = [old, value]


def decode_urlencoded(text: str) -> Params:
    params: Params = {}
    for pair in re.split(r"[&;]", text):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        _add(params, unquote_plus(key), unquote_plus(value))
    return params


def _wire(value: Any) -> str | list[str]:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return [str(_wire(v)) for v in value]
    if value is None:
        return ""
    if isinstance(value, dict):
        raise ApiFail(400, "unable to parse JSON body - nested objects are not parameters")
    return str(value)


def decode_body(content_type: str, body: bytes) -> Params:
    if not body:
        return {}
    text = body.decode("utf-8", errors="replace")
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ApiFail(400, f"unable to parse JSON body - {exc}") from exc
        if not isinstance(data, dict):
            raise ApiFail(400, "JSON body must be an object")
        return {str(k): _wire(v) for k, v in data.items() if v is not None}
    return decode_urlencoded(text)


def reason_text(message: str) -> str:
    # The reason phrase is one line without control characters.
    return " ".join(message.split()) or "Error"


JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json;charset=UTF-8"}


def encode(payload: Any) -> bytes:
    """JSON as pveproxy writes it: compact UTF-8 (the HTTP server's ``register_formatter('json', ...)`` calls
    ``to_json($data, {utf8 => 1, allow_nonref => 1})``: no pretty-printing, no \\u escapes)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def ok(data: Any, extra: Mapping[str, Any] | None = None) -> SimResponse:
    payload = {"data": data, **(extra or {})}
    return SimResponse(200, "OK", encode(payload), JSON_HEADERS)


def error(fail: ApiFail) -> SimResponse:
    message = fail.message if fail.message.endswith("\n") else fail.message + "\n"
    payload: dict[str, Any] = {"data": None, "message": message}
    if fail.errors:
        payload["errors"] = fail.errors
    return SimResponse(
        fail.status,
        reason_text(fail.message),
        encode(payload),
        JSON_HEADERS,
    )
