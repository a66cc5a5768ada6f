"""Credentials the client attaches to requests. Secrets never appear in reprs or messages.

Everything here is IO-free: the clients ask a credential what to send (``login_form``), do the request,
and hand the answer back (``accept``). Times are the client's ``Clock.monotonic()`` readings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote

from pvectl.sdk._core.errors import AuthenticationError
from pvectl.sdk._core.redact import forget_secret, register_secret

_TOKEN = re.compile(r"(?P<user>[^\s!@]+@[^\s!@]+)!(?P<id>[A-Za-z][A-Za-z0-9.\-_]*)[=:](?P<secret>\S+)")

# PVE tickets are valid for two hours (PVE::AccessControl, ticket lifetime 7200 s).
TICKET_LIFETIME = 7200.0
# Renew after one hour: early enough that a slow command never meets an expired ticket, late enough that
# consecutive CLI runs sharing a cached ticket rarely pay for a renewal.
RENEW_AFTER = 3600.0
# A ticket this close to its end is treated as expired (clock skew, slow requests).
EXPIRY_MARGIN = 60.0

# A half-authenticated ticket: ``PVE:!tfa!<percent-encoded JSON challenge>:<hextime>::<signature>``.
TFA_PREFIX = "PVE:!tfa!"
# What PVE accepts as ``password`` when answering a challenge: ``<type>:<response>``.
TFA_KINDS = ("totp", "recovery", "yubico", "webauthn", "u2f")


class Auth(Protocol):
    """What the client needs from a credential: headers (and cookies) for one request."""

    uses_token: bool

    def headers(self, method: str) -> dict[str, str]: ...


class TokenAuth:
    """API token auth: ``Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET``; no CSRF token needed."""

    uses_token = True

    def __init__(self, token: str) -> None:
        m = _TOKEN.fullmatch(token.strip())
        if not m:
            raise ValueError("API token must look like USER@REALM!TOKENID=SECRET")
        self.user = m["user"]
        self.token_id = m["id"]
        self._secret = m["secret"]
        register_secret(self._secret)

    @property
    def full_id(self) -> str:
        return f"{self.user}!{self.token_id}"

    def headers(self, method: str) -> dict[str, str]:
        return {"Authorization": f"PVEAPIToken={self.full_id}={self._secret}"}

    def secrets(self) -> tuple[str, ...]:
        return (self._secret,)

    def __repr__(self) -> str:
        return f"TokenAuth({self.full_id!r}, secret='***')"


class SecondFactorRequired(AuthenticationError):
    """The user has TFA enabled and no code (or callback) was given to answer the challenge."""

    def __init__(self, message: str, methods: frozenset[str] = frozenset()) -> None:
        super().__init__(401, message)
        self.methods = methods


@dataclass(frozen=True)
class TfaChallenge:
    """A second-factor challenge: which methods the user has (``totp``, ``recovery``, ``webauthn``, ...)."""

    user: str
    methods: frozenset[str]
    details: Mapping[str, Any] = field(default_factory=dict)
    ticket: str = field(default="", repr=False)


def parse_challenge(user: str, ticket: str) -> TfaChallenge:
    """Read the challenge PVE embeds in a half-authenticated ticket (the GUI does the same)."""
    body = ticket[len(TFA_PREFIX) :].split(":", 1)[0]
    try:
        details = json.loads(unquote(body))
    except ValueError:
        details = {}
    if not isinstance(details, dict):
        details = {}
    # ``recovery`` is "available", "low" or "unavailable"; the others are true or a challenge object
    methods = frozenset(
        k for k, v in details.items() if v and not (k == "recovery" and v == "unavailable") and k != "webauthn-raw"
    )
    return TfaChallenge(user=user, methods=methods, details=details, ticket=ticket)


def tfa_password(answer: str, challenge: TfaChallenge) -> str:
    """The ``password`` value that answers a challenge: ``totp:123456``, ``recovery:KEY``, ...

    An answer already in ``kind:value`` form is sent as is; a bare 6-8 digit code is a TOTP (or Yubico OTP
    when that is the user's only method); anything else is a recovery key.
    """
    answer = answer.strip()
    kind, sep, _ = answer.partition(":")
    if sep and kind in TFA_KINDS:
        return answer
    if answer.isdigit() and 6 <= len(answer) <= 8:
        return f"totp:{answer}" if "totp" in challenge.methods or not challenge.methods else f"yubico:{answer}"
    if "yubico" in challenge.methods and "recovery" not in challenge.methods:
        return f"yubico:{answer}"
    return f"recovery:{answer}"


def split_user(user: str, realm: str | None = None) -> tuple[str, str | None]:
    """``root@pam`` -> (``root``, ``pam``). The realm is the part after the *last* ``@`` (LDAP users
    may be ``john@example.com@ldap``). PVE appends ``@realm`` to ``username`` when ``realm`` is sent, so the
    two are always sent apart, like the GUI does."""
    name, at, found = user.rpartition("@")
    if at and name and found:
        return name, found
    return user, realm


def default_realm(realms: list[dict[str, Any]]) -> str | None:
    """The realm ``GET /access/domains`` marks as default (PVE: ``default: 1``), else ``pam`` when offered."""
    for entry in realms:
        if entry.get("default") in (1, True, "1"):
            return str(entry.get("realm"))
    names = [str(entry.get("realm")) for entry in realms]
    return "pam" if "pam" in names else (names[0] if names else None)


PasswordSource = str | Callable[[], str]
TfaCallback = Callable[[TfaChallenge], str]


class TicketAuth:
    """Password login: ``PVEAuthCookie`` on every request plus ``CSRFPreventionToken`` on writes.

    Args:
        user: ``USER@REALM`` (or a bare user name together with ``realm``).
        password: the password, or a function returning it, called only when a login is needed.
        ticket, csrf, ticket_age: resume a session (from a ticket cache); age in seconds.
        otp: a second-factor answer to use when challenged (TOTP code, ``recovery:KEY``, ...).
        tfa: called with the challenge when the server asks for a second factor; returns the answer.
        on_ticket: called after every login or renewal (for a ticket cache).
    """

    uses_token = False

    def __init__(
        self,
        user: str,
        password: PasswordSource | None = None,
        *,
        realm: str | None = None,
        ticket: str | None = None,
        csrf: str | None = None,
        ticket_age: float = 0.0,
        otp: str | None = None,
        tfa: TfaCallback | None = None,
        on_ticket: Callable[[TicketAuth], None] | None = None,
    ) -> None:
        name, found = split_user(user, realm)
        if not found:
            raise ValueError("user must look like USER@REALM (or give realm=)")
        self.user = f"{name}@{found}"
        self._name, self._realm = name, found
        self._password: str | None = password if isinstance(password, str) else None
        self._password_source = password if callable(password) else None
        self._otp = otp
        self._tfa = tfa
        self.on_ticket = on_ticket
        self._ticket = ticket
        self._csrf = csrf
        self._pending_age: float | None = max(0.0, ticket_age) if ticket else None
        self._issued_at: float | None = None
        self._rejected = False
        for secret in (self._password, ticket, csrf, otp if otp and not otp.isdigit() else None):
            register_secret(secret)

    # -- state -------------------------------------------------------------------------------------------

    @property
    def ticket(self) -> str | None:
        return self._ticket

    @property
    def csrf(self) -> str | None:
        return self._csrf

    def age(self, now: float) -> float | None:
        """Seconds since the ticket was issued, or None without a ticket."""
        if self._ticket is None:
            return None
        if self._issued_at is None:
            self._issued_at = now - (self._pending_age or 0.0)
        return now - self._issued_at

    @property
    def can_log_in(self) -> bool:
        """Whether a fresh login is possible without the server accepting the current ticket."""
        return self._password is not None or self._password_source is not None

    def reject(self, ticket: str | None = None) -> None:
        """The server answered 401 to ``ticket`` (default: the current one): the next request needs a fresh
        login, unless the ticket has been replaced since."""
        if ticket is None or ticket == self._ticket:
            self._rejected = True

    def forget(self) -> None:
        """Drop the ticket (logout)."""
        forget_secret(self._ticket)
        forget_secret(self._csrf)
        self._ticket = self._csrf = None
        self._issued_at = None

    # -- what to send ------------------------------------------------------------------------------------

    def headers(self, method: str) -> dict[str, str]:
        if self._ticket is None:
            return {}
        headers = {"Cookie": f"PVEAuthCookie={self._ticket}"}
        # PVE checks the CSRF token on every non-GET request made with a ticket cookie
        if method != "GET" and self._csrf:
            headers["CSRFPreventionToken"] = self._csrf
        return headers

    def login_form(self, now: float) -> dict[str, str] | None:
        """Form of the ``POST /access/ticket`` due now (login or renewal), or None if the ticket is fresh."""
        age = self.age(now)
        if age is not None and not self._rejected:
            if age < RENEW_AFTER:
                return None
            if age < TICKET_LIFETIME - EXPIRY_MARGIN:
                # PVE renews a ticket when it is posted as the password of the same user
                return self._form(self._ticket or "")
        password = self._resolve_password()
        if password is None:
            why = "was rejected" if self._rejected else "expired" if age is not None else "is missing"
            raise AuthenticationError(401, f"the login ticket for {self.user} {why} and no password is available")
        # new-format=1: half-authenticated TFA tickets in the current format (PVE 7 defaults to the old one)
        return {**self._form(password), "new-format": "1"}

    def answer_form(self, challenge: TfaChallenge) -> dict[str, str]:
        """Form that answers a second-factor challenge, from the given code or the callback."""
        answer = self._otp
        self._otp = None  # a one-time code is good for one answer
        if answer is None and self._tfa is not None:
            answer = self._tfa(challenge)
        if not answer:
            kinds = ", ".join(sorted(challenge.methods)) or "unknown"
            raise SecondFactorRequired(f"{self.user} needs a second factor ({kinds})", challenge.methods)
        password = tfa_password(answer, challenge)
        if not password.startswith(("totp:", "yubico:")):
            # recovery keys are long-lived secrets; one-time codes are not worth masking everywhere
            register_secret(answer)
        form = self._form(password)
        form["tfa-challenge"] = challenge.ticket
        return form

    def accept(self, data: Any, now: float) -> TfaChallenge | None:
        """Take the answer of ``POST /access/ticket``: the session, or the challenge to answer next."""
        ticket = data.get("ticket") if isinstance(data, dict) else None
        if not isinstance(ticket, str) or not ticket:
            raise AuthenticationError(401, f"login failed for {self.user}: no ticket in the answer")
        csrf = data.get("CSRFPreventionToken")
        register_secret(ticket)
        if isinstance(csrf, str):
            register_secret(csrf)
            # the challenge answer does not repeat the CSRF token; the GUI keeps the first factor's
            self._csrf = csrf
        if ticket.startswith(TFA_PREFIX):
            return parse_challenge(self.user, ticket)
        if data.get("NeedTFA"):
            # pre-7.0 servers: old TFA flow through POST /access/tfa, which we do not speak
            raise SecondFactorRequired(f"{self.user} needs a second factor, in a format this server no longer uses")
        if self._ticket and self._ticket != ticket:
            forget_secret(self._ticket)
        self._ticket = ticket
        self._issued_at = now
        self._pending_age = None
        self._rejected = False
        if self.on_ticket is not None:
            self.on_ticket(self)
        return None

    def _form(self, password: str) -> dict[str, str]:
        return {"username": self._name, "realm": self._realm or "", "password": password}

    def _resolve_password(self) -> str | None:
        if self._password is None and self._password_source is not None:
            self._password = self._password_source()
            register_secret(self._password)
        return self._password

    def __repr__(self) -> str:
        parts = [repr(self.user)]
        if self.can_log_in:
            parts.append("password='***'")
        parts.append("ticket='***'" if self._ticket else "no ticket")
        return f"TicketAuth({', '.join(parts)})"
