"""A durable storage in one SQLite file, shared safely between processes.

Design:

- The standard library's ``sqlite3``, one connection per process (guarded by
  a lock, re-opened after ``fork`` or unpickling), WAL journal, a busy
  timeout. Single-statement writes are atomic on their own; writes of several
  statements run in ``BEGIN IMMEDIATE`` transactions so that concurrent
  writers queue instead of failing.
- Values are JSON (attributes, distributions) or SQL REAL (parameters as their
  internal float, objective and intermediate values); nothing is pickled.
- Trial numbers are allocated inside the INSERT (``MAX(number) + 1``), which
  SQLite serialises, so they are unique and consecutive across processes.
- Finished trials never change, so each storage keeps them in memory per
  study; reading all trials only fetches rows newer than the last one seen
  plus the ones that were unfinished then.
- Running trials of this process get a heartbeat; other processes mark a
  RUNNING trial whose heartbeat is older than ``grace_period`` as FAIL
  (:meth:`SQLiteStorage.fail_stale_trials`, called by ``Study.ask``).
"""

from __future__ import annotations

import datetime
import fractions
import json
import numbers
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Container
from typing import Any

import numpy as np

from sktune._frozen import _FIXED_PARAMS, FrozenTrial, TrialState
from sktune._validation import is_real, param_error
from sktune.distributions import (
    BaseDistribution,
    OpaqueChoice,
    _opaque_text,
    distribution_to_json,
    json_to_distribution,
)
from sktune.exceptions import DuplicatedStudyError, StorageInternalError
from sktune.storages._base import BaseStorage
from sktune.storages._heartbeat import Heartbeat

__all__ = ["SCHEMA_VERSION", "SQLiteStorage"]

#: Version of the database layout; bumped when tables change.
SCHEMA_VERSION = 1

