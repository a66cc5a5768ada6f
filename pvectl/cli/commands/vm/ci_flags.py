"""The cloud-init flags' values turned into a CloudInit (the password: prompt, stdin or PVECTL_CI_PASSWORD)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from pvectl.cli.errors import USAGE, CliError

if TYPE_CHECKING:
    from pvectl.vm.cloudinit import CloudInit

PASSWORD_ENV = "PVECTL_CI_PASSWORD"  # noqa: S105 (the variable's name)


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
    return os.environ.get(PASSWORD_ENV) or None


def cloud_init(
    *,
    user: str | None,
    ask_password: bool,
    password_stdin: bool,
    ssh_keys: list[str],
    ipconfig: list[str],
    nameserver: str | None,
    searchdomain: str | None,
    upgrade: bool | None,
    storage: str | None,
) -> CloudInit | None:
    """None when no cloud-init flag was given (and PVECTL_CI_PASSWORD is unset)."""
    from pvectl.vm.cloudinit import CloudInit, CloudInitProblem, parse_ipconfig

    keys = []
    for path in ssh_keys:
        try:
            with open(path, encoding="utf-8") as handle:
                keys.append(handle.read())
        except OSError as exc:
            raise CliError(f"--ssh-key: cannot read {path}: {exc.strerror}", USAGE) from None
    try:
        ips = parse_ipconfig(ipconfig)
    except CloudInitProblem as exc:
        raise CliError(str(exc), USAGE) from None
    ci = CloudInit(
        user=user,
        password=_password(ask_password, password_stdin),
        ssh_keys=keys,
        ipconfig=ips,
        nameserver=nameserver,
        searchdomain=searchdomain,
        upgrade=upgrade,
        storage=storage,
    )
    return None if ci.empty() else ci
