"""Text from a server or a file, made safe to print on a terminal: control characters shown escaped (``\\x1b``).

A VM name, a task log line or an error message is data, and a terminal obeys the control characters in what it
prints: ``ESC ]0;title BEL`` retitles the window, ``ESC [2J`` clears the screen, ``CR`` overwrites the line, and
the C1 byte ``0x9b`` starts a sequence as ``ESC [`` does. Text and table output show them as ``\\x1b``, ``\\x07``
instead (the way ``repr`` writes them), as do Unicode's direction overrides, which reorder what is shown. JSON
and YAML already write them escaped (``\\u001b``). Tabs and newlines stay in multi-line text (an outcome, a log);
in a table cell, which is one line, they are escaped too.
"""

from __future__ import annotations

import re

# C0 except tab and newline, DEL, C1; and the bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9)
# and lone UTF-16 surrogates, which no UTF-8 stream can carry (printing one stopped pvectl with 'internal error')
_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_IN_CELL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# what JSON writers leave raw: DEL, C1 (0x9b starts a sequence as ESC [ does) and the direction controls
_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """``text`` with every control character but tab and newline shown escaped (multi-line output, errors)."""
    if text.isascii() and text.isprintable():  # the usual case, checked in C
        return text
    return _IN_TEXT.sub(_escaped, text)


def safe_json(text: str) -> str:
    """JSON text with DEL, C1 and the direction controls written as ``\\u009b`` escapes, as C0 already are: the
    same data to a parser, nothing a terminal obeys (they can only stand inside strings, where the escape is
    valid JSON)."""
    if text.isascii() and "\x7f" not in text:
        return text
    return _IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_DIRECTION = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def raw_in_yaml(text: str) -> bool:
    """Whether YAML text holds a direction control as it is (YAML escapes C0, DEL and C1, not these): the
    caller then writes every non-ASCII character as an escape."""
    return _DIRECTION.search(text) is not None


def safe_cell(text: str) -> str:
    """``text`` as one line of a table or a text listing: every control character escaped, tab and newline too."""
    if text.isascii() and text.isprintable():
        return text
    return _IN_CELL.sub(_escaped, text)


# A server's error message is a line or two; a broken one can send megabytes, which would scroll the terminal away
LINE_SHOWN = 2000


def clipped(line: str) -> str:
    """An error or progress line cut after LINE_SHOWN characters, saying how much was left out (the data itself,
    in tables, JSON and YAML, is never cut)."""
    if len(line) <= LINE_SHOWN:
        return line
    return f"{line[:LINE_SHOWN]}... ({len(line) - LINE_SHOWN:,} more characters; -vv traces the whole answer)"
