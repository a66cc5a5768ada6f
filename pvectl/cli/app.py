"""The root ``pvectl`` app: global options and the command groups."""

from __future__ import annotations

from typing import Annotated

import typer

from pvectl import __version__
from pvectl.cli.context import AppContext, GlobalOptions
from pvectl.cli.lazy import RootGroup
from pvectl.guest.outcome import EXIT_HELP

ENVIRONMENT = """Environment: every root option has its PVECTL_* variable (shown below); also PVECTL_PASSWORD (password
login), PVECTL_TOKEN_SECRET (a context's token secret kept out of the config file), PVECTL_CONFIG (another
config file), PVECTL_SIM_STATE_DIR (where --sim keeps its state)."""

GLOBAL = """The options below are global: give them before or after any command (pvectl vm list -o json -c lab);
a command's own option of the same name wins (sim serve --host, config add --host)."""

EXIT_CODES = EXIT_HELP  # the one exit-code table (pvectl.guest.outcome, a light module)

app = typer.Typer(
    name="pvectl",
    cls=RootGroup,
    help=f"Command line for the Proxmox VE API.\n\n{GLOBAL}\n\n{EXIT_CODES}\n\n{ENVIRONMENT}",
    no_args_is_help=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pvectl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    context: Annotated[
        str | None, typer.Option("--context", "-c", envvar="PVECTL_CONTEXT", help="Named context from the config file.")
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", envvar="PVECTL_HOST", help="PVE server as HOST or HOST:PORT.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", envvar="PVECTL_USER", help="User as USER@REALM.")] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="PVECTL_TOKEN", help="API token USER@REALM!ID=SECRET.", show_default=False),
    ] = None,
    ca_file: Annotated[
        str | None, typer.Option("--ca-file", envvar="PVECTL_CA_FILE", help="CA bundle that signed the server cert.")
    ] = None,
    fingerprint: Annotated[
        str | None,
        typer.Option("--fingerprint", envvar="PVECTL_FINGERPRINT", help="Pin the server cert's SHA-256 (AA:BB:...)."),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", envvar="PVECTL_INSECURE", help="Do not verify TLS (warns; avoid).")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            envvar="PVECTL_OUTPUT",
            metavar="FORMAT",
            help="auto, table, wide, json, yaml or text (auto: a table on a terminal, JSON when piped).",
        ),
    ] = "auto",
    query: Annotated[
        str | None,
        typer.Option(
            "--query", metavar="JMESPATH", help="Print only this part of the data, e.g. \"[?status=='running'].name\"."
        ),
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", metavar="A,B,...", help="Table/text columns, in this order.")
    ] = None,
    sort_by: Annotated[str | None, typer.Option("--sort-by", metavar="FIELD", help="Sort rows by this field.")] = None,
    no_headers: Annotated[
        bool, typer.Option("--no-headers", envvar="PVECTL_NO_HEADERS", help="Tables and text without a header line.")
    ] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, envvar="PVECTL_VERBOSE", help="More detail (-vv: HTTP trace).")
    ] = 0,
    sim: Annotated[
        bool, typer.Option("--sim", envvar="PVECTL_SIM", help="Run against the embedded PVE simulator.")
    ] = False,
    request_timeout: Annotated[
        float | None,
        typer.Option(
            "--request-timeout",
            envvar="PVECTL_REQUEST_TIMEOUT",
            metavar="SECONDS",
            help="Seconds one HTTP request may take to connect or answer (default 30; task waits have --timeout).",
            show_default=False,
        ),
    ] = None,
    max_connections: Annotated[
        int | None,
        typer.Option(
            "--max-connections",
            envvar="PVECTL_MAX_CONNECTIONS",
            metavar="N",
            help="Connections to the server for concurrent requests (default 10).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Command line for the Proxmox VE API."""
    if not ctx.resilient_parsing:  # checked before any command runs: a bad -o or --query sends nothing
        from pvectl.cli.errors import CliError, fail
        from pvectl.cli.output import check_format, check_query, parse_columns

        try:
            output = check_format(output)
            check_query(query)
            parse_columns(columns)
        except CliError as exc:
            fail(exc)
    ctx.obj = AppContext(
        GlobalOptions(
            context=context,
            host=host,
            user=user,
            token=token,
            ca_file=ca_file,
            fingerprint=fingerprint,
            insecure=insecure,
            password_stdin=password_stdin,
            output=output,
            verbose=verbose,
            sim=sim,
            query=query,
            columns=columns,
            sort_by=sort_by,
            no_headers=no_headers,
            request_timeout=request_timeout,
            max_connections=max_connections,
        )
    )


def run() -> None:
    """Run the CLI; an unexpected error is one line on stderr (the traceback only with PVECTL_DEBUG=1)."""
    import os
    import sys

    try:
        app()
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("PVECTL_DEBUG"):
            raise
        print(f"error: internal error: {type(exc).__name__}: {exc} (set PVECTL_DEBUG=1 for details)", file=sys.stderr)
        sys.exit(1)
