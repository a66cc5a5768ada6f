"""Hostile servers and files: the simulator-backed CLI runner (``cli``) comes from tests/support's plugin."""

from __future__ import annotations
