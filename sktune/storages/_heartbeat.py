"""A background thread that keeps the running trials of this process alive.

A storage shared between processes cannot tell a slow trial from one whose
process died, unless the owner keeps saying "still here". The idea (and the
names ``heartbeat_interval`` / ``grace_period``) follows Optuna's RDB storage:
every ``interval`` seconds this thread refreshes the heartbeat of the trials
this process runs; another process treats a RUNNING trial whose heartbeat is
older than the grace period as stale.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["Heartbeat"]


class Heartbeat:
    """Track this process's running trials and beat for them in a thread.

    The thread runs only while there is a trial to beat for, holds the owner
    through a weak reference (so an unused storage can be collected) and is a
    daemon (so it never keeps the interpreter alive).

    Parameters
    ----------
    owner : object
        The storage; ``beat(owner, trial_ids)`` is called on it.
    beat : callable
        ``beat(owner, trial_ids)`` writes the heartbeats.
    interval : float
        Seconds between two beats.
    """

    def __init__(
        self,
        owner: Any,
        beat: Callable[[Any, list[int]], None],
        interval: float,
    ) -> None:
        self._owner = weakref.ref(owner)
        self._beat = beat
        self._interval = interval
        self._lock = threading.Lock()
        self._trial_ids: set[int] = set()
        self._thread: threading.Thread | None = None

    @property
    def trial_ids(self) -> frozenset[int]:
        """Ids of the trials this process runs."""
        with self._lock:
            return frozenset(self._trial_ids)

    def add(self, trial_id: int) -> None:
        """Start beating for ``trial_id``."""
        with self._lock:
            self._trial_ids.add(trial_id)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sktune-heartbeat", daemon=True
                )
                self._thread.start()

    def discard(self, trial_id: int) -> None:
        """Stop beating for ``trial_id`` (it finished)."""
        with self._lock:
            self._trial_ids.discard(trial_id)

    def _run(self) -> None:
        # The thread lingers for one interval after the last trial finished,
        # so that a sequential loop of short trials starts it only once.
        while True:
            time.sleep(self._interval)
            with self._lock:
                ids = sorted(self._trial_ids)
                if not ids:
                    self._thread = None
                    return
            owner = self._owner()
            if owner is None:
                return
            try:
                self._beat(owner, ids)
            except Exception:  # a missed beat is not fatal
                pass
            del owner
