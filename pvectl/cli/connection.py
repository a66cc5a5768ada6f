"""From root options, environment and config file to a connected SDK client.

Precedence for every setting: flag > ``PVECTL_*`` environment variable > the chosen context > default
(Typer already merges a flag with its environment variable). A CI job needs no config file:
``PVECTL_HOST`` + ``PVECTL_TOKEN`` (+ ``PVECTL_FINGERPRINT`` or ``PVECTL_CA_FILE``) is enough.

Environment variables read here rather than as root options: ``PVECTL_PASSWORD`` (password logins),
``PVECTL_TOKEN_SECRET`` (the secret of the context's ``token-id``, so the config file holds no secret) and
``PVECTL_CONFIG`` (another config file, see ``pvectl.config.paths``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pvectl.cli.errors import AUTH, INTERRUPTED, USAGE, CliError

if TYPE_CHECKING:
    from pvectl.cli.context import GlobalOptions
    from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient, TfaChallenge, TicketAuth
    from pvectl.sdk._core.auth import Auth

log = logging.getLogger("pvectl.cli")

DEFAULT_PORT = 8006


@dataclass(frozen=True)
class Settings:
    """Resolved connection settings. ``sources`` says where each came from (``flag --host``, ``env PVECTL_HOST``,
    ``context NAME``, default)."""

    context: str | None = None
    host: str | None = None
    port: int = DEFAULT_PORT
    user: str | None = None
    token: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    fingerprint: str | None = None
    insecure: bool = False
    node: str | None = None
    request_timeout: float | None = None
    max_connections: int | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        from pvectl.sdk._core.base import base_url_for

        if self.host is None:
            raise CliError(
                "no PVE server given: pass --host, set PVECTL_HOST, or add a context with 'pvectl config add'", USAGE
            )
        where = self.sources.get("host", "")
        where = "--host / PVECTL_HOST" if where.startswith(("flag", "env")) else where or "host"
        try:
            return base_url_for(self.host, self.port)
        except Exception as exc:  # a port outside 1-65535, httpx.InvalidURL and friends
            raise CliError(f"{where}: invalid host '{self.host}': {exc}", USAGE) from None


FLAG_NAMES = {
    "request-timeout": "--request-timeout / PVECTL_REQUEST_TIMEOUT",
    "max-connections": "--max-connections / PVECTL_MAX_CONNECTIONS",
}


def transport_settings(options: GlobalOptions, ctx: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``request-timeout`` and ``max-connections`` from the flags (or their variables), else the context;
    a value out of range is a usage error naming where it came from, before anything is sent."""
    from pvectl.config.limits import range_problem

    out: dict[str, Any] = {}
    for key, option in (("request-timeout", options.request_timeout), ("max-connections", options.max_connections)):
        value, where = option, FLAG_NAMES[key]
        if value is None and ctx is not None:
            value, where = ctx.get(key), f"config key '{key}'"
        if value is None:
            continue
        problem = range_problem(key, value)
        if problem is not None:
            raise CliError(f"{where}: {problem}", USAGE)
        out[key] = value
    return out


def _user_with_realm(ctx: Mapping[str, Any]) -> str | None:
    user = ctx.get("user")
    if user and "@" not in user and ctx.get("realm"):
        return f"{user}@{ctx['realm']}"
    return user


def _same_host(given: str, context_host: str) -> bool:
    """``--host`` names the context's server (its port, when given, aside)."""

    def bare(text: str) -> str:
        text = text.split("://", 1)[-1].rstrip("/").lower()
        if text.startswith("["):  # [v6]:port
            return text[1:].split("]", 1)[0]
        return text.rsplit(":", 1)[0] if text.count(":") == 1 else text

    return bare(given) == bare(context_host)


