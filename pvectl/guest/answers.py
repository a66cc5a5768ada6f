"""How to read the answer to a write: sent and refused, never sent, or *ambiguous* (it may have happened).

A write is ambiguous when it may have reached the server: the connection broke after the request went out,
the read timed out, a proxy answered 502/503/504, Ctrl-C arrived while it was in flight, or the server
answered 2xx with something we cannot read (a malformed body, ``{"data": null}`` where PVE sends a UPID).
It is *not sent* when the connection could not be opened (the request never left) and *refused* when PVE
answered with an error of its own (PVE's API handlers ``die``: pveproxy turns that into a 4xx/500 answer,
pve-http-server ``PVE::APIServer::AnyEvent``), before any worker task was forked.
"""

from __future__ import annotations

from pvectl.sdk._core.answers import UnexpectedAnswer
from pvectl.sdk._core.errors import ApiError, TLSError, TransportError

# 502/503/504 come from a proxy in front of pveproxy: the request may have been handled behind it.
AMBIGUOUS_STATUSES = frozenset({502, 503, 504})


def not_sent(exc: BaseException) -> bool:
    """The request provably never reached the server (no connection, no TLS session)."""
    import httpx

    if isinstance(exc, TLSError):
        return True
    if not isinstance(exc, TransportError):
        return False
    cause = exc.__cause__
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def ambiguous(exc: BaseException) -> bool:
    """The write may or may not have been carried out."""
    if isinstance(exc, (KeyboardInterrupt, UnexpectedAnswer)):
        return True
    if isinstance(exc, TransportError):
        return not not_sent(exc)
    # a 2xx whose body is not PVE's JSON envelope (a captive proxy's HTML, a truncated body): the server answered
    # success, so the write may well have happened
    return isinstance(exc, ApiError) and (exc.status in AMBIGUOUS_STATUSES or 200 <= exc.status < 300)


def describe_loss(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted while the request was in flight"
    if isinstance(exc, ApiError):
        return f"the answer was {exc.status} {exc.message}"
    if isinstance(exc, UnexpectedAnswer):
        return f"the answer could not be read ({exc})"
    return f"the answer was lost ({exc})"
