"""``pvectl config``: contexts in the config file. Secrets are never printed (``***``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli.errors import USAGE, CliError, handles_errors

if TYPE_CHECKING:
    from pvectl.config.file import Config

app = typer.Typer(
    name="config",
    help="Contexts (server, user, credentials, TLS) in the config file.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def config() -> None:
    """Contexts (server, user, credentials, TLS) in ~/.config/pvectl/config.toml (XDG)."""


def _context_names(incomplete: str) -> list[str]:
    """TAB completion of context names; silent on any problem with the file."""
    from pvectl.config.file import ConfigError, load

    try:
        return sorted(name for name in load().contexts if name.startswith(incomplete))
    except (ConfigError, OSError):
        return []


def _load() -> Config:
    from pvectl.config.file import load

    return load()


def _print(ctx: typer.Context, data: list[dict[str, Any]] | dict[str, Any]) -> None:
    """Through the shared output function: JSON/YAML for scripts; aligned columns (or key value lines) for people."""
    from pvectl.cli.output import show

    show(ctx, data, columns=list(data[0]) if isinstance(data, list) and data else None)


def _auth_kind(ctx: dict[str, Any]) -> str:
    if ctx.get("token-id"):
        return f"token {ctx['token-id']}" + ("" if ctx.get("token-secret") else " (secret from env)")
    if ctx.get("user"):
        return "password" if ctx.get("password") else "password (prompt)"
    return "-"


def _tls_kind(ctx: dict[str, Any]) -> str:
    if ctx.get("fingerprint"):
        return "pinned"
    if ctx.get("ca-file"):
        return "ca-file"
    return "insecure" if ctx.get("insecure") else "system CAs"


@app.command("list")
@handles_errors
def list_(ctx: typer.Context) -> None:
    """List the contexts; the current one is marked (yes in tables, 1 in -o text, true in JSON)."""
    cfg = _load()
    rows = [
        {
            "current": name == cfg.current,
            "name": name,
            "host": c.get("host"),
            "user": c.get("user"),
            "auth": _auth_kind(c),
            "tls": _tls_kind(c),
            "node": c.get("node"),
        }
        for name, c in sorted(cfg.contexts.items())
    ]
    if not rows:
        typer.echo(f"No contexts in {cfg.path}; add one with 'pvectl config add NAME --host HOST'.", err=True)
    _print(ctx, rows)


@app.command("show")
@handles_errors
def show(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(help="Context to show (default: the current one).", autocompletion=_context_names),
    ] = None,
) -> None:
    """Show one context's settings; secrets appear as ***."""
    from pvectl.config.file import masked

    cfg = _load()
    name = name or cfg.current
    if name is None:
        raise CliError(f"no current context in {cfg.path}; name one, or choose with 'pvectl config use NAME'", USAGE)
    _print(ctx, {"name": name, **masked(cfg.context(name))})


@app.command("use")
@handles_errors
def use(name: Annotated[str, typer.Argument(help="Context to make current.", autocompletion=_context_names)]) -> None:
    """Make a context the current one."""
    from pvectl.config.file import save

    cfg = _load()
    cfg.context(name)
    cfg.current = name
    save(cfg)
    typer.echo(f"Current context: {name}", err=True)


def _parse_assignment(text: str) -> tuple[str, Any]:
    from pvectl.config.file import KEYS, SECRET_KEYS

    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep:
        raise CliError(f"expected KEY=VALUE, got '{text}'", USAGE)
    if key not in KEYS:
        raise CliError(f"unknown key '{key}' (known: {', '.join(KEYS)})", USAGE)
    kind = KEYS[key][0]
    if key in SECRET_KEYS and value == "-":
        value = _read_secret(key)
    if kind is int:
        try:
            return key, int(value)
        except ValueError:
            raise CliError(f"{key}: '{value}' is not an integer", USAGE) from None
    if kind is float:
        try:
            return key, float(value)
        except ValueError:
            raise CliError(f"{key}: '{value}' is not a number", USAGE) from None
    if kind is bool:
        lowered = value.strip().lower()
        if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise CliError(f"{key}: '{value}' is not true or false", USAGE)
        return key, lowered in ("1", "true", "yes", "on")
    return key, value


def _read_secret(key: str) -> str:
    if sys.stdin.isatty():
        from pvectl.cli.connection import ask_hidden

        return ask_hidden(key)
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise CliError(f"{key}=-: nothing on standard input", USAGE)
    return value


@app.command("set")
@handles_errors
def set_(
    name: Annotated[str, typer.Argument(help="Context to change (created if missing).", autocompletion=_context_names)],
    assignments: Annotated[
        list[str] | None,
        typer.Argument(help="KEY=VALUE pairs; a secret given as '-' is read from a prompt or stdin."),
    ] = None,
    unset: Annotated[list[str] | None, typer.Option("--unset", help="Remove a key.")] = None,
) -> None:
    """Set keys of a context: host, port, user, realm, token-id, token-secret, password, ca-file, fingerprint,
    insecure, node."""
    from pvectl.config.file import ConfigError, check_value, save

    cfg = _load()
    ctx = cfg.contexts.setdefault(name, {})
    for text in assignments or []:
        key, value = _parse_assignment(text)
        try:
            ctx[key] = check_value(key, value, f"context '{name}'")
        except ConfigError as exc:
            raise CliError(str(exc), USAGE) from None
    for key in unset or []:
        ctx.pop(key, None)
    if not assignments and not unset:
        raise CliError("nothing to set: give KEY=VALUE pairs or --unset KEY", USAGE)
    if cfg.current is None:
        cfg.current = name
    save(cfg)
    typer.echo(f"Context {name} updated.", err=True)


