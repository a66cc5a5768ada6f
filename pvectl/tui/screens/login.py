"""Login: server, realm (loaded from the server, its default preselected), user, password, and a second
factor when the server asks for one. Errors are shown in place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from pvectl.tui.widgets.choice import Choice

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.tui.app import WizardApp
    from pvectl.tui.services import Connector


def _message(exc: BaseException) -> str:
    from pvectl.cli.errors import describe

    message, details = describe(exc)
    return "\n".join([message, *details])


class LoginScreen(Screen[None]):
    """Logs in with the connector; on success the wizard begins."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+l", "login", "Log in", priority=True)]

    def __init__(self, connector: Connector) -> None:
        super().__init__(name="login", id="login")
        self.connector = connector
        self.realm_state = "default"
        self.loaded_for: str | None = None

    @property
    def wizard_app(self) -> WizardApp:
        from pvectl.tui.app import WizardApp

        assert isinstance(self.app, WizardApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static(" Proxmox VE login — then Create VM", id="login-title")
        with Vertical(id="login-form"):
            for ident, label, widget in (
                (
                    "server",
                    "Server",
                    Input(self.connector.server, placeholder="pve.example.com[:8006]", id="server", compact=True),
                ),
                ("realm", "Realm", Choice([], prompt="(load the realms)", id="realm", compact=True)),
                ("user", "User name", Input(self.connector.user, placeholder="root", id="user", compact=True)),
                ("password", "Password", Input(password=True, id="password", compact=True)),
                ("otp", "Second factor", Input(placeholder="TOTP code or recovery key", id="otp", compact=True)),
            ):
                with Horizontal(classes="line", id=f"line-{ident}"):
                    yield Label(label, classes="label", markup=False)
                    yield widget
            yield Static("", id="realm-status", markup=False)
            yield Button("Retry", id="realm-retry", compact=True)
            yield Static("", id="login-error", markup=False)
            yield Button("Log in", id="login-button", variant="primary", compact=True)
        yield Footer(compact=True)  # 80 columns hold every key of the Disks step

    def on_mount(self) -> None:
        self.query_one("#line-otp").display = False
        self.query_one("#realm-retry").display = False
        self.query_one("#login-error").display = False
        if self.connector.server:
            self.load_realms()
            self.query_one("#user" if not self.connector.user else "#password").focus()

    # -- realms ----------------------------------------------------------------------------------------

    def load_realms(self) -> None:
        server = self.query_one("#server", Input).value.strip()
        if not server:
            self._realm_state("default", "enter the server to load its realms")
            return
        self.loaded_for = server
        self._realm_state("loading", f"loading realms of {server}…")
        self._fetch_realms(server)

    @work(thread=True, exit_on_error=False, exclusive=True, group="realms")
    def _fetch_realms(self, server: str) -> None:
        try:
            realms = self.connector.realms(server)
        except Exception as exc:
            self.app.call_from_thread(self._realms_failed, server, _message(exc))
        else:
            self.app.call_from_thread(self._realms_loaded, server, realms)

    def _realm_state(self, state: str, message: str) -> None:
        self.realm_state = state
        status = self.query_one("#realm-status", Static)
        status.update(message)
        status.set_classes(f"-{state}")
        self.query_one("#realm-retry").display = state == "error"

    def _realms_failed(self, server: str, message: str) -> None:
        if server == self.loaded_for:
            self._realm_state("error", f"could not load realms: {message}")

    def _realms_loaded(self, server: str, realms: list[dict[str, Any]]) -> None:
        from pvectl.sdk._core.auth import default_realm

        if server != self.loaded_for:
            return
        select = self.query_one("#realm", Select)
        options = [(str(r.get("comment") or r.get("realm")), str(r.get("realm"))) for r in realms]
        select.set_options(options)
        if not options:
            self._realm_state("empty", "the server offers no realms")
            return
        select.value = default_realm(realms) or options[0][1]
        self._realm_state("ready", "")

    @on(Button.Pressed, "#realm-retry")
    def _retry(self) -> None:
        self.load_realms()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        if event.input.id == "server":
            self.load_realms()
            self.focus_next()
        elif event.input.id in ("password", "otp"):
            self.action_login()
        else:
            self.focus_next()

    @on(Input.Blurred, "#server")
    def _server_left(self) -> None:
        if self.query_one("#server", Input).value.strip() != self.loaded_for:
            self.load_realms()

    # -- logging in ------------------------------------------------------------------------------------

    @on(Button.Pressed, "#login-button")
    def action_login(self) -> None:
        server = self.query_one("#server", Input).value.strip()
        user = self.query_one("#user", Input).value.strip()
        password = self.query_one("#password", Input).value
        realm = self.query_one("#realm", Select).value
        otp = self.query_one("#otp", Input).value.strip() or None
        if not server or not user or not password:
            self._error("server, user name and password are needed")
            return
        if realm is Select.NULL and "@" not in user:
            self._error("choose a realm (or write the user as USER@REALM)")
            return
        self._error("")
        self.query_one("#login-button", Button).disabled = True
        self.query_one("#login-button", Button).label = "Logging in…"
        self._login(server, user, "" if realm is Select.NULL else str(realm), password, otp)

    @work(thread=True, exit_on_error=False, exclusive=True, group="login")
    def _login(self, server: str, user: str, realm: str, password: str, otp: str | None) -> None:
        from pvectl.sdk import SecondFactorRequired

        try:
            client = self.connector.login(server, user, realm, password, otp)
        except SecondFactorRequired as exc:
            self.app.call_from_thread(self._need_otp, otp, _message(exc))
        except Exception as exc:
            self.app.call_from_thread(self._failed, _message(exc))
        else:
            self.app.call_from_thread(self._logged_in, client)

    def _reset_button(self) -> None:
        button = self.query_one("#login-button", Button)
        button.disabled = False
        button.label = "Log in"

    def _need_otp(self, given: str | None, message: str) -> None:
        self._reset_button()
        self.query_one("#line-otp").display = True
        self.query_one("#otp", Input).value = ""
        self.query_one("#otp", Input).focus()
        self._error(("that code was not accepted: " if given else "second factor needed: ") + message)

    def _failed(self, message: str) -> None:
        self._reset_button()
        self._error(message)

    def _error(self, message: str) -> None:
        box = self.query_one("#login-error", Static)
        box.update(f"✗ {message}" if message else "")
        box.display = bool(message)

    def _logged_in(self, client: ProxmoxClient) -> None:
        self.wizard_app.logged_in(client)
