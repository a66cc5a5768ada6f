"""The simulator's state: in memory, or in a SQLite database shared safely by several processes.

The state is one dict (the layout ``world.build_state`` makes). Its big parts (``ROW_SECTIONS``: VMs, volumes,
tasks, HA resources) are ``Section`` dicts kept as one database row per entry; every other top-level key is
one row of its own. A write transaction records which entries the request touched and, at its end, writes only
those that changed, in one SQLite transaction: its cost grows with the change, not with the world, and a
process killed in the middle leaves the state from before (SQLite's journal), never half a change.

Processes share the database (WAL mode: readers never wait for the writer). Each process keeps the state in
memory and, before a request, reads the rows other processes changed since (every row carries the generation
that wrote it). In one process, reads run concurrently and writes one at a time (a readers-writer lock);
across processes, ``BEGIN IMMEDIATE`` makes writers take turns.

A process loads the small top-level rows when it opens the state, and a row section when a request first
touches it: a ``pvectl --sim`` command whose answers touch no VM row (``/version``, or an answer stored in
``answers`` by an earlier process for the same state) never parses the VM rows. A section is loaded as of the
generation the process holds; when another process has written since, the read raises ``StaleRead`` and the
simulator runs the request again on the newer state.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import orjson

from pvectl.sdk._core.errors import PveError
from pvectl.sim.world import build_state, credentials_of, first_seed, keep_credentials

State = dict[str, Any]
T = TypeVar("T")
ROW_SECTIONS = ("vms", "volumes", "tasks", "ha")
FORMAT = "2"
TOP = ""  # the section name of top-level keys
_SQLITE_MAGIC = b"SQLite format 3\x00"
_ABSENT = object()
_KEYS = "SELECT key FROM rows WHERE section = ? AND value IS NOT NULL ORDER BY rowid"
_VALUES = (
    "SELECT group_concat(value, ',') FROM"
    " (SELECT value FROM rows WHERE section = ? AND value IS NOT NULL ORDER BY rowid)"
)


class StateError(PveError, RuntimeError):
    """The state file cannot be used (unreadable, corrupt); the message names it.

    A PveError, so that ``pvectl --sim`` commands report it as one line instead of a traceback.
    """

    exit_code = 2  # an unusable state file is bad input, not an API failure


class StaleRead(RuntimeError):
    """A read touched a section not yet in memory after another process changed the state: run it again."""


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class Section(dict[str, Any]):
    """A dict whose entries a write transaction tracks: the first touch of an entry keeps its old JSON.

    Reading an entry (``[]``, ``get``) counts as a touch, since the caller may change it in place; iterating
    ``items()``/``values()`` touches everything. ``peek_items``/``peek_values`` iterate without touching, for
    callers that only read.

    A section not loaded yet has a ``loader``: its first use of any kind fills it (``Store._fill``).
    """

    __slots__ = ("loader", "touched", "tracking")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.tracking = False
        self.touched: dict[str, str | None] = {}
        self.loader: Callable[[Section], None] | None = None

    def _ready(self) -> None:
        if self.loader is not None:
            self.loader(self)

    def __contains__(self, key: object) -> bool:
        self._ready()
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[str]:
        self._ready()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._ready()
        return dict.__len__(self)

    def __repr__(self) -> str:
        return "Section(not loaded)" if self.loader is not None else dict.__repr__(self)

    def __eq__(self, other: object) -> bool:
        self._ready()
        return dict.__eq__(self, other)

    def keys(self) -> Any:
        self._ready()
        return dict.keys(self)

    def copy(self) -> dict[str, Any]:
        self._ready()
        return dict(dict.items(self))

    def _touch(self, key: str) -> None:
        self._ready()
        if self.tracking and key not in self.touched:
            old = dict.get(self, key, _ABSENT)
            self.touched[key] = None if old is _ABSENT else _dump(old)

    def _touch_all(self) -> None:
        self._ready()
        if self.tracking:
            for key in dict.keys(self):
                self._touch(key)

    def __getitem__(self, key: str) -> Any:
        if self.tracking or self.loader is not None:
            self._touch(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        if self.tracking or self.loader is not None:
            self._touch(key)
        return dict.get(self, key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self._touch(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._touch(key)
        dict.__delitem__(self, key)

    def pop(self, key: str, *default: Any) -> Any:
        self._touch(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._touch(key)
        return dict.setdefault(self, key, default)

    def values(self) -> Any:
        self._touch_all()
        return dict.values(self)

    def items(self) -> Any:
        self._touch_all()
        return dict.items(self)

    def popitem(self) -> tuple[str, Any]:
        self._touch_all()
        return dict.popitem(self)

    def clear(self) -> None:
        self._touch_all()
        dict.clear(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def peek_items(self) -> Any:
        self._ready()
        return dict.items(self)

    def peek_values(self) -> Any:
        self._ready()
        return dict.values(self)

    def __reversed__(self) -> Iterator[str]:
        self._ready()
        return dict.__reversed__(self)

    def raw_set(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)

    def raw_pop(self, key: str) -> None:
        dict.pop(self, key, None)


def sectioned(state: State) -> State:
    """``state`` with its row sections as Section dicts (in place)."""
    for name in ROW_SECTIONS:
        if not isinstance(state.get(name), Section):
            state[name] = Section(state.get(name) or {})
    return state


class Txn:
    def __init__(self, state: State, store: Store, *, write: bool) -> None:
        self.state = state
        self.store = store
        self.write = write
        self.dirty = False

    def changed(self) -> None:
        if not self.write:
            raise RuntimeError("a read transaction changed the simulator state")
        self.dirty = True

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, remembered until the state next changes (read transactions only)."""
        if self.write:
            return compute()
        return self.store.memo(name, compute)

    @property
    def stamp(self) -> str:
        """Names the state this transaction sees, across processes: equal stamps, equal states."""
        return self.store.stamp


