"""``pvectl backup protect|unprotect|notes|delete VOLID``: one backup's attributes, or removing it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli.commands.backup.common import NodeOpt, VolidArg
from pvectl.cli.errors import reported

if TYPE_CHECKING:
    from pvectl.backup.catalog import Backup
    from pvectl.sdk import ProxmoxClient


def _set(ctx: typer.Context, volid: str, node: str | None, action: str, past: str, **attrs: object) -> None:
    from pvectl.cli.commands.backup.common import find
    from pvectl.sdk._core.errors import PveError

    client = ctx.obj.client()
    backup = find(client, volid, node)
    try:
        # pve-storage API2/Storage/Content.pm updateattributes: notes and protected (backups only)
        client.nodes(backup.node).storage(backup.storage).content(volid).set(**attrs)
    except PveError as exc:
        _settle(ctx, client, volid, backup.node, exc, (action, past), lambda b: b is not None and _has(b, attrs))
        return
    _done(ctx, volid, action, past)


def _done(ctx: typer.Context, volid: str, action: str, message: str, **more: object) -> None:
    """The one line people read; ``-o json|yaml``: an object (outcome, action, volid, message, ...)."""
    from pvectl.cli.output import show

    data = {"outcome": "done", "exit_code": 0, "action": action, "volid": volid, "message": message, **more}
    show(ctx, data, human=message, piped="text")


def _has(backup: Backup, attrs: dict[str, object]) -> bool:
    return all(getattr(backup, key) == value for key, value in attrs.items())


def _settle(
    ctx: typer.Context,
    client: ProxmoxClient,
    volid: str,
    node: str,
    exc: Exception,
    what: tuple[str, str],
    wanted: Callable[[Backup | None], bool],
) -> None:
    """After a failed write: a refusal is raised as it is; an ambiguous answer is judged by what the storage shows
    now (done, or unknown: exit 7, never sent again)."""
    from pvectl.backup.volume import shown
    from pvectl.cli.errors import UNKNOWN, CliError
    from pvectl.guest.answers import ambiguous, describe_loss

    if not ambiguous(exc):
        raise exc
    loss = describe_loss(exc)
    seen = shown(client, volid, node, wanted)
    if seen:
        action, past = what
        _done(ctx, volid, action, f"{past} ({loss}; the storage shows it)", checked=[f"the storage lists {volid}"])
        return
    why = "the storage does not show it (yet)" if seen is False else "the storage could not be read"
    raise CliError(f"{volid}: {loss}; {why}; not sent again", UNKNOWN, [f"check with: pvectl backup show '{volid}'"])


def protect(ctx: typer.Context, volid: VolidArg, node: NodeOpt = None) -> None:
    """Protect a backup: PVE then refuses to delete or prune it."""
    with reported():
        _set(ctx, volid, node, "protect", f"protected {volid}", protected=True)


def unprotect(ctx: typer.Context, volid: VolidArg, node: NodeOpt = None) -> None:
    """Remove a backup's protection (prune and delete may then remove it)."""
    with reported():
        _set(ctx, volid, node, "unprotect", f"unprotected {volid}", protected=False)


def notes(
    ctx: typer.Context,
    volid: VolidArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The notes ('' removes them).", show_default=False)],
    node: NodeOpt = None,
) -> None:
    """Set a backup's notes (shown by backup list)."""
    with reported():
        _set(ctx, volid, node, "notes", f"notes of {volid} {'set' if text else 'removed'}", notes=text)


def delete(
    ctx: typer.Context,
    volid: VolidArg,
    node: NodeOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a backup (PVE refuses a protected one: unprotect it first)."""
    with reported():
        from pvectl.cli.commands.backup.common import find
        from pvectl.cli.errors import FAILURE, CliError
        from pvectl.cli.tasks import wait_for
        from pvectl.cli.writes import confirm
        from pvectl.sdk import TaskFailed
        from pvectl.sdk._core.answers import UnexpectedAnswer
        from pvectl.sdk._core.errors import PveError

        client = ctx.obj.client()
        backup = find(client, volid, node)
        if not yes:
            confirm(f"Delete backup {volid}?", f"refusing to delete {volid}")
        try:
            task = client.nodes(backup.node).storage(backup.storage).content(volid).delete()
        except PveError as exc:
            _settle(ctx, client, volid, backup.node, exc, ("delete", f"deleted {volid}"), lambda b: b is None)
            return
        if task is None:  # no UPID (PVE answers one without ``delay``): the list tells
            _settle(ctx, client, volid, backup.node, UnexpectedAnswer(f"DELETE {volid}", None, "a UPID"),
                    ("delete", f"deleted {volid}"), lambda b: b is None)  # fmt: skip
            return
        try:
            wait_for(client, str(task), verbose=bool(ctx.obj.options.verbose))
        except TaskFailed as exc:
            # PVE refuses a protected backup inside the task (pve-storage Plugin.pm free_image: "cannot remove
            # protected volume ...")
            hint = [f"unprotect it first: pvectl backup unprotect '{volid}'"] if "protected" in exc.exitstatus else []
            raise CliError(f"PVE did not delete {volid}: {exc.exitstatus}", FAILURE, hint) from None
        _done(ctx, volid, "delete", f"deleted {volid}", upid=str(task))
