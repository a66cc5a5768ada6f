"""Lenient scalar coercion for untyped returns: PVE sends numbers as strings (``/cluster/nextid`` -> "100")."""

from __future__ import annotations

import logging
from typing import Any, cast

log = logging.getLogger("pvectl.sdk")


def as_int(data: Any) -> int:
    if isinstance(data, bool):
        return int(data)
    if isinstance(data, int):
        return data
    try:
        return int(str(data).strip())
    except ValueError:
        log.warning("expected an integer, got %r; keeping it", data)
        return cast(int, data)


def as_float(data: Any) -> float:
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    try:
        return float(str(data).strip())
    except ValueError:
        log.warning("expected a number, got %r; keeping it", data)
        return cast(float, data)


def as_bool(data: Any) -> bool:
    if isinstance(data, bool):
        return data
    text = str(data).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    log.warning("expected a boolean, got %r; keeping it", data)
    return cast(bool, data)


def as_str(data: Any) -> str:
    return data if isinstance(data, str) else ("" if data is None else str(data))


def as_list(data: Any) -> list[Any]:
    return list(data) if isinstance(data, list) else []


def as_dict(data: Any) -> dict[str, Any]:
    return dict(data) if isinstance(data, dict) else {}
