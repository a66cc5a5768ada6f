"""Reference data with visible states: a spinner while loading, retry/abort on an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pvectl.prompts.ask import choice, loading, say, select
from pvectl.vm.reference import Ref

T = TypeVar("T")


def load(what: str, fetch: Callable[[], Ref[T]], *, optional: bool = False) -> Ref[T]:
    """``fetch()`` until it is ready or empty; on an error the user retries or aborts (KeyboardInterrupt).

    ``optional`` data (pools, tags) can also be skipped: the question then goes on as if there were none.
    """
    while True:
        with loading(what):
            ref = fetch()
        if ref.error is None:
            return ref
        say(f"error: cannot load {what}: {ref.error}")
        options = [choice("Retry", "retry")]
        if optional:
            options.append(choice(f"Skip: go on without {what}", "skip"))
        options.append(choice("Abort (nothing is sent)", "abort"))
        action = select(f"Loading {what} failed.", options, default="retry")
        if action == "skip":
            return Ref(value=None)
        if action == "abort":
            raise KeyboardInterrupt
