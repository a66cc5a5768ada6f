"""What every command receives: the root options, resolved lazily into a client and an output format."""

from __future__ import annotations

from dataclasses import dataclass
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
    token: str | None = None
    ca_file: str | None = None
    fingerprint: str | None = None
    insecure: bool = False
    password_stdin: bool = False
    output: str = "auto"
    verbose: int = 0
    sim: bool = False


@dataclass
class AppContext:
    """Shared by the commands through ``ctx.obj``; builds the SDK client only when a command needs it."""

    options: GlobalOptions

    def client(self) -> ProxmoxClient:
        """A connected SDK client for the chosen context, host, or the embedded simulator."""
        from pvectl.cli.connection import make_client

        return make_client(self.options)

    def vm_defaults_config(self) -> VmConfig:
        """The built-in VM defaults with the config file's ``[vm.defaults]`` applied."""
        from pvectl.vm.config import VmConfig

        return VmConfig()
