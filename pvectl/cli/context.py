"""What every command receives: the root options, resolved lazily into a client and an output format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

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
    _client: ProxmoxClient | None = field(default=None, init=False, repr=False)
    # (node, context) when vm_defaults_config took the context's node for a VM given none (vm create says so)
    context_node: tuple[str, str | None] | None = field(default=None, init=False, repr=False)

    # How clients are made: tests put a factory here (``AppContext.factory = lambda options: client``) instead of
    # patching ``client``; None is the real connection (pvectl.cli.connection.make_client).
    factory: ClassVar[Callable[[GlobalOptions], ProxmoxClient] | None] = None

    def client(self) -> ProxmoxClient:
        """The command's SDK client for the chosen context, host, or the embedded simulator: built on first use,
        then the same one for the whole command (one connection pool, one ``GET /version``), closed at exit."""
        if self._client is None:
            from pvectl.cli.connection import make_client

            factory = type(self).factory or make_client
            self._client = factory(self.options)
            self._close_at_exit()
        return self._client

    def _close_at_exit(self) -> None:
        from typer._click.globals import get_current_context

        ctx = get_current_context(silent=True)
        if ctx is not None and type(self).factory is None:  # an injected client belongs to whoever injected it
            ctx.find_root().call_on_close(self.close)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

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
            settings = resolve(self.options)
            vm.general.node = settings.node
            if settings.node is not None:
                self.context_node = (settings.node, settings.context)
        return vm
