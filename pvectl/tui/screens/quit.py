"""Asks before quitting when answers (or a running submission) would be lost."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitScreen(ModalScreen[bool]):
    """``True`` to quit."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Quit"),
        Binding("n,escape", "answer(False)", "Stay"),
    ]

    def __init__(self, message: str) -> None:
        super().__init__(id="quit")
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            yield Static(self.message, id="quit-message", markup=False)
            with Horizontal(id="quit-buttons"):
                yield Button("Quit (y)", id="yes", variant="error", compact=True)
                yield Button("Stay (n)", id="no", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, quit_: bool) -> None:
        self.dismiss(quit_)


class SubmittingQuitScreen(ModalScreen[str]):
    """Quitting while requests run: ``wait`` for the outcome, or ``detach`` (the server goes on)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w,escape", "answer('wait')", "Wait"),
        Binding("d", "answer('detach')", "Detach"),
    ]

    def __init__(self) -> None:
        super().__init__(id="quit")

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            yield Static(
                "Requests are running: the VM may exist already. Wait for the outcome, or detach: the server "
                "goes on, and what is known so far is printed with the commands that finish the job.",
                id="quit-message",
                markup=False,
            )
            with Horizontal(id="quit-buttons"):
                yield Button("Detach (d)", id="detach", variant="error", compact=True)
                yield Button("Wait (w)", id="wait", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#wait").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "wait")

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
