"""The few prompt primitives the steps use: real questionary questions with Esc = Ctrl-C, plus plain lines.

Every question goes through :func:`ask`, which raises KeyboardInterrupt on Ctrl-C and Esc (the flow turns it
into "interrupted, nothing sent"). Other output (notes, empty lists, errors, the summary) is plain text on
stderr/stdout so it stays readable in a scrollback and in logs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import questionary
from prompt_toolkit.application.current import get_app_session
from prompt_toolkit.input import PipeInput
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.keys import Keys

Validator = Callable[[str], bool | str]

# questionary maps a Choice value of None to its title, so "no value" travels as this marker
NONE = "\x00none"


class Escaped(KeyboardInterrupt):
    """Esc at a question: the flow asks before discarding the answers (Ctrl-C stops at once)."""


def has_terminal() -> bool:
    """Whether questions can be asked: a terminal on stdin/stdout, or an app session given its own input."""
    if isinstance(getattr(get_app_session(), "_input", None), PipeInput):  # embedding, tests
        return True
    return sys.stdin.isatty() and sys.stdout.isatty()


def _escape_aborts(question: questionary.Question) -> questionary.Question:
    bindings = KeyBindings()

    @bindings.add(Keys.Escape)  # not eager: Alt+key (Esc, key) keeps its meaning in text answers
    def _abort(event: KeyPressEvent) -> None:
        event.app.exit(exception=Escaped, style="class:aborting")

    app = question.application
    app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), bindings])
    return question


def ask(question: questionary.Question) -> Any:
    """The answer; KeyboardInterrupt on Ctrl-C, Escaped on Esc (questionary's own ``ask`` would swallow both)."""
    answer = _escape_aborts(question).unsafe_ask()
    if answer is None:
        raise KeyboardInterrupt
    return answer


def say(line: str) -> None:
    """A line for the person at the terminal (stderr: stdout carries the plan and the outcome)."""
    print(line, file=sys.stderr, flush=True)


def text(label: str, default: str = "", validate: Validator | None = None, instruction: str | None = None) -> str:
    question = questionary.text(label, default=default, validate=validate, instruction=instruction)
    return str(ask(question))


def secret(label: str) -> str:
    return str(ask(questionary.password(label)))


def confirm(label: str, default: bool) -> bool:
    return bool(ask(questionary.confirm(label, default=default)))


def select(label: str, choices: Sequence[questionary.Choice], default: str | None = None) -> str:
    """One of ``choices`` (values are strings); typing filters the list, Enter takes the highlighted one."""
    values = [c.value for c in choices if not c.disabled]
    question = questionary.select(
        label,
        choices=list(choices),
        default=default if default in values else (values[0] if values else None),
        use_search_filter=True,
        use_jk_keys=False,
    )
    return str(ask(question))


def checkbox(label: str, choices: Sequence[questionary.Choice]) -> list[str]:
    return [str(v) for v in ask(questionary.checkbox(label, choices=list(choices)))]


def choice(title: str, value: str, disabled: str | None = None, checked: bool = False) -> questionary.Choice:
    return questionary.Choice(title, value=value, disabled=disabled, checked=checked)


@contextmanager
def loading(what: str) -> Iterator[None]:
    """A spinner on a terminal while ``what`` loads; one plain line elsewhere."""
    if sys.stderr.isatty():
        from rich.console import Console

        with Console(stderr=True).status(f"Loading {what}...", spinner="dots"):
            yield
    else:
        say(f"Loading {what}...")
        yield
