"""Option sets defined once: selection, bulk, waiting. A decorator adds a set's flags to a command's signature
(Typer reads the signature) and hands the command one object instead of seven parameters.

    @options.selection()
    @options.bulk()
    @options.waiting()
    def stop(ctx: typer.Context, selection: Selection, bulk: Bulk, waiting: Waiting) -> None: ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from pvectl.cli import completers

if TYPE_CHECKING:
    from pvectl.vm.selector import Selector

DEFAULT_PARALLEL = 4

# Single flags shared by commands of several nouns (vm, node, apply).
NoWait = Annotated[bool, typer.Option("--no-wait", help="Print the task id instead of waiting.")]
Timeout = Annotated[
    str | None,
    typer.Option(
        "--timeout",
        metavar="DURATION",
        help="How long to wait for the task (90s, 10m; default 10m). The task goes on after it (exit 7).",
        show_default=False,
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="List the matched VMs and the requests; send nothing.")]


def wait_seconds(ctx: typer.Context, timeout: str | None) -> float:
    """``--timeout`` in seconds (default 10m), checked with ``-o`` before anything is sent."""
    return Waiting(False, timeout).seconds(ctx)


@dataclass(frozen=True)
class Selection:
    """What the selector flags said; ``selector()`` checks it (a usage error names the flag)."""

    keys: list[str] | None
    selectors: list[str] | None
    pool: str | None
    node: str | None
    name: str | None
    status: str | None
    all: bool

    def selector(self) -> Selector:
        from pvectl.cli.errors import USAGE, CliError
        from pvectl.vm.selector import Selector, SelectorError

        try:
            return Selector.build(
                self.keys or [],
                selectors=self.selectors or [],
                pool=self.pool,
                node=self.node,
                name=self.name,
                status=self.status,
                all=self.all,
            )
        except SelectorError as exc:
            raise CliError(str(exc), USAGE) from None


@dataclass(frozen=True)
class Bulk:
    yes: bool
    dry_run: bool
    parallel: int

    def check(self) -> None:
        from pvectl.cli.errors import USAGE, CliError

        if self.parallel < 1:
            raise CliError("--parallel: must be at least 1", USAGE)


@dataclass(frozen=True)
class Waiting:
    no_wait: bool
    timeout: str | None

    def seconds(self, ctx: typer.Context) -> float:
        """``--timeout`` in seconds (default 10m), checked with ``-o`` before anything is sent."""
        from pvectl.cli.output import resolve
        from pvectl.cli.runner import output_format
        from pvectl.cli.tasks import TASK_TIMEOUT

        resolve(output_format(ctx))
        if self.timeout is None:
            return TASK_TIMEOUT
        from pvectl.cli.duration import parse_duration

        return parse_duration(self.timeout, "--timeout")


def _flags(noun: str) -> dict[str, tuple[Any, Any]]:
    return {
        "keys": (
            Annotated[
                list[str] | None,
                typer.Argument(
                    help=f"{noun} ids or names (found across the cluster); or use the selector flags.",
                    show_default=False,
                    autocompletion=completers.ct if noun == "CT" else completers.vm,
                ),
            ],
            None,
        ),
        "selectors": (
            Annotated[
                list[str] | None,
                typer.Option(
                    "-l",
                    "--selector",
                    metavar="KEY=VAL,KEY!=VAL",
                    help=f"Only {noun}s matching every term; keys tag, pool, node, name (glob), status "
                    "(tag=web,tag!=lab).",
                    show_default=False,
                ),
            ],
            None,
        ),
        "pool": (
            Annotated[
                str | None,
                typer.Option(
                    "--pool", help=f"Only {noun}s in this pool.", show_default=False, autocompletion=completers.pool
                ),
            ],
            None,
        ),
        "node": (
            Annotated[
                str | None,
                typer.Option(
                    "--node", help=f"Only {noun}s on this node.", show_default=False, autocompletion=completers.node
                ),
            ],
            None,
        ),
        "name": (
            Annotated[
                str | None,
                typer.Option(
                    "--name", metavar="GLOB", help=f"Only {noun}s named like this ('web-*').", show_default=False
                ),
            ],
            None,
        ),
        "status": (
            Annotated[
                str | None,
                typer.Option("--status", help=f"Only {noun}s in this state (running, stopped).", show_default=False),
            ],
            None,
        ),
        "all": (
            Annotated[
                bool, typer.Option("--all", help=f"Every {noun} of the cluster (needed when nothing else selects).")
            ],
            False,
        ),
    }


def _bulk_flags(noun: str) -> dict[str, tuple[Any, Any]]:
    return {
        "yes": (Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")], False),
        "dry_run": (
            Annotated[
                bool, typer.Option("--dry-run", help=f"List the matched {noun}s and the requests; send nothing.")
            ],
            False,
        ),
        "parallel": (
            Annotated[
                int,
                typer.Option(
                    "--parallel", metavar="N", help=f"{noun}s acted on at the same time (one shared connection pool)."
                ),
            ],
            DEFAULT_PARALLEL,
        ),
    }


def _waiting_flags(noun: str) -> dict[str, tuple[Any, Any]]:
    del noun
    return {
        "no_wait": (Annotated[bool, typer.Option("--no-wait", help="Print the task id instead of waiting.")], False),
        "timeout": (
            Annotated[
                str | None,
                typer.Option(
                    "--timeout",
                    metavar="DURATION",
                    help="How long to wait for the task (90s, 10m; default 10m). The task goes on after it (exit 7).",
                    show_default=False,
                ),
            ],
            None,
        ),
    }


Decorator = Callable[[Callable[..., None]], Callable[..., None]]


class OptionSet(Protocol):
    def __call__(self, noun: str = "VM") -> Decorator: ...


def _option_set(param: str, flags: Callable[[str], dict[str, tuple[Any, Any]]], build: Callable[..., Any]) -> OptionSet:
    def factory(noun: str = "VM") -> Decorator:
        table = flags(noun)
        # prefixed: never clashes with a command's own names (the argument keeps the name its usage line shows)
        names = {("vms" if key == "keys" else f"{param}_{key}"): key for key in table}

        def decorate(func: Callable[..., None]) -> Callable[..., None]:
            sig = inspect.signature(func, eval_str=True)

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> None:
                picked = {key: kwargs.pop(full) for full, key in names.items()}
                kwargs[param] = build(**picked)
                func(*args, **kwargs)

            kept = [p for p in sig.parameters.values() if p.name != param]
            added = [
                inspect.Parameter(full, inspect.Parameter.KEYWORD_ONLY, default=table[key][1], annotation=table[key][0])
                for full, key in names.items()
            ]
            # ctx, then this set (the ids or names argument first), then the sets added before, then the command's own
            keyword = inspect.Parameter.KEYWORD_ONLY
            ordered = kept[:1] + added + [p.replace(kind=keyword) for p in kept[1:]]
            wrapper.__signature__ = sig.replace(parameters=ordered)  # type: ignore[attr-defined]
            return wrapper

        return decorate

    return factory


@dataclass(frozen=True)
class Targets:
    """The guests (ids or names, or the selector flags) and, as the last argument, the snapshot name."""

    selection: Selection
    name: str


def _target_flags(noun: str) -> dict[str, tuple[Any, Any]]:
    table = _flags(noun)
    argument = typer.Argument(
        metavar=f"[{noun}...] NAME",
        help=f"{noun} ids or names (or the selector flags), then the snapshot name.",
        show_default=False,
    )
    table["keys"] = (Annotated[list[str], argument], inspect.Parameter.empty)  # required: NAME at least
    return table


def _targets(keys: list[str], **flags: Any) -> Targets:
    return Targets(Selection(keys[:-1], **flags), keys[-1])


selection = _option_set("selection", _flags, Selection)
targets = _option_set("targets", _target_flags, _targets)  # snapshot verbs: [VM...] NAME and the selector flags
bulk = _option_set("bulk", _bulk_flags, Bulk)
waiting = _option_set("waiting", _waiting_flags, Waiting)
