"""What every step screen shares: a form built from the field spec, server data with explicit states, and
Back/Next that only lets a valid step through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from pvectl.tui.state import STEP_TITLES, Wizard, field_title, fields_of
from pvectl.tui.widgets.field import FieldRow
from pvectl.tui.widgets.nav import BackButton
from pvectl.tui.widgets.stepper import Stepper
from pvectl.tui.widgets.toggle import Toggle
from pvectl.vm.config import VmConfig
from pvectl.vm.defaults import get_value
from pvectl.vm.fields import STEPS, FieldSpec
from pvectl.vm.reference import Ref
from pvectl.vm.rules import Problem

if TYPE_CHECKING:
    from pvectl.tui.app import WizardApp
    from pvectl.tui.services import Session

# What each reference data source is called on the screen, for the loading/empty/error lines.
SOURCE_NAMES = {
    "nodes": "nodes",
    "pools": "resource pools",
    "tags": "tags",
    "iso_storages": "ISO storages",
    "isos": "ISO images",
    "image_storages": "disk storages",
    "bridges": "bridges",
    "cpu": "CPU models",
    "all_isos": "ISO images",
}


def options_of(source: str, value: Any) -> list[tuple[str, str]]:
    """The choices a loaded source offers, as (label, value)."""
    if source == "cpu":
        return [(m.label, m.name) for m in value.models]
    items = list(value or [])
    if source == "nodes":
        return [(f"{n.node} ({n.status})", n.node) for n in items]
    if source == "image_storages":
        return [(f"{s.storage} ({s.type})", s.storage) for s in items]
    if source == "isos":
        return [(i.filename, i.volid) for i in items]
    if source == "all_isos":
        return [(i.volid, i.volid) for i in items]
    return [(str(v), str(v)) for v in items]


class StepScreen(Screen[None]):
    """A wizard step: one row per field of ``STEP`` in the spec."""

    STEP: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next", "Next"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__(name=self.STEP, id=f"step-{self.STEP}")
        self.loaded_args: dict[str, tuple[str, ...]] = {}
        self.flash: str | None = None  # a reply to a key (Enter with a problem), above Back/Next until the next answer

    @property
    def wizard_app(self) -> WizardApp:
        from pvectl.tui.app import WizardApp

        assert isinstance(self.app, WizardApp)
        return self.app

    @property
    def wizard(self) -> Wizard:
        return self.wizard_app.wizard

    @property
    def session(self) -> Session:
        return self.wizard_app.session

    # -- layout ----------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Stepper(STEP_TITLES[self.STEP])
        with VerticalScroll(id="form") as form:
            form.can_focus = False  # Tab goes from field to field; the form scrolls to the focused one
            yield from self.compose_form()
        yield Static("", id="notes", markup=False)
        yield Static("", id="help", markup=False)
        with Horizontal(id="nav"):
            yield BackButton("Back", id="back", compact=True, disabled=self.first)  # after Next in Tab order
            yield Button("Next", id="next", variant="primary", compact=True)
        yield Footer(compact=True)  # 80 columns hold every key of the Disks step

    @property
    def first(self) -> bool:
        """Whether this is the first step (nothing to go back to)."""
        return STEPS[0] == self.STEP

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and self.first:
            return None  # shown greyed out in the footer
        return True

    # -- the Advanced switch: advanced fields hidden by default, like the GUI's; hidden values are still sent --

    def advanced_specs(self) -> list[FieldSpec]:
        return [f for f in fields_of(self.STEP) if f.advanced]

    def advanced_on(self) -> bool:
        """On when the user turned it on, or when an advanced value differs from the built-in default."""
        remembered = self.wizard_app.advanced.get(self.STEP)
        if remembered is not None:
            return remembered
        fresh = VmConfig()
        return any(get_value(self.wizard.config, f.path) != get_value(fresh, f.path) for f in self.advanced_specs())

    def show_advanced(self, on: bool) -> None:
        self.wizard_app.advanced[self.STEP] = on
        for row in self.rows():
            if row.spec.advanced:
                row.display = on

    def on_mount(self) -> None:
        self.show_advanced(self.advanced_on())

    @on(Toggle.Changed, ".advanced-line Toggle")
    def _advanced(self, event: Toggle.Changed) -> None:
        event.stop()
        self.show_advanced(event.value)
        self.call_after_refresh(event.control.scroll_visible, animate=False)  # the switch stays in view

    def advanced_switch(self) -> Horizontal:
        return Horizontal(
            Label("Advanced", classes="label", markup=False),
            Toggle(self.advanced_on(), tooltip="Show the advanced options (sent either way)"),
            classes="advanced-line",
        )

    def compose_form(self) -> ComposeResult:
        """The basic fields, the Advanced switch, then the advanced fields (as the GUI lays them out)."""
        specs = [self.shown_spec(spec) for spec in fields_of(self.STEP)]
        for spec in specs:
            if not spec.advanced:
                yield FieldRow(spec, self.wizard.get(spec.path))
        if self.advanced_specs():
            yield self.advanced_switch()
        for spec in specs:
            if spec.advanced:
                yield FieldRow(spec, self.wizard.get(spec.path))

    def shown_spec(self, spec: FieldSpec) -> FieldSpec:
        """Hook: the control a field gets here (a text field may be offered as a list of what the server has)."""
        return spec

    def rows(self) -> list[FieldRow]:
        return list(self.query(FieldRow))

    def row(self, key: str) -> FieldRow:
        return next(r for r in self.rows() if r.key == key)

    # -- lifecycle -------------------------------------------------------------------------------------

    def on_screen_resume(self) -> None:
        # Textual calls the handler of every class in the MRO: subclasses override resume(), never this
        self.resume()

    def resume(self) -> None:
        """Show what the configuration holds, load what is missing, check the step."""
        for row in self.rows():
            if row.key not in self.wizard.invalid:  # text that does not parse stays, with its error
                row.show_value(self.wizard.get(row.key))
        self.load_all()
        self.refresh_errors()
        self.call_after_refresh(self.focus_first)

    def focus_first(self) -> None:
        """Arriving at a step (also again): its first field has the focus, never Back; when a problem sent the user
        here ("Fix in General", a Confirm problem button), its first marked field."""
        to_problem, self.wizard_app.to_problem = self.wizard_app.to_problem, False
        if to_problem and any(r.has_class("-invalid") for r in self.rows()):
            self.focus_problem()  # as Enter with a problem: shown (Advanced on if need be), focused and named
            return
        usable = [r for r in self.rows() if r.display and not r.control.disabled and r.control.focusable]
        if usable:
            usable[0].control.focus(scroll_visible=False)
            self.query_one("#form", VerticalScroll).scroll_home(animate=False)

    def load_all(self, force: bool = False) -> None:
        for row in self.rows():
            if row.spec.source is not None:
                self.load(row, force=force)

    def source_args(self, source: str) -> tuple[str, ...] | None:
        """Arguments of a ReferenceData lookup; None when it cannot be asked yet (no node chosen)."""
        if source in ("nodes", "pools", "tags"):
            return ()
        node = self.wizard.config.general.node
        if node is None:
            return None
        if source == "isos":
            return (node, self.wizard.config.os.iso_storage)
        return (node,)

    def load(self, row: FieldRow, *, force: bool = False) -> None:
        source = row.spec.source
        assert source is not None
        args = self.source_args(source)
        if args is None:
            row.set_state("default", f"{SOURCE_NAMES[source]}: choose a node first")
            return
        if not force and self.loaded_args.get(row.key) == args and row.state in ("ready", "empty"):
            return
        self.loaded_args[row.key] = args
        row.set_state("loading", f"loading {SOURCE_NAMES[source]}…")
        self._fetch(row.key, source, args)

    @work(thread=True, exit_on_error=False, group="reference")
    def _fetch(self, key: str, source: str, args: tuple[str, ...]) -> None:
        ref = self.session.load(source, *args)
        self.app.call_from_thread(self._fetched, key, source, args, ref)

    def _fetched(self, key: str, source: str, args: tuple[str, ...], ref: Ref[Any]) -> None:
        if self.loaded_args.get(key) != args or not self.is_mounted:
            return  # an answer to an older question (the node changed meanwhile)
        row = self.row(key)
        what = SOURCE_NAMES[source]
        if ref.state == "error":
            row.set_state("error", f"could not load {what}: {ref.error}")
        elif ref.state == "empty":
            row.set_options([], None)
            row.set_state("empty", self.empty_message(source, args))
        else:
            options = options_of(source, ref.value)
            note = self.wizard.adopt(row.key, row.spec, [v for _, v in options]) if row.spec.kind == "choice" else None
            row.set_options(options, self.wizard.get(row.key))
            row.set_state("ready", note or self.ready_message(source, ref.value))
        self.loaded(row, source, ref)
        self.refresh_errors()

    def empty_message(self, source: str, args: tuple[str, ...]) -> str:
        where = f" on {args[-1]}" if args else ""
        return f"no {SOURCE_NAMES[source]}{where}"

    def ready_message(self, source: str, value: Any) -> str:
        return ""

    def loaded(self, row: FieldRow, source: str, ref: Ref[Any]) -> None:
        """Hook: server data for ``row`` arrived."""

    # -- answers ---------------------------------------------------------------------------------------

    @on(FieldRow.Changed)
    def _answered(self, event: FieldRow.Changed) -> None:
        self.flash = None
        self.answer(event.row, event.raw)
        self.changed(event.row)
        self.refresh_errors()

    def answer(self, row: FieldRow, raw: Any) -> None:
        self.wizard.answer(row.spec, raw)

    def changed(self, row: FieldRow) -> None:
        """Hook: the user changed ``row`` (reload what depends on it)."""
        if row.key == "general.node":
            self.wizard_app.node_changed()

    @on(FieldRow.Retry)
    def _retry(self, event: FieldRow.Retry) -> None:
        self.load(event.row, force=True)

    def refresh_errors(self) -> None:
        errors = self.wizard.errors(self.STEP)
        shown: set[str] = set()
        for row in self.rows():
            row.set_applies(self.wizard.applies(row.key))
            message = errors.get(row.key)
            row.set_error(None if row.state == "loading" else message)  # judged once its choices are known
            if message:
                shown.add(row.key)
        rest = [f"✗ {m}" for k, m in errors.items() if k not in shown]
        notes = [f"note: {n}" for k, n in self.wizard.notes.items() if Problem(k, n).step == self.STEP]
        lines = [*([self.flash] if self.flash else []), *rest, *notes]
        block = self.query_one("#notes", Static)
        block.update("\n".join(lines))
        block.display = bool(lines)
        self.query_one("#next", Button).disabled = bool(errors)

    # -- navigation ------------------------------------------------------------------------------------

    def on_descendant_focus(self) -> None:
        focused = self.focused
        row = next((a for a in (focused.ancestors if focused else []) if isinstance(a, FieldRow)), None)
        for other in self.rows():
            other.set_class(other is row, "-focused")  # the focused field's label is reversed (app.tcss)
        self.query_one("#help", Static).update(row.spec.help if row else "")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        if self.query_one("#next", Button).disabled:
            if any(r.state == "loading" for r in self.rows()):
                self.say("Still loading from the server…")
                return
            self.focus_problem()
            return
        self.wizard_app.next_step(self.STEP)

    def focus_problem(self) -> None:
        """Enter with a problem: focus the first marked field (showing the advanced ones if it is one of them),
        and say which it is; a problem no field shows is named in the notes above Back/Next."""
        marked = next((r for r in self.rows() if r.has_class("-invalid")), None)
        if marked is None:
            self.say("✗ Fix the problems noted here first.")
            return
        if marked.spec.advanced and not marked.display:
            self.show_advanced(True)
            for switch in self.query(".advanced-line Toggle"):
                with switch.prevent(Toggle.Changed):
                    switch.value = True  # type: ignore[attr-defined]
        marked.control.focus(scroll_visible=False)
        self.call_after_refresh(marked.scroll_visible, animate=False)
        self.say(f"✗ Fix the marked field first: {field_title(marked.key)}.")

    def say(self, text: str) -> None:
        """A reply to a key, in the notes line above Back/Next (a toast would cover them)."""
        self.flash = text
        self.refresh_errors()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.wizard_app.prev_step(self.STEP)
