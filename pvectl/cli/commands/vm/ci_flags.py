"""The cloud-init flags of ``vm clone`` and ``vm create`` (one definition for both) and their values turned into a
CloudInit (the password: prompt, stdin or PVECTL_CI_PASSWORD).

PVECTL_CI_PASSWORD only fills in the password of cloud-init that was asked for (another cloud-init flag, the VM
file, ``[vm.defaults]`` or the -i/--tui step); on its own it turns nothing on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli.errors import USAGE, CliError

if TYPE_CHECKING:
    from pvectl.vm.cloudinit import CloudInit

PASSWORD_ENV = "PVECTL_CI_PASSWORD"  # noqa: S105 (the variable's name)


def _opt(flag: str, text: str, metavar: str | None = None) -> Any:
    return typer.Option(flag, help=text, metavar=metavar, show_default=False)


CiUser = Annotated[str | None, _opt("--ci-user", "Cloud-init: the user to create.")]
CiPassword = Annotated[
    bool, typer.Option("--ci-password", help="Cloud-init: ask for the user's password (never echoed).")
]
CiPasswordStdin = Annotated[
    bool,
    typer.Option(
        "--ci-password-stdin",
        help=f"Cloud-init: read the password from stdin's first line; {PASSWORD_ENV} gives it when cloud-init "
        "is on by another flag (alone it turns nothing on).",
    ),
]
SshKey = Annotated[list[str] | None, _opt("--ssh-key", "Cloud-init: a public key file (repeatable).", "FILE")]
IpConfig = Annotated[
    list[str] | None, _opt("--ipconfig", "Cloud-init: [N:]ip=dhcp or ip=CIDR,gw=IP[,ip6=…] (repeatable).", "CONF")
]
Nameserver = Annotated[str | None, _opt("--nameserver", "Cloud-init: DNS servers.")]
Searchdomain = Annotated[str | None, _opt("--searchdomain", "Cloud-init: DNS search domain.")]
CiUpgrade = Annotated[
    bool | None, typer.Option("--ci-upgrade/--no-ci-upgrade", help="Cloud-init: upgrade packages on first boot.")
]
CloudinitStorage = Annotated[
    str | None, _opt("--cloudinit-storage", "Cloud-init: storage of the drive if missing (default: the first disk's).")
]

# (parameter name, annotation) of every cloud-init flag, in help order; ``vm create`` adds them to its signature.
OPTIONS: list[tuple[str, Any]] = [
    ("ci_user", CiUser),
    ("ci_password", CiPassword),
    ("ci_password_stdin", CiPasswordStdin),
    ("ssh_key", SshKey),
    ("ipconfig", IpConfig),
    ("nameserver", Nameserver),
    ("searchdomain", Searchdomain),
    ("ci_upgrade", CiUpgrade),
    ("cloudinit_storage", CloudinitStorage),
]
SWITCHES = ("ci_password", "ci_password_stdin")  # bool flags whose default is False, not None
# ``vm create`` only: cloud-init without settings (a drive for the image's defaults), or off despite the VM file.
CloudInitSwitch = Annotated[
    bool | None,
    typer.Option(
        "--cloud-init/--no-cloud-init",
        help="Cloud-init: add the drive even without settings / leave cloud-init out (over --from-file).",
        show_default=False,
    ),
]
CREATE_OPTIONS: list[tuple[str, Any]] = [("cloud_init", CloudInitSwitch), *OPTIONS]


def _password(ask: bool, from_stdin: bool) -> str | None:
    if ask and from_stdin:
        raise CliError("--ci-password and --ci-password-stdin exclude each other", USAGE)
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CliError("--ci-password-stdin: stdin gave no password", USAGE)
        return line
    if ask:
        if not sys.stdin.isatty():
            raise CliError(f"--ci-password: no terminal to ask on; use --ci-password-stdin or {PASSWORD_ENV}", USAGE)
        import getpass

        first = getpass.getpass("Cloud-init password: ")
        if first != getpass.getpass("Again: "):
            raise CliError("--ci-password: the two entries differ", USAGE)
        return first
    return None


def _key_file(path: str) -> str:
    from pvectl.vm.cloudinit import CloudInitProblem, read_key_file

    try:
        return read_key_file(path)
    except CloudInitProblem as exc:
        raise CliError(f"--ssh-key: {exc}", USAGE) from None


def env_password() -> str | None:
    return os.environ.get(PASSWORD_ENV) or None


def given(values: Mapping[str, Any]) -> bool:
    """Whether any cloud-init flag was given."""
    return any(values.get(name) not in (None, False, []) for name, _ in OPTIONS)


def cloud_init(values: Mapping[str, Any]) -> CloudInit | None:
    """The settings the cloud-init flags in ``values`` (keyed by OPTIONS' names) give; None when none was given.

    Only the given settings are set on the result (``model_fields_set``), so they can go over a VM file's.
    """
    from pvectl.vm.cloudinit import CloudInit, CloudInitProblem, parse_ipconfig

    if not given(values):
        return None
    keys = [_key_file(path) for path in values.get("ssh_key") or []]
    try:
        ips = parse_ipconfig(list(values.get("ipconfig") or []))
    except CloudInitProblem as exc:
        raise CliError(str(exc), USAGE) from None
    settings: dict[str, Any] = {
        "enabled": True,
        "user": values.get("ci_user"),
        "password": _password(bool(values.get("ci_password")), bool(values.get("ci_password_stdin"))),
        "ssh_keys": keys,
        "ipconfig": ips,
        "nameserver": values.get("nameserver"),
        "searchdomain": values.get("searchdomain"),
        "upgrade": values.get("ci_upgrade"),
        "storage": values.get("cloudinit_storage"),
    }
    return CloudInit(**{k: v for k, v in settings.items() if v not in (None, [], {})})


def onto(base: CloudInit, values: Mapping[str, Any]) -> CloudInit:
    """``base`` (defaults, VM file) with the cloud-init flags of ``vm create`` over it, then PVECTL_CI_PASSWORD."""
    from pvectl.vm.cloudinit import CloudInit

    switch = values.get("cloud_init")
    flags = cloud_init(values)
    if switch is False:
        if flags is not None:
            raise CliError("--no-cloud-init: contradicts the other cloud-init flags given", USAGE)
        return CloudInit()
    out = base.model_copy(deep=True)
    if flags is not None:
        for name in flags.model_fields_set:
            setattr(out, name, getattr(flags, name))
    if switch:
        out.enabled = True
    return with_env_password(out) or out


def with_env_password(ci: CloudInit | None) -> CloudInit | None:
    """``ci`` with PVECTL_CI_PASSWORD as its password when cloud-init is on and no password was given."""
    if ci is None or not ci.on or ci.secret is not None:
        return ci
    secret = env_password()
    if secret is None:
        return ci
    from pydantic import SecretStr

    out = ci.model_copy(deep=True)
    out.password = SecretStr(secret)  # validated on assignment: the redaction learns it
    return out
