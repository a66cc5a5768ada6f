"""The one redaction mechanism: every log line, HTTP trace, error message, repr and dry run goes through it.

Two layers: secrets the process knows by value (registered by the credential objects when they are created
or receive a ticket) and patterns for PVE's credential shapes, which catch secrets we never saw by value
(a ticket in a server answer, a token typed on the command line).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

MASK = "***"

_lock = threading.Lock()
_known: set[str] = set()

# Shorter values are too likely to occur by chance in ordinary text ("pve", "1").
_MIN_SECRET = 4

# Parameter names whose values are secrets: PVE's password, new-password, cipassword (cloud-init), LDAP bind
# password, OpenID client-key, ACME/plugin secrets, and the TFA fields.
_SECRET_NAMES = r"(?:[\w-]*password|otp|tfa-challenge|client-key|[\w-]*secret|[\w-]*ticket)"  # noqa: S105 (names, not a secret)

# Words that stand for a secret in hints and docs (``USER@REALM!ID=SECRET``): not secrets themselves.
_PLACEHOLDERS = r"(?:SECRET|UUID|TOKEN|VALUE|\.\.\.|…)(?![\w-])"

# A character of a user name or realm in a token id (PVE's user names exclude whitespace, ':' and '/';
# pve-access-control src/PVE/Auth/Plugin.pm $user_regex): the id ends at any quoting or punctuation.
_USER_CHAR = r"[^\s!@'\"=,;&()<>\[\]]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # API tokens: USER@REALM!TOKENID=SECRET, bare or after ``PVEAPIToken=``. Only the secret after '=' is
    # masked; the token id is a name (it ends every UPID a token starts: ``UPID:…:root@pam!ci:``), so a
    # ':' after it is a UPID's end, not a secret. Brackets and parentheses end the secret, so a hint's
    # ``(USER@REALM!ID=SECRET)`` keeps its words. PVE's own secrets are UUIDs (pve-access-control,
    # PVE/API2/User.pm generates them), which contain none of these characters.
    #
    # Every pattern is linear in the text's length: a pattern starts at a fixed anchor ('@', a literal word),
    # and a run that may repeat its own anchor stops at the next one, so no character is scanned from more
    # than a bounded number of start positions. (The user part before '@' is kept as it is, so one
    # character of look-behind proves it is there: scanning back for its start was quadratic on a long run
    # without separators, 7 s for a 50 KB error body.)
    (
        re.compile(
            rf"(@(?<={_USER_CHAR}@){_USER_CHAR}+![A-Za-z][A-Za-z0-9._\-]*)=(?!{_PLACEHOLDERS})"
            r"[^\s'\",;&()<>\[\]{}]+"
        ),
        rf"\1={MASK}",
    ),
    # the header form, whatever separates id and secret
    (
        re.compile(r"(PVEAPIToken=(?:(?!PVEAPIToken=)[^\s!'\"])+![A-Za-z][A-Za-z0-9._\-]*)[=:][^\s'\",;&]+"),
        rf"\1={MASK}",
    ),
    # Cookie: PVEAuthCookie=TICKET
    (re.compile(r"(PVEAuthCookie=)[^\s;'\",]+"), rf"\1{MASK}"),
    # PVE tickets anywhere: PVE:USER@REALM:HEXTIME::SIGNATURE (and TFA challenges PVE:!tfa!...:HEXTIME::SIG);
    # the 8-hex time before '::' keeps a UPID of a node called PVE (``UPID:PVE:…:vzdump::root@pam:``) whole;
    # VNC tickets (termproxy, vncproxy) are PVEVNC:HEXTIME::SIGNATURE
    (
        re.compile(
            r"PVE(?:VNC)?(?::|%3A)(?:(?!PVE(?:VNC)?(?::|%3A))[^\s'\"&;,])*?[0-9A-Fa-f]{8}(?:::|%3A%3A)[A-Za-z0-9+/=%]+"
        ),
        MASK,
    ),
    # Header lines and JSON members carrying credentials
    (re.compile(r"(?i)(CSRFPreventionToken[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+"), rf"\1{MASK}"),
    (re.compile(rf"(?i)(\"{_SECRET_NAMES}\"\s*:\s*\")[^\"]*"), rf"\1{MASK}"),
    # Form bodies and query strings: password=..., otp=..., tfa-challenge=...
    (re.compile(rf"(?i)((?:^|[?&;\s]){_SECRET_NAMES}=)[^&\s]*"), rf"\1{MASK}"),
    # Our own config keys, as a dry run or an error might show them
    (re.compile(r"(?i)((?:token-secret|password)\s*=\s*[\"'])[^\"']*"), rf"\1{MASK}"),
)


_NAME_WORDS = ("password", "otp", "tfa-challenge", "client-key", "secret", "ticket")
# The words a case-insensitive pattern cannot match without (lower case).
_NEEDLES: dict[re.Pattern[str], tuple[str, ...]] = {
    _PATTERNS[4][0]: ("csrfpreventiontoken",),
    _PATTERNS[5][0]: _NAME_WORDS,
    _PATTERNS[6][0]: _NAME_WORDS,
    _PATTERNS[7][0]: ("token-secret", "password"),
}


def register_secret(value: str | None) -> None:
    """Remember a secret by value so that :func:`redact` removes it from any text, in any common encoding."""
    if not value or len(value) < _MIN_SECRET:
        return
    with _lock:
        _known.update({value, quote(value, safe=""), quote_plus(value, safe="")})


def forget_secret(value: str | None) -> None:
    """Stop tracking a secret (after logout); harmless if it was never registered."""
    if not value:
        return
    with _lock:
        _known.difference_update({value, quote(value, safe=""), quote_plus(value, safe="")})


def redact(text: str) -> str:
    """``text`` with every known secret and every credential-shaped value replaced by ``***``."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    folded: str | None = None
    for pattern, replacement in _PATTERNS:
        needles = _NEEDLES.get(pattern)
        if needles:
            # a case-insensitive pattern tries every position of the text (0.2 s per MB): skip it when none of
            # its words is there. casefold maps what IGNORECASE equates ("ſ" to "s", Kelvin's K to "k"), all
            # but the dotless "ı" for "i" (checked over every code point).
            folded = text.casefold().replace("ı", "i") if folded is None else folded
            if not any(needle in folded for needle in needles):
                continue
        text, count = pattern.subn(replacement, text)
        if count:
            folded = None
    return text


SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "csrfpreventiontoken"})


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header pairs with credential-bearing values masked (the name stays, so a trace shows what was sent)."""
    out = []
    for name, value in headers:
        if name.lower() in SENSITIVE_HEADERS:
            # keep the scheme or token id, which helps debugging and is not secret
            if value.startswith("PVEAPIToken="):
                value = redact(value)
            elif "=" in value and name.lower() in ("cookie", "set-cookie"):
                value = f"{value.split('=', 1)[0]}={MASK}"
            else:
                value = MASK
        out.append((name, redact(value)))
    return out


def format_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]] = (),
    body: str | bytes | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> str:
    """A request as text for traces and dry runs, already redacted."""
    lines = [f"{method} {redact(url)}"]
    lines += [f"{name}: {value}" for name, value in redact_headers(headers)]
    if body:
        if isinstance(body, bytes):
            text = body.decode("utf-8", "replace")
        elif isinstance(body, str):
            text = body
        else:
            pairs = body.items() if isinstance(body, Mapping) else body
            text = "&".join(f"{k}={v}" for k, v in pairs)
        lines += ["", redact(text)]
    return "\n".join(lines)


def format_response(status: int, reason: str, headers: Iterable[tuple[str, str]], body: bytes) -> str:
    """A response as text for traces, already redacted (login answers carry a ticket and a CSRF token)."""
    lines = [f"{status} {reason}"]
    lines += [f"{name}: {value}" for name, value in redact_headers(headers)]
    if body:
        lines += ["", redact(body.decode("utf-8", "replace"))]
    return "\n".join(lines)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's final message; install it on any handler pvectl uses."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as usual
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
