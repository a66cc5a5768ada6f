"""Bounds on what a server's answer may be, so that a broken or hostile server (or a proxy in between) cannot
exhaust memory or crash the client with an answer no PVE sends.

- MAX_ANSWER_BYTES: an answer's body is read up to this size (after content decoding, so a compressed bomb
  stops too); beyond it the request fails with one line. PVE's largest answers are lists: /cluster/resources
  for 3,000 guests is about 1 MB, so the cap is 64 times that.
- MAX_ANSWER_DEPTH: how deeply lists and objects may nest. PVE's answers nest a few levels (a guest's config
  2, /cluster/resources 3, Ceph's status passed through about 8); the parsers and everything that walks the
  data recurse per level, so a 100,000-level answer would stop them with a RecursionError. The check runs on
  the bytes before parsing and costs about 2 ms per MB (0.1 ms for answers with fewer than
  MAX_ANSWER_DEPTH brackets, which skip it).
- MAX_ANSWER_VALUES: how many values (list items, object members, lists and objects) an answer may hold. Within
  the byte cap a parsed answer can still be 30 times its size (``[{},{},...]``: 64 MiB of empty objects took
  1.9 GB), so the values are counted on the bytes before parsing, as the depth is. /cluster/resources for
  3,000 guests holds about 60,000; the cap is 33 times that and keeps the parsed worst case under 300 MB
  (2,000,000 ``{"a":1}``: 280 MB peak); counting costs about 1 ms per MB.
"""

from __future__ import annotations

from itertools import accumulate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

MAX_ANSWER_BYTES = 64 * 1024 * 1024
MAX_ANSWER_DEPTH = 128
MAX_ANSWER_VALUES = 2_000_000

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_NOT_VALUE_MARK = bytes(b for b in range(256) if b not in b'[{,"')
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_CHUNK = 4096


class AnswerTooLarge(Exception):
    """Raised by the readers below; the client turns it into an UnexpectedAnswer naming the request."""


def nests_deeper(body: bytes, limit: int = MAX_ANSWER_DEPTH) -> bool:
    """Whether the JSON text ``body`` nests lists and objects more than ``limit`` levels deep (brackets
    inside strings do not count). Linear, mostly in C: strings become empty, then the brackets are counted
    a chunk at a time, one by one only in a chunk that could cross ``limit``."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    marks = _outside_strings(body, _NOT_STRUCTURE)
    depth = 0
    for start in range(0, len(marks), _CHUNK):
        chunk = marks[start : start + _CHUNK]
        opens = chunk.count(b"[") + chunk.count(b"{")
        if depth + opens > limit and depth + max(accumulate(map(_STEP.__getitem__, chunk))) > limit:
            return True
        depth += 2 * opens - len(chunk)
    return False


def holds_more_values(body: bytes, limit: int | None = None) -> bool:
    """Whether the JSON text ``body`` holds more than ``limit`` values (default MAX_ANSWER_VALUES), counted as
    the commas and opening brackets outside strings. Linear and in C; most answers have fewer commas and
    brackets in all than the limit and skip the strings' removal."""
    limit = MAX_ANSWER_VALUES if limit is None else limit
    if body.count(b",") + body.count(b"[") + body.count(b"{") <= limit:
        return False
    marks = _outside_strings(body, _NOT_VALUE_MARK)
    return marks.count(b",") + marks.count(b"[") + marks.count(b"{") > limit


def _outside_strings(body: bytes, drop: bytes) -> bytes:
    """The bytes of ``body`` that are not in ``drop`` and stand outside JSON strings (``drop`` keeps quotes)."""
    if b"\\" in body:  # escapes first: an escaped quote does not end a string
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = body.translate(None, drop)
    # Two quotes in a row are a string without marks, or the end of one and the start of the next with no mark
    # between: dropping them keeps every mark on its side of every string.
    while b'""' in marks:
        marks = marks.replace(b'""', b"")
    if b'"' in marks:  # strings with marks inside: keep what is outside them
        marks = b"".join(marks.split(b'"')[::2])
    return marks


def read_capped(response: httpx.Response, limit: int | None = None) -> None:
    """Read a streamed response's body into it (as ``response.read()`` does), stopping past ``limit`` bytes
    (default MAX_ANSWER_BYTES)."""
    limit = MAX_ANSWER_BYTES if limit is None else limit
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise AnswerTooLarge(limit)
            chunks.append(chunk)
    finally:
        response.close()
    response._content = b"".join(chunks)  # what httpx's own read() stores


async def aread_capped(response: httpx.Response, limit: int | None = None) -> None:
    """:func:`read_capped` for the async client."""
    limit = MAX_ANSWER_BYTES if limit is None else limit
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise AnswerTooLarge(limit)
            chunks.append(chunk)
    finally:
        await response.aclose()
    response._content = b"".join(chunks)


def too_large_message() -> str:
    return f"the answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB, more than PVE sends; not read"


def too_many_values_message(limit: int | None = None) -> str:
    limit = MAX_ANSWER_VALUES if limit is None else limit
    return f"the answer holds more than {limit:,} values, more than PVE sends; not read"


def too_deep_message(limit: int = MAX_ANSWER_DEPTH) -> str:
    return f"the answer nests lists and objects more than {limit} levels deep, more than PVE sends; not read"
