"""Where pvectl keeps its files (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / fallback


def config_file() -> Path:
    """``$PVECTL_CONFIG``, else ``$XDG_CONFIG_HOME/pvectl/config.toml`` (``~/.config/pvectl/config.toml``)."""
    override = os.environ.get("PVECTL_CONFIG")
    if override:
        return Path(override).expanduser()
    return _xdg("XDG_CONFIG_HOME", ".config") / "pvectl" / "config.toml"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/pvectl`` (``~/.cache/pvectl``)."""
    return _xdg("XDG_CACHE_HOME", ".cache") / "pvectl"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read, atomically (a reader never sees half a file)."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
