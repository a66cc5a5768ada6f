"""Ranges of the numeric connection settings, shared by the config file, flags and environment variables."""

from __future__ import annotations

import math
from typing import Any

MAX_CONNECTIONS_LIMIT = 256  # well past what pveproxy's few workers serve in parallel


def range_problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be the ``key`` setting (config key spelling), or None: "must be ..."."""
    if key == "port" and not 1 <= value <= 65535:
        return f"must be from 1 to 65535, got {value}"
    if key == "request-timeout" and not (math.isfinite(value) and value > 0):
        return f"must be a positive number of seconds, got {value:g}"
    if key == "max-connections" and not 1 <= value <= MAX_CONNECTIONS_LIMIT:
        return f"must be from 1 to {MAX_CONNECTIONS_LIMIT}, got {value}"
    return None
