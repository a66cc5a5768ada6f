"""The simulator's state: in memory, or in a JSON file shared safely by several processes.

Every request runs as one transaction: take the process lock and an exclusive ``flock`` on a sidecar lock
file, reload the file when another process changed it, handle the request, write the file back atomically
when something changed.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pvectl.sdk._core.errors import PveError
from pvectl.sim.world import build_state, credentials_of

State = dict[str, Any]


class StateError(PveError, RuntimeError):
    """The state file cannot be used (unreadable, corrupt); the message names it.

    A PveError, so that ``pvectl --sim`` commands report it as one line instead of a traceback.
    """

    exit_code = 2  # an unusable state file is bad input, not an API failure


class Txn:
    def __init__(self, state: State) -> None:
        self.state = state
        self.dirty = False

    def changed(self) -> None:
        self.dirty = True


class Store:
    def __init__(self, path: Path | None = None, seed: Mapping[str, Any] | None = None, *, reset: bool = False) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._stamp: tuple[int, int, int] | None = None
        self._state: State = {}
        if path is None:
            self._state = build_state(seed or {})
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked():
            old: State | None = None
            if path.exists():
                try:
                    old = self._read()
                except StateError:
                    if not reset:
                        raise
            if old is None or reset:
                creds = credentials_of(old) if old is not None else None
                self._state = build_state(seed or {}, creds)
                self._write()
            else:
                self._state = old

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            if self.path is None:
                yield
                return
            fd = os.open(str(self.path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        assert self.path is not None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _read(self) -> State:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise StateError(f"state file {self.path}: cannot read ({exc.strerror or exc})") from exc
        except ValueError as exc:
            raise StateError(f"state file {self.path} is corrupt ({exc}); run 'pvectl sim reset'") from exc
        if not isinstance(data, dict) or data.get("format") != 1:
            raise StateError(f"state file {self.path} is not a simulator state; run 'pvectl sim reset'")
        self._stamp = self._file_stamp()
        return data

    def _write(self) -> None:
        assert self.path is not None
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._state, fh, separators=(",", ":"))
        os.replace(tmp, self.path)
        self._stamp = self._file_stamp()

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Txn]:
        """The state for one request; written back when marked changed, rolled back when an error escapes."""
        with self._locked():
            if self.path is not None and self._file_stamp() != self._stamp:
                if self._file_stamp() is None:
                    raise StateError(f"state file {self.path} was removed; run 'pvectl sim reset'")
                self._state = self._read()
            backup = json.dumps(self._state) if write and self.path is None else None
            txn = Txn(self._state)
            try:
                yield txn
            except BaseException:
                if backup is not None:
                    self._state = json.loads(backup)
                self._stamp = None  # the file still holds the state from before: reload it next time
                raise
            if txn.dirty and self.path is not None:
                self._write()

    def snapshot(self) -> State:
        with self.transaction() as txn:
            copy: State = json.loads(json.dumps(txn.state))
            return copy