def resolve(options: GlobalOptions, env: Mapping[str, str] | None = None) -> Settings:
    """Combine root options (flags and their env vars), other env vars and the config file."""
    from pvectl.config.file import ConfigError, load

    env = os.environ if env is None else env
    try:
        config = load()
        name = options.context or config.current
        ctx: Mapping[str, Any] = config.context(name) if name else {}
    except ConfigError as exc:
        raise CliError(str(exc), USAGE) from None
    sources: dict[str, str] = {}
    if options.host is not None and ctx.get("host") and not _same_host(options.host, str(ctx["host"])):
        # a context's pin, credentials and node belong to its host: another server gets none of them (a pin
        # checked against the wrong server reads like an attack; its token would be sent to a stranger)
        sources["context"] = f"not applied: {name} is for {ctx['host']}, not {options.host}"
        ctx, name = {}, None

    def given(key: str, value: Any) -> str:
        """Whether a root option's value came from its environment variable or its flag (-v says which)."""
        var = "PVECTL_" + key.upper().replace("-", "_")
        seen = env.get(var)
        from_env = seen is not None and (str(value) == seen or (isinstance(value, bool) and seen != ""))
        return f"env {var}" if from_env else f"flag --{key}"

    def pick(key: str, option: Any, ctx_key: str | None = None) -> Any:
        if option is not None:
            sources[key] = given(key, option)
            return option
        value = ctx.get(ctx_key or key)
        if value is not None:
            sources[key] = f"context {name}"
        return value

    if options.host is not None:
        # the context's port belongs to the context's host
        host, port, sources["host"] = options.host, int(ctx.get("port") or DEFAULT_PORT), given("host", options.host)
    else:
        host, port = pick("host", None), int(ctx.get("port") or DEFAULT_PORT)
    if ctx.get("port"):
        sources["port"] = f"context {name}"
    user = pick("user", options.user)
    if user is None and _user_with_realm(ctx):
        user, sources["user"] = _user_with_realm(ctx), f"context {name}"
    elif user is not None and "@" not in user and ctx.get("realm"):
        user = f"{user}@{ctx['realm']}"

    token = options.token
    if token is not None:
        sources["token"] = given("token", token)  # where it came from, never the token itself
    else:
        secret = env.get("PVECTL_TOKEN_SECRET") or ctx.get("token-secret")
        token_user = user or _user_with_realm(ctx)
        same_user = options.user is None or options.user == _user_with_realm(ctx)
        if secret and ctx.get("token-id") and token_user and same_user:
            token = f"{token_user}!{ctx['token-id']}={secret}"
            sources["token"] = "env PVECTL_TOKEN_SECRET" if env.get("PVECTL_TOKEN_SECRET") else f"context {name}"
    if token is not None and user is None:
        user = token.partition("!")[0]

    password = env.get("PVECTL_PASSWORD") or None
    if password is not None:
        sources["password"] = "env PVECTL_PASSWORD"  # noqa: S105 (where it came from, not a secret)
    elif ctx.get("password") and (options.user is None or options.user == _user_with_realm(ctx)):
        password, sources["password"] = ctx["password"], f"context {name}"

    fingerprint = pick("fingerprint", options.fingerprint)
    if fingerprint is not None:
        from pvectl.sdk._core.tls import parse_fingerprint

        try:
            parse_fingerprint(fingerprint)
        except ValueError as exc:
            where = "--fingerprint / PVECTL_FINGERPRINT" if options.fingerprint else f"context {name}"
            raise CliError(f"{where}: {exc}", USAGE) from None
    if options.insecure:
        sources["insecure"] = given("insecure", True)
    elif ctx.get("insecure"):
        sources["insecure"] = f"context {name}"
    if ctx.get("node"):
        sources["node"] = f"context {name}"
    transport = transport_settings(options, ctx)
    for key in transport:
        value = getattr(options, key.replace("-", "_"))
        sources[key] = given(key, value) if value is not None else f"context {name}"
    return Settings(
        context=name,
        host=host,
        port=port,
        user=user,
        token=token,
        password=password,
        ca_file=pick("ca_file", options.ca_file, "ca-file"),
        fingerprint=fingerprint,
        insecure=bool(options.insecure or ctx.get("insecure")),
        node=ctx.get("node"),
        request_timeout=transport.get("request-timeout"),
        max_connections=transport.get("max-connections"),
        sources=sources,
    )


# -- secrets from the user -------------------------------------------------------------------------------


def _stdin_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CliError("--password-stdin: nothing on standard input", USAGE)
    return line


