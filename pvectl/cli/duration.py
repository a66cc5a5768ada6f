"""Durations on the command line: ``90s``, ``10m``, ``1h30m``, ``500ms`` or plain seconds (``45``, ``2.5``)."""

from __future__ import annotations

import math
import re

from pvectl.cli.errors import USAGE, CliError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
MAX_SECONDS = 7 * 24 * 3600.0  # a week: anything longer is a typo, not a wait


def parse_duration(text: str, option: str) -> float:
    """Seconds in ``text``; a usage error naming ``option`` (e.g. ``--timeout``) if it is not a duration."""
    value = text.strip().lower()
    seconds: float | None = None
    try:
        seconds = float(value)
    except ValueError:
        pos, total = 0, 0.0
        for m in _PART.finditer(value):
            if m.start() != pos:
                break
            total += float(m[1]) * _SECONDS[m[2]]
            pos = m.end()
        if pos == len(value) and pos > 0:
            seconds = total
    if seconds is None or not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_SECONDS:
        raise CliError(
            f"{option}: '{text}' is not a duration (like 90s, 10m, 1h30m or seconds; more than 0, at most 7 days)",
            USAGE,
        )
    return seconds
