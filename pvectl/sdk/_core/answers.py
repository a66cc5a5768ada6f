"""Checking the shape of what the server answered, before anything reads fields out of it.

PVE itself always answers these paths with the documented shapes; a broken proxy or a half-restarted
pvedaemon does not. A shape we cannot read is ``UnexpectedAnswer`` (one line, exit 1) -- never an
AttributeError deep in the caller.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from typing import Any

from pvectl.sdk._core.errors import PveError

log = logging.getLogger("pvectl.sdk")
BODY_SHOWN = 2000  # characters of an unexpected body shown with -v


def _show(data: Any) -> str:
    if data is None:
        return "null"
    if isinstance(data, Mapping):
        return "an object without the expected fields"
    if isinstance(data, list):
        return "a list"
    text = json.dumps(data, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


class UnexpectedAnswer(PveError):
    """The server answered with a shape PVE does not send; ``what`` names the request, ``data`` is the body."""

    def __init__(self, what: str, data: Any, expected: str = "") -> None:
        self.what = what
        self.data = data
        self.expected = expected
        detail = f" ({expected} expected)" if expected else ""
        super().__init__(f"unexpected answer from the server: {what} returned {_show(data)}{detail}")
        log.info("%s returned: %s", what, json.dumps(data, default=str)[:BODY_SHOWN])  # -v shows the body


def _sent(data: Any) -> Any:
    """A typed answer (a generated response model) back as PVE sent it; anything else unchanged."""
    answer = getattr(data, "pve_answer", None)
    return answer() if callable(answer) else data


def plain(data: Any) -> Any:
    """A typed call's answer as PVE sent it: a response model -> its dict, a list of them -> a list of dicts;
    anything else (a scalar, an answer in a shape the schema does not declare) unchanged."""
    if isinstance(data, list):
        return [_sent(row) for row in data]
    return _sent(data)


def as_object(what: str, data: Any) -> dict[str, Any]:
    data = _sent(data)
    if not isinstance(data, Mapping):
        raise UnexpectedAnswer(what, data, "an object")
    return {str(k): v for k, v in data.items()}


def as_rows(what: str, data: Any) -> list[dict[str, Any]]:
    """A list of objects; ``null`` counts as empty (PVE answers an empty list that way on some paths)."""
    if data is None:
        return []
    if isinstance(data, list) and data and not isinstance(data[0], Mapping):
        data = [_sent(row) for row in data]
    if not isinstance(data, list) or not all(isinstance(row, Mapping) for row in data):
        raise UnexpectedAnswer(what, data, "a list of objects")
    if all(type(row) is dict for row in data):
        return data  # parsed JSON: fresh dicts with string keys already (no copy of 10,000 rows)
    return [{str(k): v for k, v in row.items()} for row in data]


def as_int(what: str, value: Any, *, default: int | None = None) -> int:
    """PVE sends integers as numbers or numeric strings; anything else is unexpected."""
    if type(value) is int:  # the common case first: one check per row of a big list
        return value
    if value is None and default is not None:
        return default
    if isinstance(value, bool):
        raise UnexpectedAnswer(what, value, "a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise UnexpectedAnswer(what, value, "a number")


def as_text(what: str, value: Any, *, default: str | None = None) -> str:
    if type(value) is str:
        return value
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnexpectedAnswer(what, value, "a string")
    return str(value)
