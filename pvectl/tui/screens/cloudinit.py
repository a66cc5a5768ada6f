"""Cloud-Init: an optional step, off by default. The switch shows the settings; the password is typed masked and
never shown again (the Confirm screen says "set"); key files are read and checked as ``--ssh-key`` does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import SecretStr
from textual.app import ComposeResult
from textual.widgets import Input

from pvectl.tui.screens.base import StepScreen
from pvectl.tui.widgets.field import FieldRow
from pvectl.vm.cloudinit import CloudInit, CloudInitProblem, parse_ipconfig, read_key_file
from pvectl.vm.fields import CI_FIELDS

# The TUI takes key files here, as -i and --ssh-key do (the spec's help describes the keys themselves)
KEY_FILES_HELP = "Files of OpenSSH public keys, space-separated; every line is checked. Empty: keep those given."
SPECS = {
    spec.path: replace(spec, help=KEY_FILES_HELP) if spec.path == "cloudinit.ssh_keys" else spec for spec in CI_FIELDS
}
SWITCH = "cloudinit.enabled"
OWN = ("cloudinit.password", "cloudinit.ssh_keys", "cloudinit.ipconfig", "cloudinit.upgrade")  # not plain fields


class CloudInitScreen(StepScreen):
    STEP = "cloudinit"

    def __init__(self) -> None:
        super().__init__()
        self.kept = CloudInit(enabled=True)  # the settings while the switch is off, back when it is on again
        self.typed = ""  # the password as typed so far (masked on the screen)

    @property
    def ci(self) -> CloudInit:
        return self.wizard.config.cloudinit

    def compose_form(self) -> ComposeResult:
        ci = self.ci
        for path, spec in SPECS.items():
            yield FieldRow(spec, self._shown(ci, path))

    @staticmethod
    def _shown(ci: CloudInit, path: str) -> Any:
        if path == SWITCH:
            return ci.on
        if path in ("cloudinit.password", "cloudinit.ssh_keys"):
            return None  # the password is never shown; the keys are named by files (the placeholder counts them)
        if path == "cloudinit.ipconfig":
            return ci.ipconfig.get(0)
        if path == "cloudinit.upgrade":
            return ci.upgrade is not False  # unset: PVE's default, on
        return getattr(ci, path.removeprefix("cloudinit."))

    def on_mount(self) -> None:
        password = self.row("cloudinit.password").control
        assert isinstance(password, Input)
        password.password = True
        self._placeholders()
        self._show_settings()

    def resume(self) -> None:
        for row in self.rows():
            if row.key not in self.wizard.invalid and row.key not in ("cloudinit.password", "cloudinit.ssh_keys"):
                row.show_value(self._shown(self.ci, row.key))
        self._placeholders()
        self._show_settings()
        self.load_all()
        self.refresh_errors()
        self.call_after_refresh(self.focus_first)

    def _placeholders(self) -> None:
        password, keys = self.row("cloudinit.password").control, self.row("cloudinit.ssh_keys").control
        assert isinstance(password, Input)
        assert isinstance(keys, Input)
        password.placeholder = "set (type to replace)" if self.ci.secret else "none"
        count = len([line for text in self.ci.ssh_keys for line in text.splitlines() if line.strip()])
        keys.placeholder = f"{count} given (key files replace them)" if count else "key files, space-separated"
        storage = self.row("cloudinit.storage").control
        storage.prompt = "(the first disk's)"  # type: ignore[attr-defined]

    def _show_settings(self) -> None:
        on = self.ci.on
        for row in self.rows():
            if row.key != SWITCH:
                row.display = on

    def answer(self, row: FieldRow, raw: Any) -> None:
        key = row.key
        if key == SWITCH:
            if raw:
                self.wizard.config.cloudinit = self.kept.model_copy(deep=True)
                self.ci.enabled = True
            else:
                self.kept = self.ci.model_copy(deep=True)
                self.wizard.config.cloudinit = CloudInit()
                self.wizard.invalid = {k: v for k, v in self.wizard.invalid.items() if not k.startswith("cloudinit.")}
            self._show_settings()
            return
        if key not in OWN:
            self.wizard.answer(row.spec, raw)
            return
        self.wizard.invalid.pop(key, None)
        try:
            self._own(key, str(raw or "").strip() if not isinstance(raw, bool) else raw)
        except CloudInitProblem as exc:
            self.wizard.invalid[key] = str(exc).removeprefix("--ipconfig: ")

    def _own(self, key: str, value: Any) -> None:
        ci = self.ci
        if key == "cloudinit.password":
            self.typed = value  # taken when the step is left: each keystroke's prefix is no secret to register
        elif key == "cloudinit.ssh_keys":
            if value:  # empty: the keys given before (flags, VM file) stay
                ci.ssh_keys = [read_key_file(name) for name in value.split()]
        elif key == "cloudinit.ipconfig":
            others = {k: v for k, v in ci.ipconfig.items() if k != 0}  # other NICs' settings (flags) stay
            ci.ipconfig = {**parse_ipconfig([value]), **others} if value else others
        elif key == "cloudinit.upgrade":
            ci.upgrade = None if value and ci.upgrade is None else bool(value)

    def on_screen_suspend(self) -> None:
        """Leaving the step (Next, Back, a jump): the typed password becomes the answer (empty: keep the one set)."""
        if self.typed and self.ci.on:
            self.ci.password = SecretStr(self.typed)  # validated on assignment: the redaction learns it
