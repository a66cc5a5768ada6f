"""Reference data with visible states: a spinner while loading, retry/abort on an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pvectl.prompts.ask import choice, loading, say, select
from pvectl.vm.reference import Ref

T = TypeVar("T")


def load(what: str, fetch: Callable[[], Ref[T]]) -> Ref[T]:
    """``fetch()`` until it is ready or empty; on an error the user retries or aborts (KeyboardInterrupt)."""
    while True:
        with loading(what):
            ref = fetch()
        if ref.error is None:
            return ref
        say(f"error: cannot load {what}: {ref.error}")
        action = select(
            f"Loading {what} failed.",
            [choice("Retry", "retry"), choice("Abort (nothing is sent)", "abort")],
            default="retry",
        )
        if action == "abort":
            raise KeyboardInterrupt
