"""Confirm: the whole configuration by step, every problem (each a way back to its step), and the exact
requests that will be sent -- the ``--dry-run`` plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from pvectl.tui.state import STEP_TITLES, field_title, problems_by_step
from pvectl.tui.widgets.nav import BackButton
from pvectl.tui.widgets.stepper import Stepper
from pvectl.vm.fields import OPTIONAL_STEPS, STEPS

if TYPE_CHECKING:
    from pvectl.tui.app import WizardApp
    from pvectl.tui.services import Review
    from pvectl.vm.config import VmConfig


def summary(config: VmConfig, width: int = 78) -> str:
    """The configuration grouped by step, wrapped between values (never inside one) to ``width``."""
    import textwrap

    from pvectl.vm.summary import step_parts, wrap

    lines: list[str] = []
    for step in (*STEPS, *OPTIONAL_STEPS):
        for i, line in enumerate(wrap(step_parts(config, step), width, indent=9)):
            # one value longer than the line (a disk with limits) wraps under itself, never at column 1
            head = f"{STEP_TITLES[step] if i == 0 else '':8} "
            lines += textwrap.wrap(
                line, width, initial_indent=head, subsequent_indent=" " * 11, break_on_hyphens=False
            ) or [head]
    return "\n".join(lines)


class ConfirmScreen(Screen[None]):
    """Reviews the answers against the server (lenient: first available choices, with notes)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "create", "Create", priority=True),
        Binding("r", "retry", "Retry", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(name="confirm", id="step-confirm")
        self.review: Review | None = None

    @property
    def wizard_app(self) -> WizardApp:
        from pvectl.tui.app import WizardApp

        assert isinstance(self.app, WizardApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Stepper("Confirm")
        with VerticalScroll(id="form"):
            yield Static("", id="state", markup=False)
            yield Button("Retry", id="retry", compact=True)
            yield Static("Problems", id="problems-title", classes="section")
            yield Horizontal(id="problems")
            yield Static("", id="notes-list", markup=False)
            yield Static("Configuration", classes="section")
            yield Static("", id="summary", markup=False)
            yield Static("Requests", classes="section")
            yield Static("", id="plan", markup=False)
        with Horizontal(id="nav"):
            yield BackButton("Back", id="back", compact=True)  # after Create in the Tab order
            label = "Print plan and exit" if self.wizard_app.dry_run else "Create VM"
            yield Button(label, id="create", variant="success", compact=True, disabled=True)
        yield Footer(compact=True)  # 80 columns hold every key of the Disks step

    def on_screen_resume(self) -> None:
        self.call_after_refresh(self.action_retry)  # composed by then, also on the first visit
        # the first Tab stop: arrows and Page keys scroll the plan at once (Tab goes on to Back and Create)
        self.call_after_refresh(self.query_one("#form", VerticalScroll).focus)

    def action_retry(self) -> None:
        self.review = None
        self.query_one("#state", Static).update("Checking the configuration against the server…")
        self.query_one("#retry").display = False
        self.query_one("#create", Button).disabled = True
        self._review(self.wizard_app.wizard.config.model_copy(deep=True))

    @work(thread=True, exit_on_error=False, exclusive=True)
    def _review(self, config: VmConfig) -> None:
        review = self.wizard_app.session.review(config)
        self.app.call_from_thread(self.call_later, self._reviewed, review)

    async def _reviewed(self, review: Review) -> None:
        self.review = review
        wizard = self.wizard_app.wizard
        state = self.query_one("#state", Static)
        self.query_one("#retry").display = review.error is not None
        if review.error is not None:
            state.update(f"✗ could not check the configuration: {review.error}")
        elif review.ready:
            state.update("✓ Ready: these requests will be sent." if not self.wizard_app.dry_run else "✓ Ready.")
        else:
            state.update("✗ Fix the problems below; nothing will be sent until then.")
        problems = [*wizard.unparsed(), *review.problems]
        box = self.query_one("#problems", Horizontal)
        await box.remove_children()
        buttons = [
            Button(f"{STEP_TITLES[step]}: {len(items)} problem{'s' if len(items) > 1 else ''}", name=step, compact=True)
            for step, items in problems_by_step(problems).items()
        ]
        await box.mount_all(buttons)
        lines = [f"✗ {STEP_TITLES.get(p.step, p.step)} › {field_title(p.field)}: {p.message}" for p in problems]
        lines += [f"✗ {m}" for m in review.missing]
        notes = review.resolution.notes if review.resolution else []
        lines += [f"note: {n}" for n in notes + (review.plan.notes if review.plan else [])]
        self.query_one("#notes-list", Static).update("\n".join(lines))
        self.query_one("#notes-list").display = bool(lines)
        box.display = bool(buttons)
        self.query_one("#problems-title").display = bool(problems or review.missing)
        self._show_texts()
        create = self.query_one("#create", Button)
        create.disabled = not (review.ready and not problems)
        label = "Print plan and exit" if self.wizard_app.dry_run else "Create VM"
        create.label = f"{label} (blocked)" if create.disabled else label

    def _show_texts(self) -> None:
        """The configuration and the requests, wrapped to the plan's width (its scrollbar's place is kept)."""
        from pvectl.cli.commands.vm.report import plan_text
        from pvectl.tui.text import wrap_under

        review = self.review
        if review is None:
            return
        config = review.resolution.config if review.resolution else self.wizard_app.wizard.config
        width = self.query_one("#form", VerticalScroll).scrollable_content_region.width
        self.query_one("#summary", Static).update(summary(config, width))
        self.query_one("#plan", Static).update(
            wrap_under(plan_text(review.plan), width) if review.plan else "(no plan yet)"
        )

    def on_resize(self) -> None:
        self.call_after_refresh(self._show_texts)  # once the plan has its new width

    @on(Button.Pressed, "#problems Button")
    def _to_step(self, event: Button.Pressed) -> None:
        if event.button.name:
            self.wizard_app.go(event.button.name, to_problem=True)

    @on(Button.Pressed, "#retry")
    def _retry_pressed(self) -> None:
        self.action_retry()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.wizard_app.prev_step("confirm")

    @on(Button.Pressed, "#create")
    def action_create(self) -> None:
        state = self.query_one("#state", Static)  # the reply goes where the state is said, not over the buttons
        if self.review is None:
            state.update("Still checking the configuration against the server…")
            return
        if self.query_one("#create", Button).disabled:
            state.update("✗ Nothing is sent until the problems below are fixed.")
            self.query_one("#form", VerticalScroll).scroll_home(animate=False)
            return
        self.wizard_app.submit(self.review)
