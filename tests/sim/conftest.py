"""Simulator fixtures (tests/support/simserver.py): a state dir per test, a clock tests can move, a real HTTPS
server on 127.0.0.1, clients for it."""

from __future__ import annotations

from tests.support.simserver import (
    SimClock,
    cert,
    client,
    clock,
    http,
    mocked,
    password,
    server,
    sim,
    state_dir,
    token,
)

__all__ = ["SimClock", "cert", "client", "clock", "http", "mocked", "password", "server", "sim", "state_dir", "token"]