class _RWLock:
    """Many readers or one writer; a waiting writer holds back new readers (no writer starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None
        self._depth = 0
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._writer == me:  # a writer may read
            yield
            return
        with self._cond:
            while self._writer is not None or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
            else:
                self._waiting += 1
                while self._writer is not None or self._readers:
                    self._cond.wait()
                self._waiting -= 1
                self._writer, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if not self._depth:
                    self._writer = None
                    self._cond.notify_all()


class Store:
    def __init__(
        self,
        path: Path | None = None,
        seed: Mapping[str, Any] | None = None,
        *,
        reset: bool = False,
        state: State | None = None,
    ) -> None:
        """Open (or create) the state at ``path``; ``reset`` replaces it with ``state`` or a world from ``seed``."""
        self.path = path
        self._rw = _RWLock()
        self._db_mutex = threading.Lock()
        self._fill_lock = threading.Lock()  # one reader at a time fills a section, on the main connection
        self._db: sqlite3.Connection | None = None  # used under the exclusive lock (or _fill_lock under a read)
        self._watch: sqlite3.Connection | None = None  # PRAGMA data_version for readers, under _db_mutex
        self._gen = 0
        self._epoch = ""
        self._data_version = 0
        self._top_json: dict[str, str] = {}
        self._memo: dict[str, tuple[int, Any]] = {}
        self._loaded: set[str] = set(ROW_SECTIONS)  # the row sections in memory (all, unless opened from a file)
        self.generation = 0  # bumps whenever the in-memory state changes (memo and answer caches key on it)
        self._state: State = {}
        if path is None:
            self._state = sectioned(state if state is not None else build_state(seed or first_seed()))
            self._top_json = {k: _dump(v) for k, v in self._state.items() if k not in ROW_SECTIONS}
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = False
        try:
            legacy = _legacy_state(path)
        except StateError:
            if not reset:
                raise
            legacy, fresh = None, True
        if legacy is not None and not reset:
            state, seed, reset = legacy, {}, True  # migrated from a format-1 JSON state (kept beside as *.v1)
        self._connect(path, fresh=fresh or legacy is not None, reset=reset)
        with self._rw.write():
            db = self._conn()
            if not reset:  # opening an existing state only reads: processes start side by side
                db.execute("BEGIN")
                try:
                    fmt = self._info("format")
                    if fmt == FORMAT:
                        self._load_top()
                        return
                finally:
                    db.execute("COMMIT")
            db.execute("BEGIN IMMEDIATE")
            try:
                fmt = self._info("format")
                if fmt is not None and fmt != FORMAT:
                    raise StateError(f"state file {path} is not a simulator state; run 'pvectl sim reset'")
                if fmt is None or reset:
                    old_creds = self._stored_credentials() if fmt is not None else None
                    fresh_state = state if state is not None else build_state(seed or first_seed())
                    if old_creds is not None:
                        keep_credentials(fresh_state, old_creds, seed or {})
                    self._replace(sectioned(fresh_state))
                else:
                    self._load_top()
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # -- the database ------------------------------------------------------------------------------------

    def _connect(self, path: Path, *, fresh: bool, reset: bool) -> None:
        if fresh:
            path.unlink(missing_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            db = sqlite3.connect(path, timeout=60.0, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a killed process never loses or tears a committed transaction.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS rows (section TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
                " gen INTEGER NOT NULL, PRIMARY KEY (section, key))"
            )
            db.execute("CREATE INDEX IF NOT EXISTS rows_by_gen ON rows (gen)")
            db.execute("CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers"
                " (key TEXT PRIMARY KEY, stamp TEXT NOT NULL, rendered REAL NOT NULL, body BLOB NOT NULL)"
            )
        except sqlite3.DatabaseError as exc:
            if reset and not fresh:
                self._connect(path, fresh=True, reset=reset)
                return
            raise StateError(f"state file {path} is corrupt ({exc}); run 'pvectl sim reset'") from exc
        self._db = db

    def _conn(self) -> sqlite3.Connection:
        assert self._db is not None
        return self._db

    def reopen(self) -> None:
        """Open the database again after :meth:`close`, with new locks: how a process forked from this one
        (``sim serve --workers``) gets its own connections, since SQLite connections must not cross a fork
        (sqlite.org/howtocorrupt.html, 2.6). The next read picks up what other processes wrote meanwhile."""
        self._rw = _RWLock()
        self._db_mutex = threading.Lock()
        self._fill_lock = threading.Lock()
        self._data_version = 0
        if self.path is not None and self._db is None:
            self._connect(self.path, fresh=False, reset=False)

    def _info(self, name: str) -> str | None:
        row = self._conn().execute("SELECT value FROM info WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def _set_info(self, name: str, value: str) -> None:
        self._conn().execute(
            "INSERT INTO info (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def _stored_credentials(self) -> dict[str, str] | None:
        row = self._conn().execute("SELECT value FROM rows WHERE section = ? AND key = 'users'", (TOP,)).fetchone()
        if row is None or row[0] is None:
            return None
        try:
            return credentials_of({"users": json.loads(row[0])})
        except (ValueError, KeyError, StopIteration, TypeError):
            return None

    def _replace(self, state: State) -> None:
        """Write a whole new state (reset, migration); processes holding the old one reload (new epoch)."""
        db = self._conn()
        gen = int(self._info("gen") or 0) + 1
        db.execute("DELETE FROM rows")
        db.execute("DELETE FROM answers")
        rows: list[tuple[str, str, str, int]] = []
        for key, value in state.items():
            if key in ROW_SECTIONS:
                rows += [(key, k, _dump(v), gen) for k, v in dict.items(value)]
            else:
                rows.append((TOP, key, _dump(value), gen))
        db.executemany("INSERT INTO rows (section, key, value, gen) VALUES (?, ?, ?, ?)", rows)
        self._epoch = secrets.token_hex(8)
        self._set_info("format", FORMAT)
        self._set_info("gen", str(gen))
        self._set_info("epoch", self._epoch)
        self._state = state
        self._gen = gen
        self._loaded = set(ROW_SECTIONS)
        self._top_json = {k: _dump(v) for k, v in state.items() if k not in ROW_SECTIONS}
        self._changed()

    def _corrupt(self, exc: Exception) -> StateError:
        return StateError(f"state file {self.path} is corrupt ({exc}); run 'pvectl sim reset'")

    def _load_top(self) -> None:
        """Load the top-level rows; each row section waits, as a placeholder, for its first use (inside a
        database transaction)."""
        db = self._conn()
        self._gen = int(self._info("gen") or 0)
        self._epoch = self._info("epoch") or ""
        state: State = {}
        top: dict[str, str] = {}
        try:
            for key, value in db.execute("SELECT key, value FROM rows WHERE section = ? AND value IS NOT NULL", (TOP,)):
                top[key] = value
                state[key] = orjson.loads(value)
        except ValueError as exc:
            raise self._corrupt(exc) from exc
        if "users" not in state or "version" not in state:
            raise StateError(f"state file {self.path} is not a simulator state; run 'pvectl sim reset'")
        for name in ROW_SECTIONS:
            placeholder = Section()
            placeholder.loader = partial(self._fill, name)
            state[name] = placeholder
        self._state, self._top_json, self._loaded = state, top, set()
        self._changed()

    def _load_sections(self, names: tuple[str, ...]) -> None:
        """Load the row sections of ``names`` not yet in memory, as of ``self._gen`` (inside the database
        transaction that brought the state up to that generation)."""
        for name in names:
            if name not in self._loaded:
                self._read_section(name, self._state[name])

    def _read_section(self, name: str, section: Section) -> None:
        db = self._conn()
        try:
            # One JSON array per section: a single parse instead of one per row (orjson: 2.5x json's speed).
            keys = [k for (k,) in db.execute(_KEYS, (name,))]
            (text,) = db.execute(_VALUES, (name,)).fetchone()
            values = orjson.loads(f"[{text or ''}]")
        except ValueError as exc:
            raise self._corrupt(exc) from exc
        if len(values) != len(keys):
            raise self._corrupt(ValueError(f"section {name}: {len(keys)} keys, {len(values)} values"))
        dict.update(section, zip(keys, values, strict=True))
        section.loader = None
        self._loaded.add(name)

    def _fill(self, name: str, section: Section) -> None:
        """A reader's first use of a section: load it as of the generation this process holds.

        Runs under a read lock (no writer and no refresh in this process meanwhile). When another process has
        written since, the rows of this generation are gone: StaleRead, and the next transaction refreshes.
        """
        with self._fill_lock:
            if section.loader is None:  # another reader filled it meanwhile
                return
            db = self._conn()
            db.execute("BEGIN")
            try:
                same = (self._info("epoch") or "") == self._epoch and int(self._info("gen") or 0) == self._gen
                if not same or self._state.get(name) is not section:
                    self._data_version = -1  # make the next transaction refresh
                    raise StaleRead(f"section {name}: the state changed since generation {self._gen}")
                self._read_section(name, section)
            finally:
                db.execute("COMMIT")

    def _refresh(self) -> None:
        """Apply the rows other processes wrote since this one last looked (inside a database transaction).

        Rows of sections not in memory are skipped: loading such a section later reads them as they are then.
        """
        db = self._conn()
        if (self._info("epoch") or "") != self._epoch:
            loaded = tuple(name for name in ROW_SECTIONS if name in self._loaded)
            self._load_top()
            self._load_sections(loaded)
            return
        gen = int(self._info("gen") or 0)
        if gen == self._gen:
            return
        for section, key, value in db.execute(
            "SELECT section, key, value FROM rows WHERE gen > ? ORDER BY rowid", (self._gen,)
        ):
            if section == TOP:
                if value is None:
                    self._state.pop(key, None)
                    self._top_json.pop(key, None)
                else:
                    self._state[key] = json.loads(value)
                    self._top_json[key] = value
            elif section not in self._loaded:
                continue  # loaded later, as it is then
            elif value is None:
                self._state[section].raw_pop(key)
            else:
                self._state[section].raw_set(key, json.loads(value))
        self._gen = gen
        self._changed()

    def _watcher(self) -> sqlite3.Connection:
        """The connection for what needs no state lock (under ``_db_mutex``): data_version, stored answers.

        Its busy timeout is short: storing an answer is worth a try, never a wait behind another writer.
        """
        assert self.path is not None
        if self._watch is None:
            self._watch = sqlite3.connect(self.path, timeout=0.05, isolation_level=None, check_same_thread=False)
        return self._watch

    def _check_others(self) -> bool:
        """True when another process committed since the last check (cheap: no lock on the state)."""
        if self._db is None or self.path is None:
            return False
        with self._db_mutex:
            # Every commit but the watcher's own counts, this process's writes too: those refresh cheaply.
            version = int(self._watcher().execute("PRAGMA data_version").fetchone()[0])
            if version == self._data_version:
                return False
            self._data_version = version
            return True

    def stored_answer(self, key: str, stamp: str) -> tuple[float, bytes] | None:
        """(when it was rendered, the body) of the answer a process stored for ``key`` at ``stamp``."""
        if self._db is None:
            return None
        with self._db_mutex:
            row = self._watcher().execute("SELECT stamp, rendered, body FROM answers WHERE key = ?", (key,)).fetchone()
        return (float(row[1]), bytes(row[2])) if row is not None and row[0] == stamp else None

    def store_answer(self, key: str, stamp: str, rendered: float, body: bytes) -> None:
        """Keep an answer body for the processes that come next (best effort: skipped while another writes).

        Its commit is the watcher's own, so it makes no process here refresh; other processes' refresh finds
        the generation unchanged and reads nothing.
        """
        if self._db is None:
            return
        # Locked by a writer, or a read-only file: the next process renders it again.
        with self._db_mutex, suppress(sqlite3.OperationalError):
            self._watcher().execute(
                "INSERT INTO answers (key, stamp, rendered, body) VALUES (?, ?, ?, ?) ON CONFLICT (key)"
                " DO UPDATE SET stamp = excluded.stamp, rendered = excluded.rendered, body = excluded.body",
                (key, stamp, rendered, body),
            )

    # -- transactions ------------------------------------------------------------------------------------

    def _changed(self) -> None:
        self.generation += 1
        self._memo.clear()

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        gen = self.generation
        hit = self._memo.get(name)
        if hit is not None and hit[0] == gen:
            value: T = hit[1]
            return value
        value = compute()
        self._memo[name] = (gen, value)
        return value

    @property
    def loaded(self) -> frozenset[str]:
        """The row sections in memory (the others load when first touched)."""
        return frozenset(self._loaded)

    @property
    def stamp(self) -> str:
        """The state's name across processes (its epoch and generation); in memory, this object's generation."""
        if self.path is None:
            return f"memory:{id(self)}:{self.generation}"
        return f"{self._epoch}:{self._gen}"

    @contextmanager
    def transaction(self, *, write: bool = False, sections: tuple[str, ...] = ROW_SECTIONS) -> Iterator[Txn]:
        """The state for one request. Reads share it; a write's changes are stored at its end, undone on error.

        A read loads the row ``sections`` it names (all by default) before it starts; the others load when it
        first touches them, and may raise StaleRead then (another process wrote since this one last looked).
        """
        if not write:
            missing = any(name not in self._loaded for name in sections)
            if self._check_others() or missing:
                with self._rw.write():
                    self._conn().execute("BEGIN")
                    try:
                        self._refresh()
                        self._load_sections(sections)
                    finally:
                        self._conn().execute("COMMIT")
            with self._rw.read():
                yield Txn(self._state, self, write=False)
            return
        with self._rw.write():
            db = self._db
            if db is not None:
                db.execute("BEGIN IMMEDIATE")  # the database's one writer, across processes
            tracked: list[Section] = []
            try:
                if db is not None:
                    self._refresh()
                    self._load_sections(ROW_SECTIONS)
                tracked = [self._state[name] for name in ROW_SECTIONS]
                for section in tracked:
                    section.tracking = True
                txn = Txn(self._state, self, write=True)
                yield txn
                for section in tracked:
                    section.tracking = False
                self._commit(tracked)
            except BaseException:
                for section in tracked:
                    section.tracking = False
                self._undo(tracked)
                if db is not None:
                    db.execute("ROLLBACK")
                raise
            finally:
                for section in tracked:
                    section.touched = {}

    def _commit(self, sections: list[Section]) -> None:
        rows: list[tuple[str, str, str | None]] = []
        for name, section in zip(ROW_SECTIONS, sections, strict=True):
            for key, old in section.touched.items():
                value = dict.get(section, key, _ABSENT)
                new = None if value is _ABSENT else _dump(value)
                if new != old:
                    rows.append((name, key, new))
        top: dict[str, str | None] = {}
        for key, value in self._state.items():
            if key not in ROW_SECTIONS:
                dumped = _dump(value)
                if self._top_json.get(key) != dumped:
                    top[key] = dumped
        for key in self._top_json.keys() - self._state.keys():
            top[key] = None
        rows += [(TOP, key, text) for key, text in top.items()]
        db = self._db
        if db is not None:
            if rows:
                gen = self._gen + 1
                db.executemany(
                    "INSERT INTO rows (section, key, value, gen) VALUES (?, ?, ?, ?) ON CONFLICT (section, key)"
                    " DO UPDATE SET value = excluded.value, gen = excluded.gen",
                    [(*row, gen) for row in rows],
                )
                self._set_info("gen", str(gen))
                self._gen = gen
            db.execute("COMMIT")
        for key, text in top.items():
            if text is None:
                self._top_json.pop(key, None)
            else:
                self._top_json[key] = text
        if rows:
            self._changed()

    def _undo(self, sections: list[Section]) -> None:
        for section in sections:
            for key, old in section.touched.items():
                if old is None:
                    section.raw_pop(key)
                else:
                    section.raw_set(key, json.loads(old))
        for key in list(self._state):
            if key not in ROW_SECTIONS and key not in self._top_json:
                del self._state[key]
        for key, text in self._top_json.items():
            if _dump(self._state.get(key)) != text:
                self._state[key] = json.loads(text)
        self._changed()

    # -- whole-state views -------------------------------------------------------------------------------

    def snapshot(self) -> State:
        """A deep copy of the whole state as plain dicts (tests, tools; costs as much as the world is big)."""
        with self.transaction() as txn:
            copy: State = json.loads(_dump(txn.state))
            return copy

    def credentials(self) -> dict[str, str]:
        """root@pam's password and API token, without copying the state."""
        with self.transaction(sections=()) as txn:
            return credentials_of(txn.state)

    def summary(self) -> dict[str, Any]:
        """What ``sim status`` shows: version, nodes, counts, faults in force."""
        with self.transaction(sections=("vms", "tasks")) as txn:
            state = txn.state
            running = sum(t["status"] == "running" for t in state["tasks"].peek_values())
            return {
                "version": state["version"],
                "nodes": list(state["nodes"]),
                "vms": sum(vm.get("type") != "lxc" for vm in state["vms"].peek_values()),
                "containers": sum(vm.get("type") == "lxc" for vm in state["vms"].peek_values()),
                "tasks": len(state["tasks"]),
                "running_tasks": running,
                "faults": list(state.get("faults", [])) + list(state.get("env_faults", [])),
            }

    def close(self) -> None:
        with self._db_mutex:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        if self._db is not None:
            self._db.close()
            self._db = None


def _legacy_state(path: Path) -> State | None:
    """A format-1 state (one JSON document) at ``path``, or beside it as ``state.json``; None when there is none."""
    from pvectl.sim.migrate import from_v1

    candidates = [path]
    if path.name != "state.json":
        candidates.append(path.with_name("state.json"))
    for candidate in candidates:
        try:
            with open(candidate, "rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except OSError:
            continue
        if head == _SQLITE_MAGIC or (candidate != path and path.exists()):
            return None
        if not head:
            continue
        try:
            data = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            if candidate != path:
                return None
            raise StateError(f"state file {path} is corrupt ({exc}); run 'pvectl sim reset'") from exc
        if not isinstance(data, dict) or data.get("format") != 1:
            if candidate != path:
                return None
            raise StateError(f"state file {path} is not a simulator state; run 'pvectl sim reset'")
        state = from_v1(data)
        os.replace(candidate, candidate.with_name(candidate.name + ".v1"))
        return state
    return None
