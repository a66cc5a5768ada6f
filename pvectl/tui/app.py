"""``pvectl vm create --tui``: the Create VM wizard of the PVE web GUI, in a terminal.

Login (when the context has no credentials), General, OS, System, Disks, CPU, Memory, Network, Confirm, Submit.
The screens edit one shared ``VmConfig`` (``pvectl.tui.state.Wizard``); checks, plan and submission are the
domain's (``pvectl.vm``), the same as for the flags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from pvectl.tui.screens.cloudinit import CloudInitScreen
from pvectl.tui.screens.confirm import ConfirmScreen
from pvectl.tui.screens.cpu import CpuScreen
from pvectl.tui.screens.disks import DisksScreen
from pvectl.tui.screens.general import GeneralScreen
from pvectl.tui.screens.memory import MemoryScreen
from pvectl.tui.screens.network import NetworkScreen
from pvectl.tui.screens.os import OsScreen
from pvectl.tui.screens.quit import QuitScreen, SubmittingQuitScreen
from pvectl.tui.screens.system import SystemScreen
from pvectl.vm.fields import OPTIONAL_STEPS, STEPS

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.tui.screens.base import StepScreen
    from pvectl.tui.services import Review, Session
    from pvectl.tui.state import Wizard
    from pvectl.vm.outcome import Outcome
    from pvectl.vm.plan import Plan

SCREENS: dict[str, type[StepScreen]] = {
    "general": GeneralScreen,
    "os": OsScreen,
    "system": SystemScreen,
    "disks": DisksScreen,
    "cpu": CpuScreen,
    "memory": MemoryScreen,
    "network": NetworkScreen,
    "cloudinit": CloudInitScreen,
}
ORDER = (*STEPS, *OPTIONAL_STEPS, "confirm")

# Exit codes, as pvectl.cli.errors documents them.
OK, INTERRUPTED = 0, 130


class WizardApp(App[int]):
    """The wizard; its return value is the exit code (0 created, 1 failed, 6 partial, 130 quit)."""

    CSS_PATH = "app.tcss"
    TITLE = "pvectl vm create"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit_wizard", "Quit", priority=True),
        Binding("ctrl+q", "quit_wizard", "Quit", priority=True, show=False),
        Binding("q", "quit_wizard", "Quit", show=False),
    ]

    def __init__(self, wizard: Wizard, session: Session, *, dry_run: bool = False) -> None:
        super().__init__()
        self.wizard = wizard
        self.session = session
        self.dry_run = dry_run
        self.outcome: Outcome | None = None
        self.plan_to_print: Plan | None = None
        self.step = "login"
        self.advanced: dict[str, bool] = {}  # step -> the Advanced switch, as the user left it
        self.detached: list[str] | None = None  # what was known when the user detached from a submission
        self.to_problem = False  # the next step shown arrives on its first marked field (see go)

    def on_mount(self) -> None:
        if self.session.client is None:
            from pvectl.tui.screens.login import LoginScreen

            assert self.session.connector is not None
            self.push_screen(LoginScreen(self.session.connector))
        else:
            self.begin()

    def logged_in(self, client: ProxmoxClient) -> None:
        self.session.connect(client)
        self.begin()

    def begin(self) -> None:
        for name, screen in SCREENS.items():
            if not self.is_screen_installed(name):
                self.install_screen(screen(), name)
        self.install_screen(ConfirmScreen(), "confirm")
        self.step = "general"
        if len(self.screen_stack) > 1:
            self.switch_screen("general")
        else:
            self.push_screen("general")

    # -- navigation ------------------------------------------------------------------------------------

    def go(self, step: str, *, to_problem: bool = False) -> None:
        """Show ``step``; ``to_problem`` (a "Fix in General" or a Confirm problem button): it arrives on its first
        marked field instead of its first field."""
        self.step = step
        self.to_problem = to_problem
        self.switch_screen(step)

    def next_step(self, step: str) -> None:
        index = ORDER.index(step)
        if index + 1 < len(ORDER):
            self.go(ORDER[index + 1])

    def prev_step(self, step: str) -> None:
        index = ORDER.index(step)
        if index > 0:
            self.go(ORDER[index - 1])

    def node_changed(self) -> None:
        self.wizard.derived.clear()
        self.wizard.notes.clear()
        self.wizard.cpu = None  # the CPU lists and units range are the node's

    def submit(self, review: Review) -> None:
        if self.dry_run:
            self.plan_to_print = review.plan
            self.exit(OK)
            return
        from pvectl.tui.screens.submit import SubmitScreen

        self.step = "submit"
        self.switch_screen(SubmitScreen(review))

    # -- leaving ---------------------------------------------------------------------------------------

    def exit_code(self) -> int:
        if self.outcome is None:
            return INTERRUPTED
        return self.outcome.exit_code

    def finish(self) -> None:
        self.exit(self.exit_code())

    async def action_quit(self) -> None:
        """Textual's own Quit (the command palette's "Quit"): the same questions as Ctrl-C, never a silent exit."""
        self.action_quit_wizard()

    def action_quit_wizard(self) -> None:
        if any(isinstance(s, (QuitScreen, SubmittingQuitScreen)) for s in self.screen_stack):
            return
        finished = self.outcome is not None and self.step == "submit"
        if self.step == "login" or finished:
            self.exit(self.exit_code())
            return
        if self.session.submitted and self.outcome is None:
            self._quit_while_submitting()
            return
        if self.outcome is not None:
            message = "Quit? The VM exists; your changes since then are lost."
        else:
            message = "Quit? Your answers will be lost; nothing was sent to the server."

        def answered(quit_: bool | None) -> None:
            if quit_:
                self.exit(self.exit_code())

        self.push_screen(QuitScreen(message), answered)

    def _quit_while_submitting(self) -> None:
        from pvectl.tui.screens.submit import SubmitScreen

        def answered(choice: str | None) -> None:
            if choice != "detach" or self.outcome is not None:
                return  # waiting: the outcome shows when the requests end
            screen = next((s for s in self.screen_stack if isinstance(s, SubmitScreen)), None)
            outcome = self.session.detach(screen.plan) if screen else None
            if outcome is not None:
                self.outcome = outcome  # printed on exit, as the flags print it
            else:
                self.detached = screen.progress_lines() if screen else ["detached: the submission goes on"]
            self.exit(INTERRUPTED if outcome is None else outcome.exit_code)

        self.push_screen(SubmittingQuitScreen(), answered)