@app.command("delete")
@handles_errors
def delete(name: Annotated[str, typer.Argument(help="Context to delete.", autocompletion=_context_names)]) -> None:
    """Delete a context (and make no context current if it was)."""
    from pvectl.config.file import save

    cfg = _load()
    cfg.context(name)
    del cfg.contexts[name]
    if cfg.current == name:
        cfg.current = None
    save(cfg)
    typer.echo(f"Context {name} deleted.", err=True)


@app.command("add")
@handles_errors
def add(
    name: Annotated[str, typer.Argument(help="Name of the new context.")],
    host: Annotated[str, typer.Option("--host", help="PVE server name or address (HOST or HOST:PORT).")],
    user: Annotated[str | None, typer.Option("--user", help="USER@REALM.")] = None,
    token_id: Annotated[str | None, typer.Option("--token-id", help="API token id (secret asked for).")] = None,
    ca_file: Annotated[str | None, typer.Option("--ca-file", help="CA bundle that signed the certificate.")] = None,
    fingerprint: Annotated[str | None, typer.Option("--fingerprint", help="Pin this SHA-256 (AA:BB:...).")] = None,
    fetch: Annotated[
        bool | None,
        typer.Option(
            "--fetch-fingerprint/--no-fetch-fingerprint",
            help="Fetch the server's certificate fingerprint to pin it (asked on a terminal).",
        ),
    ] = None,
    node: Annotated[str | None, typer.Option("--node", help="Default node.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Accept the fetched fingerprint without asking.")] = False,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the token secret (or password) from standard input.")
    ] = False,
    use_it: Annotated[bool, typer.Option("--use", help="Make it the current context.")] = False,
) -> None:
    """Add a context. Offers to pin the server's certificate (trust on first use: compare the fingerprint
    with the one the PVE GUI shows under System > Certificates)."""
    from pvectl.config.file import ConfigError, check_value, save
    from pvectl.sdk._core.tls import fetch_fingerprint

    cfg = _load()
    if name in cfg.contexts:
        raise CliError(f"context '{name}' exists; change it with 'pvectl config set {name} KEY=VALUE'", USAGE)
    host_name, port = _split_host(host)
    ctx: dict[str, Any] = {"host": host_name}
    if port is not None:
        ctx["port"] = port
    for key, value in (("user", user), ("token-id", token_id), ("ca-file", ca_file), ("node", node)):
        if value is not None:
            ctx[key] = value
    interactive = sys.stdin.isatty()
    if token_id is not None and user is None:
        raise CliError("--token-id needs --user (the token's owner, USER@REALM)", USAGE)
    if secret_stdin or (token_id is not None and interactive):
        key = "token-secret" if token_id is not None else "password"
        secret = _read_secret(key) if secret_stdin or interactive else ""
        if secret:
            ctx[key] = secret
    from pvectl.cli.connection import ask_confirm

    if fingerprint is None and ca_file is None:
        wanted = (
            fetch
            if fetch is not None
            else (
                interactive
                and ask_confirm(
                    f"Fetch the certificate fingerprint of {host_name}:{port or 8006} to pin it?", default=True
                )
            )
        )
        if wanted:
            found = fetch_fingerprint(host_name, port or 8006)
            typer.echo(f"Certificate SHA-256 fingerprint of {host_name}:{port or 8006}:\n  {found}", err=True)
            if yes or (interactive and ask_confirm("Does it match the one the PVE GUI shows?")):
                fingerprint = found
            else:
                raise CliError("fingerprint not confirmed; nothing saved (pass --yes to accept it)", USAGE)
    if fingerprint is not None:
        ctx["fingerprint"] = fingerprint
    try:
        for key, value in ctx.items():
            check_value(key, value, f"context '{name}'")
    except ConfigError as exc:
        raise CliError(str(exc), USAGE) from None
    cfg.contexts[name] = ctx
    if use_it or cfg.current is None:
        cfg.current = name
    save(cfg)
    typer.echo(f"Context {name} added to {cfg.path}" + (" (current)." if cfg.current == name else "."), err=True)


def _split_host(text: str) -> tuple[str, int | None]:
    """``pve1`` / ``pve1:8443`` / ``[fe80::1]:8006`` -> host and optional port."""
    text = text.strip()
    if "://" in text:
        text = text.split("://", 1)[1].split("/", 1)[0]
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    if port and not port.isdigit():
        raise CliError(f"--host: bad port in '{text}'", USAGE)
    if not host:
        raise CliError("--host: empty host", USAGE)
    return host, int(port) if port else None
