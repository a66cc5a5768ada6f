"""The config file: named contexts (server, user, credentials, TLS, default node) and the current one.

    current-context = "lab"

    [contexts.lab]
    host = "pve1.example.com"
    port = 8006
    user = "root@pam"
    token-id = "ci"
    token-secret = "..."          # secrets make the file owner-only (chmod 600), or it is refused
    fingerprint = "AA:BB:..."
    node = "pve1"

Other top-level tables (such as ``[vm.defaults]``) are kept as they are when pvectl rewrites the file.
"""

from __future__ import annotations

import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvectl.config.paths import config_file, write_private

# key -> (type, help); the order is the order `config show` prints
KEYS: dict[str, tuple[type, str]] = {
    "host": (str, "PVE server name or address"),
    "port": (int, "API port (8006)"),
    "user": (str, "USER@REALM"),
    "realm": (str, "realm, when user has none"),
    "token-id": (str, "API token id (the part after '!')"),
    "token-secret": (str, "API token secret"),
    "password": (str, "password (prefer a token, a prompt or PVECTL_PASSWORD)"),
    "ca-file": (str, "CA bundle that signed the server certificate"),
    "fingerprint": (str, "pinned SHA-256 certificate fingerprint (AA:BB:...)"),
    "insecure": (bool, "do not verify TLS (warns)"),
    "node": (str, "default node"),
    "request-timeout": (float, "seconds one HTTP request may take (30)"),
    "max-connections": (int, "connections to the server for concurrent requests (10)"),
}
SECRET_KEYS = frozenset({"token-secret", "password"})
CURRENT = "current-context"


class ConfigError(ValueError):
    """The config file cannot be used (malformed, unsafe permissions, unknown context or key)."""


@dataclass
class Config:
    """The parsed file: contexts by name, the current context's name, and everything else untouched."""

    path: Path
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    current: str | None = None
    other: dict[str, Any] = field(default_factory=dict)
    exists: bool = False

    def context(self, name: str) -> dict[str, Any]:
        """A context by name; a missing one is an error that lists the ones there are."""
        if name in self.contexts:
            return self.contexts[name]
        known = ", ".join(sorted(self.contexts)) or "none"
        raise ConfigError(f"no context named '{name}' in {self.path} (contexts: {known})")

    def has_secrets(self) -> bool:
        return any(key in ctx for ctx in self.contexts.values() for key in SECRET_KEYS)

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.current is not None:
            data[CURRENT] = self.current
        data.update(self.other)
        if self.contexts:
            data["contexts"] = {name: dict(ctx) for name, ctx in self.contexts.items()}
        return data


def check_value(key: str, value: Any, where: str) -> Any:
    """Validate one context key's value (types; a fingerprint's format)."""
    if key not in KEYS:
        raise ConfigError(f"{where}: unknown key '{key}' (known: {', '.join(KEYS)})")
    kind = KEYS[key][0]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where}: '{key}' must be an integer")
    if kind is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: '{key}' must be true or false")
    if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(f"{where}: '{key}' must be a number")
    problem = _range_problem(key, value)
    if problem is not None:
        raise ConfigError(f"{where}: '{key}' {problem}")
    if kind is str and not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a string")
    if key == "fingerprint":
        from pvectl.sdk._core.tls import parse_fingerprint

        try:
            parse_fingerprint(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return value


def _range_problem(key: str, value: Any) -> str | None:
    """Values a server setting cannot take (checked here so nothing is sent with them)."""
    from pvectl.config.limits import range_problem

    return range_problem(key, value)


def _mode_problem(path: Path) -> str | None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode_text = f"{stat.S_IMODE(mode):o}"
        return f"{path} holds secrets but group or others can read it (mode {mode_text}); run: chmod 600 {path}"
    return None


def load(path: Path | None = None) -> Config:
    """Read and check the config file; a missing file is an empty config."""
    path = path or config_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    config = Config(path, exists=True)
    current = data.pop(CURRENT, None)
    if current is not None and not isinstance(current, str):
        raise ConfigError(f"{path}: '{CURRENT}' must be a string")
    config.current = current
    contexts = data.pop("contexts", {})
    if not isinstance(contexts, dict):
        raise ConfigError(f"{path}: 'contexts' must be a table of [contexts.NAME] tables")
    for name, ctx in contexts.items():
        if not isinstance(ctx, dict):
            raise ConfigError(f"{path}: contexts.{name} must be a table")
        for key, value in ctx.items():
            check_value(key, value, f"{path}: contexts.{name}")
        config.contexts[name] = dict(ctx)
    config.other = data
    if config.has_secrets():
        problem = _mode_problem(path)
        if problem:
            raise ConfigError(problem)
    return config


def save(config: Config) -> None:
    """Write the config file, owner-only (it may hold secrets)."""
    import tomli_w

    write_private(config.path, tomli_w.dumps(config.to_toml()).encode())


def masked(ctx: dict[str, Any]) -> dict[str, Any]:
    """A context for display: secrets replaced by ``***``, keys in their documented order."""
    out = {key: ("***" if key in SECRET_KEYS else ctx[key]) for key in KEYS if key in ctx}
    return out
