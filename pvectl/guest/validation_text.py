"""Validation messages in a file's terms: pydantic's wording names Python types and classes ("Input should be a
valid dictionary or instance of Memory") that a VM or container file knows nothing of."""

from __future__ import annotations

import re

_PLAIN = (
    (r"Input should be a valid dictionary or instance of \w+", "expected a mapping of keys to values"),
    (r"Input should be a valid dictionary", "expected a mapping of keys to values"),
    (r"Input should be a valid integer(, [^(]*)?", "expected a whole number"),
    (r"Input should be a valid number(, [^(]*)?", "expected a number"),
    (r"Input should be a valid boolean(, [^(]*)?", "expected true or false"),
    (r"Input should be a valid string", "expected text"),
    (r"Input should be a valid (list|array)", "expected a list"),
    (r"Input should be (greater|less) than or equal to ", r"must be at \1 "),
    (r"Input should be ", "expected "),
    (r"^Value error, ", ""),
    (r"^Extra inputs are not permitted$", "unknown key"),
    (r"^Field required$", "missing: this key must be given"),
)
_WORDS = {"at greater ": "at least ", "at less ": "at most "}


def plain_validation(message: str) -> str:
    """``message`` without pydantic's class names and type jargon, e.g. 'expected a whole number'."""
    for pattern, replacement in _PLAIN:
        message = re.sub(pattern, replacement, message)
    for jargon, word in _WORDS.items():
        message = message.replace(jargon, word)
    return message.rstrip(" ,")