def ask_hidden(question: str) -> str:
    """A secret asked on the terminal; Ctrl-C or Ctrl-D there is exit 130, as every interruption (Click turns both
    into its Abort, which would print "Aborted!" and exit 1)."""
    import typer

    try:
        return str(typer.prompt(question, hide_input=True, err=True))
    except typer.Abort:
        raise CliError("interrupted at the prompt: nothing was sent", INTERRUPTED) from None


def ask_confirm(question: str, default: bool = False) -> bool:
    """A yes/no question on the terminal; Ctrl-C or Ctrl-D there is exit 130 (see ask_hidden)."""
    import typer

    try:
        return bool(typer.confirm(question, default=default, err=True))
    except typer.Abort:
        raise CliError("interrupted at the prompt: nothing was saved or sent", INTERRUPTED) from None


def password_source(options: GlobalOptions, settings: Settings, interactive: bool) -> Callable[[], str]:
    """A function giving the password when (and only when) a login needs it."""

    def get() -> str:
        if options.password_stdin:
            return _stdin_password()
        if settings.password:
            return settings.password
        if interactive or sys.stdin.isatty():
            return ask_hidden(f"Password for {settings.user}")
        raise CliError(
            f"no password for {settings.user}: set PVECTL_PASSWORD, use --password-stdin, or run 'pvectl login'", AUTH
        )

    return get


def tfa_prompt(interactive: bool) -> Callable[[TfaChallenge], str]:
    """Asks for a second factor on a terminal; elsewhere answers nothing (SecondFactorRequired follows)."""

    def ask(challenge: TfaChallenge) -> str:
        if not (interactive or sys.stdin.isatty()):
            return ""
        kinds = " or ".join(sorted(challenge.methods & {"totp", "recovery", "yubico"})) or "code"
        return ask_hidden(f"Second factor ({kinds})")

    return ask


# -- building the client ---------------------------------------------------------------------------------


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record (test runners swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        """The record's text with a server's control characters escaped (a -vv trace shows answers)."""
        from pvectl.cli.safe_text import safe_text

        return safe_text(super().format(record))


def _traces(verbose: int) -> None:
    """-v: what pvectl decides (context, cached ticket); -vv: every HTTP request and response, redacted."""
    from pvectl.sdk._core.redact import RedactingFilter

    logger = logging.getLogger("pvectl")
    ours = [h for h in logger.handlers if isinstance(h, _StderrHandler)]
    if verbose <= 0:
        for handler in ours:
            logger.removeHandler(handler)
        return
    if not ours:
        handler = _StderrHandler()
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)


def ticket_auth(
    options: GlobalOptions,
    settings: Settings,
    *,
    interactive: bool = False,
    use_cache: bool = True,
    otp: str | None = None,
) -> TicketAuth:
    """Password-ticket auth for ``settings.user``: from the ticket cache when possible; new tickets are cached."""
    from pvectl.config.tickets import load_ticket, store_ticket
    from pvectl.sdk import TicketAuth

    assert settings.user is not None
    base_url = settings.base_url

    def remember(auth: TicketAuth) -> None:
        if auth.ticket:
            store_ticket(base_url, auth.user, auth.ticket, auth.csrf)

    cached = load_ticket(base_url, settings.user) if use_cache else None
    if cached is not None:
        log.info("using the cached ticket of %s (%.0f s old)", settings.user, cached.age)
    try:
        return TicketAuth(
            settings.user,
            password_source(options, settings, interactive),
            ticket=cached.ticket if cached else None,
            csrf=cached.csrf if cached else None,
            ticket_age=cached.age if cached else 0.0,
            otp=otp,
            tfa=tfa_prompt(interactive),
            on_ticket=remember,
        )
    except ValueError as exc:
        raise CliError(f"--user: {exc}", USAGE) from None


def tls_kwargs(settings: Settings) -> dict[str, Any]:
    """TLS keyword arguments for the SDK clients: a pin, a CA bundle, or (explicitly) no checks."""
    kwargs: dict[str, Any] = {}
    if settings.insecure and not settings.fingerprint:
        kwargs["verify"] = False
    elif settings.ca_file:
        ca = os.path.expanduser(settings.ca_file)
        if not os.path.isfile(ca):
            raise CliError(f"CA file not found: {settings.ca_file}", USAGE)
        kwargs["verify"] = ca
    if settings.fingerprint:
        kwargs["fingerprint"] = settings.fingerprint
    return kwargs