_PREFIX = "sqlite:///"
# Connections inherited from a parent process: never used, never closed.
_INHERITED: list[sqlite3.Connection] = []
_DEFAULT_NAME_PREFIX = "no-name-"
_RUNNING = int(TrialState.RUNNING)
_WAITING = int(TrialState.WAITING)
_USER, _SYSTEM = 0, 1
_FINISHED = tuple(s for s in TrialState if s.is_finished())

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sktune_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS studies (
    study_id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_name TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS study_attrs (
    study_id INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
    kind INTEGER NOT NULL,
    key TEXT NOT NULL,
    value_json TEXT NOT NULL,
    PRIMARY KEY (study_id, kind, key)
);
CREATE TABLE IF NOT EXISTS trials (
    trial_id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    state INTEGER NOT NULL,
    value REAL,
    datetime_start TEXT,
    datetime_complete TEXT,
    heartbeat REAL,
    UNIQUE (study_id, number)
);
CREATE INDEX IF NOT EXISTS trials_study_state ON trials (study_id, state);
CREATE TABLE IF NOT EXISTS trial_params (
    trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
    param_name TEXT NOT NULL,
    param_value REAL NOT NULL,
    distribution_json TEXT NOT NULL,
    PRIMARY KEY (trial_id, param_name)
);
CREATE TABLE IF NOT EXISTS trial_attrs (
    trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
    kind INTEGER NOT NULL,
    key TEXT NOT NULL,
    value_json TEXT NOT NULL,
    PRIMARY KEY (trial_id, kind, key)
);
CREATE TABLE IF NOT EXISTS trial_intermediate_values (
    trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    value REAL,
    PRIMARY KEY (trial_id, step)
);
"""

# The "unfinished" states, as an SQL list, and "trial ? may still change".
_UNFINISHED_SQL = f"({_RUNNING}, {_WAITING})"
_UPDATABLE_SQL = (
    f"EXISTS (SELECT 1 FROM trials WHERE trial_id = ? AND state IN {_UNFINISHED_SQL})"
)
# Above this many unfinished trials, refresh from the oldest one instead of
# listing their ids in the query.
_MAX_LISTED_IDS = 200


_JSON_SCALARS = (str, int, float, bool, type(None))
# Keys of the one-key dicts that stand for a tuple, an opaque object, or an
# escaped user dict whose only key is one of these.
_TAGS = (
    "__tuple__",
    "__opaque__",
    "__dict__",
    "__pairs__",
    "__ndarray__",
    "__fraction__",
)


def _tag(value: Any, opaque: bool, arrays: bool = False) -> Any:
    """Make ``value`` JSON-ready: tuples are tagged so that they come back as
    tuples; with ``opaque``, other objects are kept by their text (the way
    opaque categorical choices are), otherwise json.dumps refuses them. With
    ``arrays``, numeric arrays are kept exactly, as arrays; otherwise NumPy
    values become numbers and lists."""
    if isinstance(value, _JSON_SCALARS):
        return value
    if arrays and isinstance(value, np.ndarray) and value.ndim:
        # An enqueued array choice: as a list it would match no choice, and
        # as its text it could match another array printed alike.
        if value.dtype.kind in "biuf" and value.dtype.itemsize <= 8:
            data = _tag(np.asarray(value).ravel().tolist(), opaque)
            return {"__ndarray__": [value.dtype.str, list(value.shape), data]}
        return {"__opaque__": _opaque_text(value)}
    if isinstance(value, np.ndarray):
        return _tag(value.tolist(), opaque, arrays)
    if isinstance(value, np.generic):
        item = value.item()
        if isinstance(item, np.generic):  # a long double: no Python type
            item = complex(item) if np.iscomplexobj(item) else float(item)
        return _tag(item, opaque, arrays)
    if arrays and isinstance(value, fractions.Fraction):
        # An enqueued Fraction, exactly: a float distribution takes its
        # number, a Fraction choice equals it.
        return {"__fraction__": [value.numerator, value.denominator]}
    if arrays and isinstance(value, numbers.Real) and _float_equal(value):
        return float(value)  # another number type (sympy's Float, ...)
    if isinstance(value, tuple):
        return {"__tuple__": [_tag(v, opaque, arrays) for v in value]}
    if isinstance(value, list):
        return [_tag(v, opaque, arrays) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            # JSON objects hold string keys only: other keys (a dict choice
            # {0: 1, 1: 3}) go as key-value pairs, to come back as they were.
            pairs = [
                [_tag(k, opaque, arrays), _tag(v, opaque, arrays)]
                for k, v in value.items()
            ]
            return {"__pairs__": pairs}
        tagged = {k: _tag(v, opaque, arrays) for k, v in value.items()}
        if len(value) == 1 and next(iter(value)) in _TAGS:
            # A user's dict that looks like a tag is escaped, so that it comes
            # back as the dict it was.
            return {"__dict__": tagged}
        return tagged
    if opaque:
        # The text OpaqueChoice compares with (an estimator's repr may be
        # shortened, which matched no live choice).
        return {"__opaque__": _opaque_text(value)}
    return value


def _exact(kind: int, key: str) -> bool:
    """Whether an attribute keeps arrays and fractions exactly: the enqueued
    parameters (matched to choices by value)."""
    return kind == _SYSTEM and key == _FIXED_PARAMS


def _float_equal(value: Any) -> bool:
    """Whether ``value`` equals its float."""
    try:
        return bool(float(value) == value)
    except Exception:  # too large, or a comparison that fails
        return False


def _is_pairs(value: Any) -> bool:
    """Whether ``value`` is what ``_tag`` writes for a dict with a key that is
    not a string: pairs whose keys are JSON scalars or tagged tuples or
    opaque objects, one at least not a string. (A file of an earlier version
    may hold a user's dict {"__pairs__": ...} unescaped.)"""
    if not isinstance(value, list) or not value:
        return False
    keys = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2):
            return False
        key = pair[0]
        if isinstance(key, dict):
            if len(key) != 1 or next(iter(key)) not in ("__tuple__", "__opaque__"):
                return False
        elif not isinstance(key, _JSON_SCALARS):
            return False
        keys.append(key)
    return not all(isinstance(k, str) for k in keys)


def _untag(value: Any, exact: bool = False) -> Any:
    """Undo ``_tag``; ``exact``: the enqueued parameters, whose arrays and
    fractions were tagged (elsewhere such a dict is a user's, written by an
    earlier version)."""
    if isinstance(value, list):
        return [_untag(v, exact) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and "__dict__" in value:
            return {k: _untag(v, exact) for k, v in value["__dict__"].items()}
        if len(value) == 1 and "__tuple__" in value:
            return tuple(_untag(v, exact) for v in value["__tuple__"])
        if len(value) == 1 and _is_pairs(value.get("__pairs__")):
            return {_untag(k, exact): _untag(v, exact) for k, v in value["__pairs__"]}
        if len(value) == 1 and "__opaque__" in value:
            return OpaqueChoice(value["__opaque__"])
        if len(value) == 1 and exact and "__ndarray__" in value:
            array = _array(value["__ndarray__"])
            if array is not None:
                return array
        if len(value) == 1 and exact and "__fraction__" in value:
            parts = value["__fraction__"]
            if _is_fraction(parts):
                return fractions.Fraction(*parts)
        return {k: _untag(v, exact) for k, v in value.items()}
    return value


def _array(parts: Any) -> np.ndarray | None:
    """The array ``_tag`` wrote as [dtype, shape, data], or None for anything
    else (a user's dict keyed "__ndarray__" in a file of an earlier
    version)."""
    try:
        dtype, shape, data = parts
        if not (isinstance(dtype, str) and isinstance(data, list)):
            return None
        array = np.array(data, dtype=np.dtype(dtype))
        if array.dtype.kind not in "biuf" or array.ndim != 1:
            return None
        return array.reshape([int(n) for n in shape])
    except (TypeError, ValueError):
        return None


def _is_fraction(parts: Any) -> bool:
    """Whether ``parts`` is what ``_tag`` writes for a Fraction."""
    return (
        isinstance(parts, list)
        and len(parts) == 2
        and all(type(n) is int for n in parts)
        and parts[1] > 0
    )


def _dumps(value: Any, what: str, opaque: bool = False, arrays: bool = False) -> str:
    try:
        return json.dumps(_tag(value, opaque, arrays))
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"The {what} must be JSON-serialisable. Got {value!r} instead ({exc})."
        ) from None


def _loads(text: str, exact: bool = False) -> Any:
    value = json.loads(text)
    if any(tag in text for tag in _TAGS):
        return _untag(value, exact)
    return value


def _now() -> datetime.datetime:
    return datetime.datetime.now()


def _to_text(dt: datetime.datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()


def _from_text(text: str | None) -> datetime.datetime | None:
    return None if text is None else datetime.datetime.fromisoformat(text)


def _path_from_url(url: Any) -> str:
    if isinstance(url, os.PathLike):
        return os.fspath(url)
    if isinstance(url, str) and url.startswith(_PREFIX) and len(url) > len(_PREFIX):
        return url[len(_PREFIX) :]
    if isinstance(url, str) and url and "://" not in url:
        return url  # a plain path
    raise param_error(
        "SQLiteStorage", "url", "a URL 'sqlite:///path/to/file.db' or a path", url
    )


class _StudyCache:
    """What this process knows of one study's trials."""

    __slots__ = (
        "last_id",
        "position",
        "trials",
        "unfinished",
        "version",
    )

    def __init__(self) -> None:
        # trial_id -> trial, in trial_id order (which is number order).
        self.trials: dict[int, FrozenTrial] = {}
        # trial_id -> index in ``trials``.
        self.position: dict[int, int] = {}
        self.unfinished: set[int] = set()
        self.last_id = 0
        # (data_version of the file, writes of this storage) at the last read.
        self.version: tuple[int, int] | None = None


class SQLiteStorage(BaseStorage):
    """Keep studies in a SQLite file that several processes can share.

    Built on the standard library's :mod:`sqlite3` (no server to run): a
    versioned schema, transactions, WAL journal and a busy timeout. Values are
    JSON, never pickles. A process killed mid-trial leaves a consistent file;
    its RUNNING trials stop receiving heartbeats and another process marks
    them FAIL once ``grace_period`` has passed.

    Categorical choices that are dicts, lists or tuples of values JSON can
    hold come back as such. Choices that JSON cannot hold (estimators,
    functions, ..., and containers holding one) are stored by their text in
    the distribution and by index in the trial. Every trial keeps its own
    distribution, so an index is only ever read against
    the list it was drawn from: read back, such a value is an
    :class:`~sktune.distributions.OpaqueChoice` equal to the live choice with
    the same text, never "whatever is at index 0 now". Refusing a
    different choice list is the job of whoever knows the whole space:
    ``TPESearchCV`` checks its space against the stored study at the start of
    ``fit`` and names the parameter that differs (a per-parameter check here
    could not tell a changed list from another branch of a conditional space,
    where one name legitimately has several lists); define-by-run code can
    call :func:`~sktune.distributions.check_distribution_compatibility`.

    Attributes are JSON; tuples come back as tuples. User attributes must be
    JSON-serialisable (as in Optuna), apart from NumPy scalars and arrays,
    which come back as numbers and lists (and dict subclasses as dicts); in
    system attributes (sktune's own, such as the parameters of an enqueued
    trial, where numeric arrays come back as equal arrays) other objects are
    kept by their text (an estimator's parameters spelled out, a function's
    qualified name, otherwise ``repr``) and read back as
    :class:`~sktune.distributions.OpaqueChoice`, which matches the live
    choice with the same text.

    The storage is thread-safe, fork-safe and picklable: a copy (in a child
    process, or unpickled in a worker) opens its own connection on first use.

    Parameters
    ----------
    url : str or path-like
        ``"sqlite:///relative/path.db"``, ``"sqlite:////absolute/path.db"``
        (SQLAlchemy's convention, as in Optuna), or a path. The file and its
        tables are created on first use.
    heartbeat_interval : float, default=30.0
        Seconds between two heartbeats of a running trial.
    grace_period : float or None, default=None
        Seconds without a heartbeat after which another process treats a
        RUNNING trial as stale; ``None`` means ``4 * heartbeat_interval``. It
        should exceed the ``heartbeat_interval`` of every process running
        trials of the study (and the length of any suspension of their
        machines), or their live trials are failed; a process whose trial was
        failed this way logs a warning and goes on with its next trial.
    timeout : float, default=60.0
        Seconds a statement waits for a lock held by another process before
        failing (SQLite's busy timeout).
    create : bool, default=True
        Create the file and sktune's tables when missing. With False (what the
        read-only commands of the ``sktune`` CLI use), a missing file, or one
        without sktune's tables, raises
        :class:`~sktune.exceptions.StorageInternalError` and nothing is created.

    Examples
    --------
    >>> import os, tempfile
    >>> import sktune
    >>> from sktune.storages import SQLiteStorage
    >>> path = os.path.join(tempfile.mkdtemp(), "study.db")
    >>> storage = SQLiteStorage(f"sqlite:///{path}")
    >>> study = sktune.create_study(study_name="demo", storage=storage)
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
    >>> again = sktune.load_study(study_name="demo", storage=f"sqlite:///{path}")
    >>> len(again.trials)
    5
    """

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        heartbeat_interval: float = 30.0,
        grace_period: float | None = None,
        timeout: float = 60.0,
        create: bool = True,
    ) -> None:
        owner = "SQLiteStorage"
        self.path = _path_from_url(url)
        self.url = _PREFIX + self.path
        if not is_real(heartbeat_interval) or not heartbeat_interval > 0:
            raise param_error(
                owner, "heartbeat_interval", "a float > 0", heartbeat_interval
            )
        if grace_period is None:
            grace_period = 4.0 * heartbeat_interval
        elif not is_real(grace_period) or not grace_period > 0:
            raise param_error(
                owner, "grace_period", "a float > 0 or None", grace_period
            )
        if not is_real(timeout) or not timeout >= 0:
            raise param_error(owner, "timeout", "a float >= 0", timeout)
        self.heartbeat_interval = float(heartbeat_interval)
        self.grace_period = float(grace_period)
        if not isinstance(create, bool):
            raise param_error(owner, "create", "a bool", create)
        self.timeout = float(timeout)
        self.create = create
        self._reset()

    def _reset(self) -> None:
        """Forget everything tied to this process (connection, caches, beats)."""
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._conn: sqlite3.Connection | None = None
        self._caches: dict[int, _StudyCache] = {}
        self._trial_study: dict[int, int] = {}
        # Write-through copies of the trials this process created or started:
        # only their owner changes them, so get_trial reads their state only
        # when another connection has written (another handle may fail them).
        self._owned: dict[int, FrozenTrial] = {}
        # Owned trial -> PRAGMA data_version when its state was last read.
        self._owned_seen: dict[int, int] = {}
        # Trial writes made through this storage (see _refresh).
        self._writes = 0
        self._dists: dict[str, BaseDistribution] = {}
        self._heartbeat = Heartbeat(self, SQLiteStorage._beat, self.heartbeat_interval)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "url": self.url,
            "heartbeat_interval": self.heartbeat_interval,
            "grace_period": self.grace_period,
            "timeout": self.timeout,
            "create": self.create,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset()

    def __repr__(self) -> str:
        return f"SQLiteStorage({self.url!r})"

    def __del__(self, _getpid: Callable[[], int] = os.getpid) -> None:
        # (os.getpid bound at definition: at interpreter exit the module's
        # globals, os included, may already be None.)
        conn = getattr(self, "_conn", None)
        if conn is not None and getattr(self, "_pid", None) == _getpid():
            try:
                conn.close()
            except Exception:  # interpreter shutdown
                pass

    # -- connection ----------------------------------------------------------------
    def _locked(self) -> threading.RLock:
        """The lock of this process's state (fresh state in a forked child)."""
        if self._pid != os.getpid():
            # A forked child must neither use the parent's connection nor
            # wait for a lock a parent's thread held at the fork; it must not
            # close that connection either (SQLite's rule), so keep it alive.
            if self._conn is not None:
                _INHERITED.append(self._conn)
            self._reset()
        return self._lock

    def _connection(self) -> sqlite3.Connection:
        """The connection of this process; call with the lock held."""
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if not self.create and not os.path.isfile(self.path):
            raise StorageInternalError(f"No SQLite file {self.path!r}.")
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self.timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StorageInternalError(
                f"Cannot open the SQLite file {self.path!r}: {exc}."
            ) from exc
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._check_foreign(conn)  # before anything is written
            if not self.create:
                self._init_schema(conn)  # refuses a file without sktune's tables
            # WAL: readers and one writer at a time never block each other.
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            if self.create:
                self._init_schema(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StorageInternalError(
                f"{self.path!r} is not a usable sktune SQLite database: {exc}."
            ) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_foreign(self, conn: sqlite3.Connection) -> None:
        """Refuse a database that holds tables but not sktune's (an Optuna
        storage, another application's file): sktune would add its tables to
        it and could not read what it holds."""
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        }
        if not tables or "sktune_meta" in tables:
            return
        if {"studies", "trials"} <= tables and (
            "alembic_version" in tables or "version_info" in tables
        ):
            what = (
                "an Optuna storage, not an sktune one: sktune's SQLite schema "
                "is its own and cannot read Optuna's files"
            )
        else:
            shown = ", ".join(sorted(tables)[:5])
            what = f"not an sktune SQLite database: it holds other tables ({shown})"
        raise StorageInternalError(
            f"{self.path!r} is {what}. Give sktune a new file (it creates its "
            "tables) or one that sktune created."
        )

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        row = None
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sktune_meta'"
        ).fetchone()
        if has_meta:
            row = conn.execute(
                "SELECT value FROM sktune_meta WHERE key='schema_version'"
            ).fetchone()
        if row is None and not self.create:
            raise StorageInternalError(
                f"{self.path!r} holds no sktune studies (no sktune tables)."
            )
        if row is None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT OR IGNORE INTO sktune_meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            row = conn.execute(
                "SELECT value FROM sktune_meta WHERE key='schema_version'"
            ).fetchone()
        version = int(row[0])
        if version != SCHEMA_VERSION:
            raise StorageInternalError(
                f"The SQLite file {self.path!r} has schema version {version}; this "
                f"sktune reads version {SCHEMA_VERSION}. Use a matching sktune."
            )

    def _dist(self, text: str) -> BaseDistribution:
        dist = self._dists.get(text)
        if dist is None:
            dist = self._dists[text] = json_to_distribution(text)
        return dist

    # -- studies ---------------------------------------------------------------------
    def create_new_study(self, direction: str, study_name: str | None = None) -> int:
        """Create a study; raise DuplicatedStudyError if the name is taken.

        Examples
        --------
        >>> import os, tempfile
        >>> from sktune.storages import SQLiteStorage
        >>> storage = SQLiteStorage(os.path.join(tempfile.mkdtemp(), "s.db"))
        >>> study_id = storage.create_new_study("minimize", "a")
        >>> storage.get_study_name(study_id)
        'a'
        """
        if study_name is None:
            # As Optuna does; unlike "no-name-<id>", it cannot collide with a
            # name a user chose.
            study_name = f"{_DEFAULT_NAME_PREFIX}{uuid.uuid4()}"
        with self._locked():
            try:
                cur = self._connection().execute(
                    "INSERT INTO studies (study_name, direction) VALUES (?, ?)",
                    (study_name, direction),
                )
            except sqlite3.IntegrityError:
                raise DuplicatedStudyError(
                    f"A study named {study_name!r} already exists in {self.url}."
                ) from None
            study_id = int(cur.lastrowid)  # type: ignore[arg-type]
            self._caches[study_id] = _StudyCache()
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._locked():
            self._check_study(study_id)
            self._connection().execute(
                "DELETE FROM studies WHERE study_id = ?", (study_id,)
            )
            self._caches.pop(study_id, None)
            for trial_id, sid in list(self._trial_study.items()):
                if sid == study_id:
                    del self._trial_study[trial_id]
                    self._drop_owned(trial_id)

    def _check_study(self, study_id: int) -> None:
        row = (
            self._connection()
            .execute("SELECT 1 FROM studies WHERE study_id = ?", (study_id,))
            .fetchone()
        )
        if row is None:
            raise KeyError(f"No study with id {study_id} in {self.url}.")

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._locked():
            row = (
                self._connection()
                .execute(
                    "SELECT study_id FROM studies WHERE study_name = ?", (study_name,)
                )
                .fetchone()
            )
        if row is None:
            raise KeyError(f"No study named {study_name!r} in {self.url}.")
        return int(row[0])

    def _study_column(self, study_id: int, column: str) -> Any:
        with self._locked():
            row = (
                self._connection()
                .execute(
                    f"SELECT {column} FROM studies WHERE study_id = ?", (study_id,)
                )
                .fetchone()
            )
        if row is None:
            raise KeyError(f"No study with id {study_id} in {self.url}.")
        return row[0]

    def get_study_name(self, study_id: int) -> str:
        return str(self._study_column(study_id, "study_name"))

    def get_study_direction(self, study_id: int) -> str:
        return str(self._study_column(study_id, "direction"))

    def get_all_study_names(self) -> list[str]:
        with self._locked():
            rows = (
                self._connection()
                .execute("SELECT study_name FROM studies ORDER BY study_id")
                .fetchall()
            )
        return [r[0] for r in rows]

    def _set_study_attr(self, study_id: int, kind: int, key: str, value: Any) -> None:
        text = _dumps(value, f"value of study attribute {key!r}", kind == _SYSTEM)
        with self._locked():
            try:
                self._connection().execute(
                    "INSERT OR REPLACE INTO study_attrs VALUES (?, ?, ?, ?)",
                    (study_id, kind, key, text),
                )
            except sqlite3.IntegrityError:
                raise KeyError(f"No study with id {study_id} in {self.url}.") from None

    def _get_study_attrs(self, study_id: int, kind: int) -> dict[str, Any]:
        with self._locked():
            self._check_study(study_id)
            rows = (
                self._connection()
                .execute(
                    "SELECT key, value_json FROM study_attrs "
                    "WHERE study_id = ? AND kind = ?",
                    (study_id, kind),
                )
                .fetchall()
            )
        return {k: _loads(v) for k, v in rows}

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, _USER, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, _SYSTEM, key, value)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._get_study_attrs(study_id, _USER)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._get_study_attrs(study_id, _SYSTEM)

    # -- trials: writing -----------------------------------------------------------
    def create_new_trial(
        self, study_id: int, template_trial: FrozenTrial | None = None
    ) -> int:
        with self._locked():
            if template_trial is None:
                trial_id = self._insert_running(study_id)
            else:
                trial_id = self._insert_template(study_id, template_trial)
            self._trial_study[trial_id] = study_id
            return trial_id

    def _insert_trial_sql(self) -> str:
        return (
            "INSERT INTO trials (study_id, number, state, value, datetime_start, "
            "datetime_complete, heartbeat) VALUES (?, (SELECT COALESCE(MAX(number) "
            "+ 1, 0) FROM trials WHERE study_id = ?), ?, ?, ?, ?, ?)"
        )

    def _insert_running(self, study_id: int) -> int:
        conn = self._connection()
        try:
            cur = conn.execute(
                self._insert_trial_sql(),
                (
                    study_id,
                    study_id,
                    _RUNNING,
                    None,
                    _to_text(_now()),
                    None,
                    time.time(),
                ),
            )
        except sqlite3.IntegrityError:
            raise KeyError(f"No study with id {study_id} in {self.url}.") from None
        trial_id = int(cur.lastrowid)  # type: ignore[arg-type]
        self._writes += 1
        self._heartbeat.add(trial_id)
        self._owned.update(self._load("trial_id = ?", (trial_id,)))
        return trial_id

    def _insert_template(self, study_id: int, t: FrozenTrial) -> int:
        conn = self._connection()
        state = int(t.state)
        beat = time.time() if state == _RUNNING else None
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                self._insert_trial_sql(),
                (
                    study_id,
                    study_id,
                    state,
                    t.value,
                    _to_text(t.datetime_start),
                    _to_text(t.datetime_complete),
                    beat,
                ),
            )
            trial_id = int(cur.lastrowid)  # type: ignore[arg-type]
            conn.executemany(
                "INSERT INTO trial_params VALUES (?, ?, ?, ?)",
                [
                    (
                        trial_id,
                        name,
                        t.distributions[name].to_internal_repr(value),
                        distribution_to_json(t.distributions[name]),
                    )
                    for name, value in t.params.items()
                ],
            )
            conn.executemany(
                "INSERT INTO trial_attrs VALUES (?, ?, ?, ?)",
                [
                    (
                        trial_id,
                        kind,
                        k,
                        _dumps(
                            v,
                            f"trial attribute {k!r}",
                            kind == _SYSTEM,
                            _exact(kind, k),
                        ),
                    )
                    for kind, attrs in (
                        (_USER, t.user_attrs),
                        (_SYSTEM, t.system_attrs),
                    )
                    for k, v in attrs.items()
                ],
            )
            conn.executemany(
                "INSERT INTO trial_intermediate_values VALUES (?, ?, ?)",
                [
                    (trial_id, int(s), float(v))
                    for s, v in t.intermediate_values.items()
                ],
            )
            conn.execute("COMMIT")
            self._writes += 1
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK")
            self._check_study(study_id)
            raise
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if state == _RUNNING:
            self._heartbeat.add(trial_id)
        return trial_id

    def _touched(self, trial_id: int) -> None:
        """Note a change to a trial's params, reports or attributes.

        Listings show this process's running trials from their write-through
        copy, so only a change to another process's trial needs a re-read.
        """
        if trial_id not in self._owned:
            self._writes += 1

    def _refuse_update(self, trial_id: int) -> None:
        """Raise the right error for a write that matched no updatable trial."""
        self._drop_owned(trial_id)
        row = (
            self._connection()
            .execute("SELECT state FROM trials WHERE trial_id = ?", (trial_id,))
            .fetchone()
        )
        if row is None:
            raise KeyError(f"No trial with id {trial_id} in {self.url}.")
        self.check_trial_is_updatable(trial_id, TrialState(row[0]))
        raise StorageInternalError(f"Could not update trial {trial_id}.")

    def _study_of(self, trial_id: int) -> int:
        study_id = self._trial_study.get(trial_id)
        if study_id is None:
            row = (
                self._connection()
                .execute("SELECT study_id FROM trials WHERE trial_id = ?", (trial_id,))
                .fetchone()
            )
            if row is None:
                raise KeyError(f"No trial with id {trial_id} in {self.url}.")
            study_id = self._trial_study[trial_id] = int(row[0])
        return study_id

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        text = distribution_to_json(distribution)
        with self._locked():
            cur = self._connection().execute(
                "INSERT OR REPLACE INTO trial_params SELECT ?, ?, ?, ? WHERE "
                + _UPDATABLE_SQL,
                (trial_id, param_name, float(param_value_internal), text, trial_id),
            )
            if cur.rowcount != 1:
                self._refuse_update(trial_id)
            self._touched(trial_id)
            mirror = self._owned.get(trial_id)
            if mirror is not None:
                # The running trial keeps the live distribution (and choices);
                # once read back from the file, opaque choices are their repr.
                # Replace (not mutate) the dicts: earlier copies share them.
                dist = distribution
                value = dist.to_external_repr(float(param_value_internal))
                mirror.params = {**mirror.params, param_name: value}
                mirror.distributions = {**mirror.distributions, param_name: dist}

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, value: float | None = None
    ) -> bool:
        state = TrialState(state)
        now = _to_text(_now())
        with self._locked():
            conn = self._connection()
            if state == TrialState.RUNNING:
                cur = conn.execute(
                    "UPDATE trials SET state = ?, datetime_start = ?, heartbeat = ? "
                    "WHERE trial_id = ? AND state = ?",
                    (_RUNNING, now, time.time(), trial_id, _WAITING),
                )
                if cur.rowcount != 1:
                    self._study_of(trial_id)  # KeyError if there is no such trial
                    return False
                self._writes += 1
                self._heartbeat.add(trial_id)
                self._owned.update(self._load("trial_id = ?", (trial_id,)))
                return True
            sets = "state = ?"
            args: list[Any] = [int(state)]
            if value is not None:
                sets += ", value = ?"
                args.append(float(value))
            if state.is_finished():
                sets += ", datetime_complete = ?, heartbeat = NULL"
                args.append(now)
            cur = conn.execute(
                f"UPDATE trials SET {sets} WHERE trial_id = ? "
                f"AND state IN {_UNFINISHED_SQL}",
                (*args, trial_id),
            )
            if cur.rowcount != 1:
                self._refuse_update(trial_id)
            self._writes += 1
            if state.is_finished():
                self._heartbeat.discard(trial_id)
            mirror = self._owned.get(trial_id)
            if mirror is not None:
                mirror.state = state
                if value is not None:
                    mirror.value = float(value)
                if state.is_finished():
                    mirror.datetime_complete = _from_text(now)
            return True

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        with self._locked():
            cur = self._connection().execute(
                "INSERT OR REPLACE INTO trial_intermediate_values SELECT ?, ?, ? "
                "WHERE EXISTS (SELECT 1 FROM trials WHERE trial_id = ? "
                f"AND state IN {_UNFINISHED_SQL})",
                (trial_id, int(step), float(intermediate_value), trial_id),
            )
            if cur.rowcount != 1:
                self._refuse_update(trial_id)
            self._touched(trial_id)
            mirror = self._owned.get(trial_id)
            if mirror is not None:
                mirror.intermediate_values = {
                    **mirror.intermediate_values,
                    int(step): float(intermediate_value),
                }

    def _set_trial_attr(self, trial_id: int, kind: int, key: str, value: Any) -> None:
        what = f"value of trial attribute {key!r}"
        text = _dumps(value, what, kind == _SYSTEM, _exact(kind, key))
        with self._locked():
            cur = self._connection().execute(
                "INSERT OR REPLACE INTO trial_attrs SELECT ?, ?, ?, ? WHERE "
                + _UPDATABLE_SQL,
                (trial_id, kind, key, text, trial_id),
            )
            if cur.rowcount != 1:
                self._refuse_update(trial_id)
            self._touched(trial_id)
            mirror = self._owned.get(trial_id)
            if mirror is not None:
                if kind == _USER:
                    mirror.user_attrs = {**mirror.user_attrs, key: _loads(text)}
                else:
                    mirror.system_attrs = {
                        **mirror.system_attrs,
                        key: _loads(text, _exact(kind, key)),
                    }

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, _USER, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, _SYSTEM, key, value)

    # -- heartbeats ------------------------------------------------------------------
    @staticmethod
    def _beat(storage: SQLiteStorage, trial_ids: list[int]) -> None:
        with storage._lock:
            if storage._pid != os.getpid():
                return
            now = time.time()
            storage._connection().executemany(
                f"UPDATE trials SET heartbeat = ? WHERE trial_id = ? "
                f"AND state = {_RUNNING}",
                [(now, i) for i in trial_ids],
            )

    def record_heartbeat(self, trial_id: int) -> None:
        """Mark a running trial as alive now.

        The storage already does this every ``heartbeat_interval`` seconds for
        the trials this process created; call it only for trials run elsewhere.
        """
        with self._locked():
            self._connection().execute(
                "UPDATE trials SET heartbeat = ? WHERE trial_id = ? AND state = ?",
                (time.time(), trial_id, _RUNNING),
            )

    def fail_stale_trials(self, study_id: int) -> list[int]:
        """Mark RUNNING trials without a recent heartbeat as FAIL.

        A trial is stale when its heartbeat is older than ``grace_period``
        seconds and it does not belong to this process.

        Returns
        -------
        list of int
            Ids of the trials marked FAIL by this call.

        Examples
        --------
        >>> import os, tempfile
        >>> from sktune.storages import SQLiteStorage
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "s.db")
        >>> storage = SQLiteStorage(url)
        >>> study_id = storage.create_new_study("minimize", "s")
        >>> storage.fail_stale_trials(study_id)
        []
        """
        with self._locked():
            conn = self._connection()
            limit = time.time() - self.grace_period
            rows = conn.execute(
                "SELECT trial_id FROM trials WHERE study_id = ? AND state = ? "
                "AND (heartbeat IS NULL OR heartbeat < ?)",
                (study_id, _RUNNING, limit),
            ).fetchall()
            mine = self._heartbeat.trial_ids
            stale = [r[0] for r in rows if r[0] not in mine]
            failed = []
            now = _to_text(_now())
            for trial_id in stale:
                # Re-check inside the UPDATE: the owner may have beaten or
                # finished the trial in the meantime.
                cur = conn.execute(
                    "UPDATE trials SET state = ?, datetime_complete = ?, heartbeat = "
                    "NULL WHERE trial_id = ? AND state = ? AND (heartbeat IS NULL OR "
                    "heartbeat < ?)",
                    (int(TrialState.FAIL), now, trial_id, _RUNNING, limit),
                )
                if cur.rowcount == 1:
                    failed.append(int(trial_id))
                    self._writes += 1
            return failed

    # -- trials: reading -------------------------------------------------------------
    def _load(self, where: str, args: tuple) -> dict[int, FrozenTrial]:
        """Build the trials selected by ``where`` (on table ``trials``).

        One SELECT (a consistent snapshot, even while other processes write)
        returns the trial rows and their params, attributes and reports.
        """
        sub = f"SELECT trial_id FROM trials WHERE {where}"
        rows = (
            self._connection()
            .execute(
                "SELECT 0, trial_id, number, state, value, datetime_start, "
                f"datetime_complete FROM trials WHERE {where} "
                "UNION ALL SELECT 1, trial_id, rowid, param_name, param_value, "
                f"distribution_json, NULL FROM trial_params WHERE trial_id IN ({sub}) "
                "UNION ALL SELECT 2, trial_id, rowid, kind, key, value_json, NULL "
                f"FROM trial_attrs WHERE trial_id IN ({sub}) "
                "UNION ALL SELECT 3, trial_id, step, value, NULL, NULL, NULL FROM "
                f"trial_intermediate_values WHERE trial_id IN ({sub}) "
                "ORDER BY 1, 2, 3",
                args * 4,
            )
            .fetchall()
        )
        out: dict[int, FrozenTrial] = {}
        for tag, trial_id, a, b, c, d, e in rows:
            if tag == 0:
                out[trial_id] = FrozenTrial(
                    a,
                    TrialState(b),
                    c,
                    _from_text(d),
                    _from_text(e),
                    {},
                    {},
                    {},
                    {},
                    {},
                    trial_id,
                )
                continue
            t = out.get(trial_id)
            if t is None:
                continue
            if tag == 1:
                dist = self._dist(d)
                t.params[b] = dist.to_external_repr(c)
                t.distributions[b] = dist
            elif tag == 2:
                attrs = t.user_attrs if b == _USER else t.system_attrs
                attrs[c] = _loads(d, _exact(b, c))
            else:
                t.intermediate_values[a] = float("nan") if b is None else b
        return out

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._locked():
            if trial_id in self._owned:
                self._check_owned(trial_id)
            mirror = self._owned.get(trial_id)
            if mirror is not None:
                return mirror.copy()
            study_id = self._trial_study.get(trial_id)
            cache = self._caches.get(study_id) if study_id is not None else None
            if cache is not None:
                cached = cache.trials.get(trial_id)
                if cached is not None and cached.state.is_finished():
                    return cached.copy()
            found = self._load("trial_id = ?", (trial_id,))
        if trial_id not in found:
            raise KeyError(f"No trial with id {trial_id} in {self.url}.")
        return found[trial_id]

    def _drop_owned(self, trial_id: int) -> None:
        """Forget this process's copy and heartbeat of a trial it no longer
        runs (lock held)."""
        self._owned.pop(trial_id, None)
        self._owned_seen.pop(trial_id, None)
        self._heartbeat.discard(trial_id)

    def _check_owned(self, trial_id: int) -> None:
        """Drop the write-through copy of this process's running trial if
        another handle finished it (lock held). One PRAGMA when no other
        connection has written since the last check of this trial."""
        conn = self._connection()
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if self._owned_seen.get(trial_id) == version:
            return
        self._owned_seen[trial_id] = version
        row = conn.execute(
            "SELECT state FROM trials WHERE trial_id = ?", (trial_id,)
        ).fetchone()
        if row is None or TrialState(row[0]).is_finished():
            self._drop_owned(trial_id)

    def _refresh(self, study_id: int) -> _StudyCache:
        """Bring the cache of a study up to date with the file (lock held)."""
        cache = self._caches.get(study_id)
        if cache is None:
            cache = self._caches[study_id] = _StudyCache()
        # PRAGMA data_version changes when another connection commits; with
        # no commit from elsewhere and no write from here, nothing changed.
        conn = self._connection()
        version = (conn.execute("PRAGMA data_version").fetchone()[0], self._writes)
        if version == cache.version:
            return cache
        if not cache.unfinished:
            where, args = "+study_id = ? AND trial_id > ?", (study_id, cache.last_id)
        elif len(cache.unfinished) <= _MAX_LISTED_IDS:
            # "+study_id" keeps SQLite on the trial_id (rowid) ranges instead
            # of the (study_id, state) index, which would scan every trial.
            marks = ", ".join("?" * len(cache.unfinished))
            where = f"+study_id = ? AND (trial_id > ? OR trial_id IN ({marks}))"
            args = (study_id, cache.last_id, *sorted(cache.unfinished))
        else:
            where = "+study_id = ? AND trial_id >= ?"
            args = (study_id, min(cache.unfinished))
        fresh = self._load(where, args)
        if not fresh:
            try:
                self._check_study(study_id)
            except KeyError:
                self._caches.pop(study_id, None)
                raise
        for trial_id, t in fresh.items():
            old = cache.trials.get(trial_id)
            if old is not None and old.state.is_finished():
                continue
            # Replacing the value keeps the dict's (trial_id) order.
            if trial_id not in cache.position:
                cache.position[trial_id] = len(cache.trials)
            cache.trials[trial_id] = t
            self._trial_study[trial_id] = study_id
            if t.state.is_finished():
                cache.unfinished.discard(trial_id)
                self._drop_owned(trial_id)
            else:
                cache.unfinished.add(trial_id)
            cache.last_id = max(cache.last_id, trial_id)
        cache.version = version
        return cache

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        with self._locked():
            cache = self._refresh(study_id)
            owned = self._owned
            if states is not None and not any(s in states for s in _FINISHED):
                # Only unfinished states asked for: skip the finished trials.
                trials = [
                    owned.get(i) or cache.trials[i] for i in sorted(cache.unfinished)
                ]
            else:
                trials = list(cache.trials.values())
                for i in cache.unfinished:
                    # This process's running trials: their up-to-date copies.
                    if i in owned:
                        trials[cache.position[i]] = owned[i]
            if states is not None:
                trials = [t for t in trials if t.state in states]
        if deepcopy:
            return [t.copy() for t in trials]
        return trials

    def get_n_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> int:
        with self._locked():
            self._check_study(study_id)
            rows = (
                self._connection()
                .execute(
                    "SELECT state, COUNT(*) FROM trials WHERE study_id = ? "
                    "GROUP BY state",
                    (study_id,),
                )
                .fetchall()
            )
        return sum(n for s, n in rows if states is None or TrialState(s) in states)

    def get_trial_id_from_study_id_trial_number(
        self, study_id: int, trial_number: int
    ) -> int:
        with self._locked():
            row = (
                self._connection()
                .execute(
                    "SELECT trial_id FROM trials WHERE study_id = ? AND number = ?",
                    (study_id, int(trial_number)),
                )
                .fetchone()
            )
        if row is None:
            raise KeyError(f"No trial number {trial_number} in study {study_id}.")
        return int(row[0])
