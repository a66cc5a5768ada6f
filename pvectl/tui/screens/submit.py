"""Submit: every request of the plan with its live state, then the outcome -- success, partial success
(with the remedy and a retry of the missing step) or failure (PVE's message and per-field errors)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from pvectl.tui.state import STEP_TITLES, step_of_param
from pvectl.tui.text import plain
from pvectl.tui.widgets.stepper import Stepper

if TYPE_CHECKING:
    from pvectl.tui.app import WizardApp
    from pvectl.tui.services import Review
    from pvectl.vm.outcome import Outcome
    from pvectl.vm.plan import Plan
    from pvectl.vm.submit import Event

MARKS = {"pending": "·", "running": "⟳", "done": "✓", "failed": "✗", "skipped": "–"}


class SubmitScreen(Screen[None]):
    """Runs the reviewed plan through the shared submitter."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", show=False)]

    def __init__(self, review: Review) -> None:
        super().__init__(name="submit", id="step-submit")
        assert review.plan is not None
        self.review = review
        self.plan: Plan = review.plan
        self.states = {r.step: ("pending", "") for r in self.plan.requests}
        self.outcome: Outcome | None = None

    @property
    def wizard_app(self) -> WizardApp:
        from pvectl.tui.app import WizardApp

        assert isinstance(self.app, WizardApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Stepper("Submit")
        with VerticalScroll(id="form"):
            yield Static("Requests", classes="section")
            for i, request in enumerate(self.plan.requests, start=1):
                yield Static(self._line(i, request.step), id=f"req-{request.step}", classes="request", markup=False)
            yield Static("", id="outcome", markup=False)
            yield Horizontal(id="outcome-actions")
        yield Footer(compact=True)  # 80 columns hold every key of the Disks step

    def _line(self, number: int, step: str) -> str:
        request = next(r for r in self.plan.requests if r.step == step)
        state, detail = self.states[step]
        text = f"{MARKS[state]} {number}. {request.method} {request.path}  {state}"
        if state == "running" and step in self.started:
            text += f" {int(time.monotonic() - self.started[step])}s"
        return text + (f": {detail}" if detail and detail != state else "")

    def on_mount(self) -> None:
        self.started: dict[str, float] = {}
        self.set_interval(1, self._tick)
        self._submit()

    def _tick(self) -> None:
        if any(state == "running" for state, _ in self.states.values()):
            self._redraw()

    @work(thread=True, exit_on_error=False)
    def _submit(self) -> None:
        assert self.review.resolution is not None

        def on_event(event: Event) -> None:
            self.app.call_from_thread(self._event, event)

        outcome = self.wizard_app.session.submit(self.review.resolution, on_event)
        self.app.call_from_thread(self._finished, outcome)

    def _event(self, event: Event) -> None:
        if event.step not in self.states:
            return
        if event.state == "running" and self.states[event.step][0] != "running":
            self.started[event.step] = time.monotonic()
        self.states[event.step] = (event.state, " ".join(event.detail.split()))
        self._redraw()

    def _redraw(self) -> None:
        for i, request in enumerate(self.plan.requests, start=1):
            line = self.query_one(f"#req-{request.step}", Static)
            line.update(self._line(i, request.step))
            state = self.states[request.step][0]
            for name in MARKS:
                line.set_class(name == state, f"-{name}")

    def _finished(self, outcome: Outcome) -> None:
        self.outcome = outcome
        if outcome.plan is not None and outcome.plan.vmid != self.plan.vmid:
            self.plan = outcome.plan  # the id was taken meanwhile and the submitter took the next one
        self.wizard_app.outcome = outcome
        if "vmid" in outcome.errors and outcome.kind == "nothing-created":
            self._vmid_taken(outcome)
        for step, (state, _) in self.states.items():
            if state == "pending" and not outcome.ok:
                self.states[step] = ("skipped", "not sent")
        self._redraw()
        self.call_later(self._show_outcome)

    def _vmid_taken(self, outcome: Outcome) -> None:
        """The VM id the user typed was taken meanwhile: General marks it (the rules know it is taken now), and
        the words are the wizard's; the next visit of General shows the next free id."""
        from pvectl.vm.submit import FLAG_REMEDY

        wizard = self.wizard_app.wizard
        wizard.taken_vmids.add(self.plan.vmid)
        wizard.taken_meanwhile = self.plan.vmid
        if self.wizard_app.session.ref is not None:
            self.wizard_app.session.ref.forget("guests")  # Confirm checks against the list with the new VM
        remedy = "choose another VM ID in General, or clear it to take the next free one"
        outcome.message = outcome.message.replace(FLAG_REMEDY, remedy)
        wizard.notes["general.vmid"] = f"VM {self.plan.vmid} was taken meanwhile; {remedy}"  # General adds the id

    async def _show_outcome(self) -> None:
        outcome = self.outcome
        assert outcome is not None
        from pvectl.cli.commands.vm.report import outcome_lines

        box = self.query_one("#outcome", Static)
        title = {
            "created": "✓ Success",
            "partial": "! Partial success",
            "nothing-created": "✗ Failed: nothing was created",
            "task-failed": "✗ Failed: the create task failed",
            "unknown": "? Unknown: the server could not tell what happened",
            "interrupted": "! Interrupted: the task goes on",
        }.get(outcome.kind, outcome.kind)
        lines = [title, *outcome_lines(outcome)]  # the first line already names the VM and its node
        box.update("\n".join(lines))
        for name in ("created", "partial", "nothing-created", "task-failed", "unknown", "interrupted"):
            box.set_class(outcome.kind == name, f"-{name}")
        actions = self.query_one("#outcome-actions", Horizontal)
        await actions.remove_children()
        buttons: list[Button] = []
        if outcome.kind == "partial":
            for step in self.missing_steps():
                buttons.append(Button(f"Retry {step}", id=f"retry-{step}", variant="warning", compact=True))
        if outcome.kind in ("nothing-created", "task-failed"):
            steps = dict.fromkeys(step_of_param(p) for p in outcome.errors)
            for step in steps:
                buttons.append(Button(f"Fix in {STEP_TITLES[step]}", name=step, classes="fix", compact=True))
            buttons.append(Button("Back to Confirm", id="to-confirm", compact=True))
        buttons.append(Button("Close", id="close", variant="primary", compact=True))
        await actions.mount_all(buttons)
        buttons[0].focus()

    def progress_lines(self) -> list[str]:
        """The outcome so far, for a user who detaches: what exists, what runs on, what finishes the job."""
        from pvectl.vm.submit import REMEDIES, WHAT

        plan = self.plan
        lines = [f"detached from the submission of VM {plan.vmid} on {plan.node} (PVE goes on with what was sent)"]
        for i, request in enumerate(plan.requests, start=1):
            lines.append("  " + self._line(i, request.step))
        created = self.states.get("create", ("", ""))[0] == "done"
        rest = [r.step for r in plan.requests if r.step != "create" and self.states[r.step][0] != "done"]
        if not created:
            lines.append(
                f"  the create task may still be running: check with pvectl vm list, or pvectl vm config {plan.vmid}"
            )
        if rest:
            lines.append(f"  missing: {', '.join(WHAT.get(s, s) for s in rest)}")
            lines += [f"  finish with: {REMEDIES[s].format(vmid=plan.vmid)}" for s in rest if s in REMEDIES]
        return lines

    def missing_steps(self) -> list[str]:
        outcome = self.outcome
        if outcome is None or outcome.kind != "partial":
            return []
        return [r.step for r in self.plan.requests if r.step not in outcome.done]

    @on(Button.Pressed, ".fix")
    def _fix(self, event: Button.Pressed) -> None:
        if event.button.name:
            self.wizard_app.go(event.button.name, to_problem=True)

    @on(Button.Pressed, "#to-confirm")
    def _to_confirm(self) -> None:
        self.wizard_app.go("confirm")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        if self.outcome is not None:
            self.wizard_app.finish()

    @on(Button.Pressed, "#outcome-actions Button")
    def _maybe_retry(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("retry-"):
            step = event.button.id.removeprefix("retry-")
            event.button.disabled = True
            self.states[step] = ("running", "retrying")  # (a skipped step is retried like a failed one)
            self._redraw()
            self._retry(step)

    @work(thread=True, exit_on_error=False)
    def _retry(self, step: str) -> None:
        from pvectl.sdk import PveError

        try:
            self.wizard_app.session.finish(step, self.plan)
        except PveError as exc:
            self.app.call_from_thread(self._retried, step, str(exc))
        else:
            self.app.call_from_thread(self._retried, step, None)

    def _retried(self, step: str, error: str | None) -> None:
        from pvectl.vm.outcome import REMEDIES, WHAT

        outcome = self.outcome
        assert outcome is not None
        if error is not None:
            self.states[step] = ("failed", error)
            self._redraw()
            self.query_one(f"#retry-{step}", Button).disabled = False
            self.notify(plain(f"{WHAT[step]} failed again: {error}"), severity="error")
            return
        self.states[step] = ("done", "on retry")
        self._redraw()
        outcome.done.append(step)
        remedy = REMEDIES[step].format(vmid=self.plan.vmid)
        outcome.missing = [m for m in outcome.missing if m != WHAT[step]]
        outcome.remedies = [r for r in outcome.remedies if r != remedy]
        if not outcome.missing:
            outcome.kind = "created"
            outcome.message = f"VM {self.plan.vmid} created on {self.plan.node}"
            outcome.errors = {}
        self.call_later(self._show_outcome)