def auth_for(options: GlobalOptions, settings: Settings, *, interactive: bool = False) -> Auth:
    """The credential: the API token if there is one, else a password ticket for the user."""
    from pvectl.sdk import TokenAuth

    if settings.token is not None:
        try:
            return TokenAuth(settings.token)
        except ValueError as exc:
            raise CliError(f"--token / PVECTL_TOKEN: {exc}", USAGE) from None
    if settings.user is not None:
        return ticket_auth(options, settings, interactive=interactive)
    raise CliError(
        "no credentials: set PVECTL_TOKEN (USER@REALM!ID=SECRET), or give --user and log in with 'pvectl login'",
        AUTH,
    )


def pool_kwargs(request_timeout: float | None, max_connections: int | None) -> dict[str, Any]:
    """The request timeout and pool size for the SDK clients (their defaults when not set)."""
    kwargs: dict[str, Any] = {}
    if request_timeout is not None:
        kwargs["timeout"] = float(request_timeout)
    if max_connections is not None:
        kwargs["max_connections"] = int(max_connections)
    return kwargs


def client_kwargs(options: GlobalOptions, settings: Settings, *, interactive: bool = False) -> dict[str, Any]:
    """Keyword arguments for ProxmoxClient / AsyncProxmoxClient (server, auth, TLS, timeout and pool)."""
    return {
        "base_url": settings.base_url,
        "auth": auth_for(options, settings, interactive=interactive),
        **tls_kwargs(settings),
        **pool_kwargs(settings.request_timeout, settings.max_connections),
    }


def _sim_kwargs() -> dict[str, Any]:
    import importlib

    try:
        embedded = importlib.import_module("pvectl.sim.embedded")
    except ImportError:
        raise CliError("the embedded simulator is not available in this installation") from None
    conn = embedded.sim_connection()
    # base_url_for adds /api2/json when the simulator gives its bare origin
    return {"host": conn.base_url, "token": conn.token, "fingerprint": conn.fingerprint}


def new_client(cls: Any, options: GlobalOptions, **kwargs: Any) -> Any:
    """Construct an SDK client: traces per -v, the insecure warning as one line, bad settings as exit 2."""
    import warnings

    from pvectl.sdk import InsecureTLSWarning

    _traces(options.verbose)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InsecureTLSWarning)
        try:
            client = cls(**kwargs)
        except ValueError as exc:  # plain http:// to a remote host, a malformed pin
            raise CliError(str(exc), USAGE) from None
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    return client


def _build(cls: Any, options: GlobalOptions, interactive: bool) -> Any:
    _traces(options.verbose)
    if options.sim:
        transport = transport_settings(options)
        kwargs = {
            **_sim_kwargs(),
            **pool_kwargs(transport.get("request-timeout"), transport.get("max-connections")),
        }
    else:
        settings = resolve(options)
        log.info("server %s (context: %s)", settings.base_url, settings.context or "none")
        said = [f"{k} {v}" if k == "context" else f"{k} from {v}" for k, v in settings.sources.items()]
        log.info("settings: %s", ", ".join(said) or "defaults")
        kwargs = client_kwargs(options, settings, interactive=interactive)
    return new_client(cls, options, **kwargs)


def make_client(options: GlobalOptions, *, interactive: bool = False) -> ProxmoxClient:
    """A ProxmoxClient for the root options (or the embedded simulator with ``--sim``)."""
    from pvectl.sdk import ProxmoxClient

    client: ProxmoxClient = _build(ProxmoxClient, options, interactive)
    return client


def make_async_client(options: GlobalOptions, *, interactive: bool = False) -> AsyncProxmoxClient:
    """The async twin of :func:`make_client`."""
    from pvectl.sdk import AsyncProxmoxClient

    client: AsyncProxmoxClient = _build(AsyncProxmoxClient, options, interactive)
    return client
