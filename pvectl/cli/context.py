"""What every command receives: the root options, resolved lazily into a client and an output format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.config import VmConfig


@dataclass
class GlobalOptions:
    """Root options (each also settable through its ``PVECTL_*`` environment variable)."""

    context: str | None = None
    host: str | None = None
    user: str | None = None
    token: str | None = field(default=None, repr=False)  # a secret: never in reprs
    ca_file: str | None = None
    fingerprint: str | None = None
    insecure: bool = False
    password_stdin: bool = False
    output: str = "auto"
    verbose: int = 0
    sim: bool = False
    # output shaping (pvectl/cli/output.py)
    query: str | None = None
    columns: str | None = None
    sort_by: str | None = None
    no_headers: bool = False
    request_timeout: float | None = None  # seconds per HTTP request (not a task wait's --timeout)
    max_connections: int | None = None  # connections to the server, shared by concurrent calls


@dataclass
class AppContext:
    """Shared by the commands through ``ctx.obj``; builds the SDK client only when a command needs it."""

    options: GlobalOptions

    def client(self) -> ProxmoxClient:
        """A connected SDK client for the chosen context, host, or the embedded simulator."""
        from pvectl.cli.connection import make_client

        return make_client(self.options)

    def vm_defaults_config(self) -> VmConfig:
        """The built-in VM defaults, then the config file's ``[vm.defaults]``, then the context's default node."""
        from pvectl.cli.connection import resolve
        from pvectl.cli.errors import USAGE, CliError
        from pvectl.config.file import ConfigError, load
        from pvectl.vm.config import VmConfig
        from pvectl.vm.defaults import DefaultsError, apply_defaults

        try:
            config = load()
        except ConfigError as exc:
            raise CliError(str(exc), USAGE) from None
        table = config.other.get("vm", {})
        defaults = table.get("defaults", {}) if isinstance(table, dict) else {}
        if not isinstance(defaults, dict):
            raise CliError(f"{config.path}: [vm.defaults] must be a table", USAGE)
        try:
            vm = apply_defaults(VmConfig(), defaults)
        except DefaultsError as exc:
            raise CliError(f"{config.path}: {exc}", USAGE) from None
        if vm.general.node is None and not self.options.sim:
            vm.general.node = resolve(self.options).node
        return vm
