"""The ``pvectl vm create --tui`` wizard (Textual). Imported only when ``--tui`` is given."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

    from pvectl.cli.context import AppContext
    from pvectl.tui.services import Session
    from pvectl.vm.config import VmConfig


def session_for(app: AppContext) -> Session:
    """A session with the context's client, or one that logs in first when the context has no credentials."""
    from pvectl.cli.connection import resolve
    from pvectl.config.tickets import load_ticket
    from pvectl.tui.services import CliConnector, Session

    options = app.options
    if options.sim:
        return Session(app.client())
    settings = resolve(options)
    if settings.token is not None:
        return Session(app.client())
    user = settings.user or ""
    has_secret = settings.host and "@" in user and (settings.password or options.password_stdin)
    if has_secret or (settings.host and "@" in user and load_ticket(settings.base_url, user)):
        return Session(app.client())
    return Session(connector=CliConnector(options, settings))


def on_sim(line: str) -> str:
    """A remedy printed after a run on the simulator names it (``pvectl --sim vm show 103``): the commands the
    user copies must reach the same (simulated) server."""
    import re

    return re.sub(r"(?<![\w/-])pvectl (?!--sim\b)", "pvectl --sim ", line)


def has_terminal() -> bool:
    """Whether standard input and output are a terminal the wizard can take over."""
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()


def run_wizard(ctx: typer.Context, config: VmConfig, *, dry_run: bool = False) -> None:
    """Run the wizard pre-filled with ``config``; exits with the outcome's code (130 when quit)."""
    import sys

    import typer

    from pvectl.cli.errors import USAGE, CliError

    if not has_terminal():
        raise CliError("--tui needs an interactive terminal; give the fields as flags (see --help) or use -i", USAGE)
    from pvectl.cli.commands.vm.report import outcome_lines, plan_text
    from pvectl.tui.app import WizardApp
    from pvectl.tui.state import Wizard

    app = WizardApp(Wizard(config), session_for(ctx.obj), dry_run=dry_run)
    code = app.run()
    if app.session.client is not None:
        app.session.client.close()
    if app.plan_to_print is not None:
        print(plan_text(app.plan_to_print))
    sim = bool(getattr(ctx.obj.options, "sim", False))
    if app.outcome is not None:
        for line in outcome_lines(app.outcome):
            print(on_sim(line) if sim else line)
    elif app.detached is not None:
        for line in app.detached:
            print(on_sim(line) if sim else line)
    elif app.plan_to_print is None:  # quit before anything was sent: the words -i prints
        from pvectl.vm.leaving import INTERRUPTED

        print(INTERRUPTED, file=sys.stderr)
    if code is None:
        code = 130 if app.outcome is None else 1
    if code:
        raise typer.Exit(code)
