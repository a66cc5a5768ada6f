"""One field of the spec as a form row: label, control, the state of its server data, and its problem."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from pvectl.tui.state import fixed_options, text_of
from pvectl.tui.text import plain
from pvectl.tui.widgets.choice import Choice
from pvectl.tui.widgets.entry import Entry
from pvectl.tui.widgets.toggle import Toggle
from pvectl.vm.fields import FieldSpec

SourceState = str  # default, loading, ready, empty, error

# Fields whose unset value is PVE's default rather than "nothing" (``none`` is a real value of both), named as the
# prompts name it; the GUI says "Default" (pve-manager www/manager6/Utils.js kvm_vga_drivers) and "Default (No
# cache)" (form/CacheTypeSelector.js).
BLANK = {"system.vga": "(PVE default)", "cache": "(PVE default: no cache)", "os.virtio_iso": "(no driver CD)"}


class FieldRow(Vertical):
    """A labelled control for one ``FieldSpec``; it holds no rules, it reports what the user entered.

    Args:
        spec: the field.
        value: the value to show first.
        key: what identifies the row to its screen (the spec path, or ``disks[1].size_gib``).
    """

    class Changed(Message):
        """The user changed the value (``raw`` as the control holds it)."""

        def __init__(self, row: FieldRow, raw: Any) -> None:
            super().__init__()
            self.row = row
            self.raw = raw

    class Retry(Message):
        """The user asked to load the field's server data again."""

        def __init__(self, row: FieldRow) -> None:
            super().__init__()
            self.row = row

    def __init__(
        self, spec: FieldSpec, value: Any, *, key: str | None = None, label: str | None = None, text: Any = None
    ) -> None:
        self.key = key or spec.path
        super().__init__(classes="field", id="f-" + self.key.replace(".", "-").replace("[", "-").replace("]", ""))
        self.spec = spec
        self._value = value
        self._text = text  # what the user typed that did not parse (shown instead of the value)
        self._label = label or spec.label
        self.state: SourceState = "default"
        self._shown: dict[str, Any] = {}  # what is on screen, so that unchanged updates cost nothing
        if spec.kind == "choice":
            self.known: set[Any] = set(spec.choices) if spec.source is None else {value}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="line"):
            yield Label(self._label, classes="label", markup=False)
            yield self._control()
        yield Static("", classes="status", markup=False)

    def _control(self) -> Widget:
        spec, value = self.spec, self._value
        if spec.kind == "bool":
            return Toggle(bool(value), tooltip=plain(spec.help))
        if spec.kind == "choice":
            if spec.source is None:
                options = [(plain(text), code) for text, code in fixed_options(spec)]
            else:
                options = [] if value is None else [(str(value), str(value))]
            return Choice(
                options,
                value=Select.NULL if value is None else value,
                allow_blank=value is None or spec.source is not None,
                prompt=BLANK.get(self.key.split(".")[-1] if self.key.startswith("disks[") else self.key, "(none)"),
                compact=True,
                tooltip=plain(spec.help),
            )
        shown = text_of(spec, value) if self._text is None else str(self._text)
        entry = Entry(shown, compact=True, tooltip=plain(spec.help), select_on_focus=False)
        entry.cursor_blink = False  # a steady cursor: easier to find (and snapshots stay deterministic)
        return entry

    def on_mount(self) -> None:
        self.query_one(".status").display = False

    @property
    def control(self) -> Widget:
        return self.query_one(".line").children[1]

    # -- from the user ----------------------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Toggle.Changed)
    def _changed(self, event: Input.Changed | Select.Changed | Toggle.Changed) -> None:
        event.stop()
        raw: Any = event.value
        if raw is Select.NULL:
            raw = None
        self.post_message(self.Changed(self, raw))

    @on(Button.Pressed, ".retry")
    def _retry(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Retry(self))

    # -- from the screen --------------------------------------------------------------------------------

    def show_value(self, value: Any) -> None:
        """Show a value without reporting it as the user's answer."""
        control = self.control
        with control.prevent(Input.Changed, Select.Changed, Toggle.Changed):
            if isinstance(control, Toggle):
                control.value = bool(value)
            elif isinstance(control, Select):
                control.value = Select.NULL if value is None or value not in self.known else value
            elif isinstance(control, Input):
                text = text_of(self.spec, value)
                if control.value != text:
                    control.value = text
                    control.cursor_position = len(text)  # a value shown anew: Ctrl-U then clears all of it

    def set_options(self, options: list[tuple[str, Any]], value: Any) -> None:
        control = self.control
        if isinstance(control, Select):
            with control.prevent(Select.Changed):
                control.set_options([(plain(str(text)), v) for text, v in options])  # ISO names may hold [..]
                self.known = {v for _, v in options}
                control.value = value if value in self.known else Select.NULL

    def set_state(self, state: SourceState, message: str = "") -> None:
        """The state of the server data behind the field: default, loading, ready, empty or error."""
        if (state, message) == self._shown.get("state"):
            return
        self._shown["state"] = (state, message)
        old, self.state = self.state, state
        self.remove_class(f"-{old}")
        self.add_class(f"-{state}")
        line = self.query_one(".line", Horizontal)
        retry = line.query(".retry")
        if state == "error" and not retry:
            line.mount(Button("Retry", classes="retry", compact=True))
        elif state != "error":
            retry.remove()
        self._show_status()

    def set_error(self, message: str | None) -> None:
        if self._shown.get("error") == message:
            return
        self._shown["error"] = message
        self.set_class(bool(message), "-invalid")
        self._show_status()

    def _show_status(self) -> None:
        state = self._shown.get("state", ("default", ""))[1]
        error = self._shown.get("error")
        text = "\n".join(line for line in (state, f"✗ {error}" if error else "") if line)
        status = self.query_one(".status", Static)
        status.update(text)
        status.display = bool(text)

    @property
    def status_text(self) -> str:
        return str(self.query_one(".status", Static).render())

    def set_applies(self, applies: bool) -> None:
        if self._shown.get("applies", True) == applies:
            return
        self._shown["applies"] = applies
        self.control.disabled = not applies
        self.set_class(not applies, "-off")
