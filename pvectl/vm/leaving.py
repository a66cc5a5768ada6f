"""The words every front-end prints when the user leaves before anything was sent (exit 130 each): the same in
``-i`` and ``--tui``. Leaving is the user's choice, so these lines carry no ``error:`` prefix."""

from __future__ import annotations

INTERRUPTED = "interrupted: nothing was sent"  # Ctrl-C (and "Quit" in the TUI, by any key or the palette)
DISCARDED = "discarded: nothing was sent"  # the review's "Discard", or "yes" to "Discard your answers?"
END_OF_INPUT = "end of input: nothing was sent"  # Ctrl-D or a closed input (prompts only)
