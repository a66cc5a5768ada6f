"""Hostile servers and files: the simulator-backed CLI runner of tests/vm."""

from __future__ import annotations

from tests.vm.conftest import cli

__all__ = ["cli"]
