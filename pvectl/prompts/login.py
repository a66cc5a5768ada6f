"""The login step of ``-i``, for a context without credentials: server, user, realm (from the server),
password (hidden), and a second factor when the server asks for one. The ticket is cached like ``pvectl login``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pvectl.cli.errors import AUTH, CliError
from pvectl.prompts.ask import choice, say, secret, select, text
from pvectl.prompts.sources import load

if TYPE_CHECKING:
    from pvectl.cli.connection import Settings
    from pvectl.cli.context import AppContext, GlobalOptions
    from pvectl.sdk import ProxmoxClient, TfaChallenge, TicketAuth

ClientFactory = Callable[..., "ProxmoxClient"]
ATTEMPTS = 3


def has_credentials(options: GlobalOptions, settings: Settings) -> bool:
    """An API token, a password (environment, context, stdin) or a live cached ticket for the user."""
    from pvectl.config.tickets import load_ticket

    if settings.token or settings.password or options.password_stdin:
        return True
    if settings.host is None or settings.user is None or "@" not in settings.user:
        return False
    return load_ticket(settings.base_url, settings.user) is not None


def connect(app: AppContext) -> ProxmoxClient:
    """The client of the context; asks for a login first when the context has no credentials."""
    from pvectl.cli.connection import resolve

    if app.options.sim:
        return app.client()
    settings = resolve(app.options)
    if has_credentials(app.options, settings):
        return app.client()
    return login(app.options, settings)


def _needed(answer: str) -> bool | str:
    return bool(answer.strip()) or "an answer is needed"


def _second_factor(challenge: TfaChallenge) -> str:
    kinds = " or ".join(sorted(challenge.methods & {"totp", "recovery", "yubico"})) or "code"
    return secret(f"Second factor ({kinds})")


def _realm_title(realm: dict[str, Any]) -> str:
    name, comment = str(realm.get("realm")), str(realm.get("comment") or "")
    return f"{name} ({comment})" if comment else name


def login(options: GlobalOptions, settings: Settings, factory: ClientFactory | None = None) -> ProxmoxClient:
    """Ask for the login and return a client holding a fresh ticket (cached for the next commands)."""
    from pvectl.cli.connection import new_client, tls_kwargs
    from pvectl.config.tickets import store_ticket
    from pvectl.sdk import AuthenticationError, ProxmoxClient, PveError, SecondFactorRequired, TicketAuth
    from pvectl.sdk._core.auth import default_realm, split_user
    from pvectl.vm.reference import Ref

    def default_factory(**kwargs: Any) -> ProxmoxClient:
        client: ProxmoxClient = new_client(ProxmoxClient, options, **kwargs)
        return client

    make = factory or default_factory
    say("-- Login --")
    if settings.host is None:
        settings = dataclasses.replace(settings, host=text("Server (host or host:port)", validate=_needed).strip())
    base: dict[str, Any] = {"base_url": settings.base_url, **tls_kwargs(settings)}
    with make(**base) as anonymous:

        def fetch() -> Ref[list[dict[str, Any]]]:
            try:
                return Ref(value=anonymous.realms())  # served without credentials, as to the GUI's login box
            except PveError as exc:
                return Ref(error=str(exc))

        realms = load("realms", fetch).get([])
    name, realm = split_user(settings.user or "")
    name = text("User", name or "root", _needed).strip()
    default = realm or default_realm(realms) or "pam"
    if realms:
        options_ = [choice(_realm_title(r), str(r.get("realm"))) for r in realms]
        realm = select("Realm", options_, default)
    else:
        realm = text("Realm", default, _needed).strip()
    user = f"{name}@{realm}"

    def remember(auth: TicketAuth) -> None:
        if auth.ticket:
            store_ticket(base["base_url"], auth.user, auth.ticket, auth.csrf)

    for _ in range(ATTEMPTS):
        auth = TicketAuth(user, secret(f"Password for {user}"), tfa=_second_factor, on_ticket=remember)
        client = make(**base, auth=auth)
        try:
            client.login()
        except SecondFactorRequired as exc:
            client.close()
            say(f"error: {exc.message}")
            continue
        except AuthenticationError as exc:
            client.close()
            say(f"error: login failed: {exc.message}")
            continue
        say(f"Logged in to {settings.base_url.removesuffix('/api2/json')} as {user}")
        return client
    raise CliError(f"login failed for {user} after {ATTEMPTS} attempts", AUTH)
