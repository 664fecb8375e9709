"""Caches that belong to one study of one live storage object.

Samplers and pruners keep incremental state per study. ``id(storage)`` is not
a safe key for it: once a storage is garbage-collected its id is reused, and a
new study (also numbered 0) would be served the dead study's state. Both
helpers here hold the storage weakly, so a dead storage never matches.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["PerStudy", "StudyRef"]

S = TypeVar("S")


class PerStudy(Generic[S]):
    """One state object per study, dropped with the study's storage.

    Keyed weakly by the storage object and by the study id. Storages that
    cannot be weakly referenced get a fresh state on each call (correct, but
    without the cache). Not pickled: a copy rebuilds its states.
    """

    def __init__(self, factory: Callable[[], S]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._states: weakref.WeakKeyDictionary[Any, dict[int, S]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, study: Study) -> S:
        """The state of ``study``, created on first use."""
        with self._lock:
            try:
                per_storage = self._states.setdefault(study._storage, {})
            except TypeError:
                return self._factory()
            state = per_storage.get(study._study_id)
            if state is None:
                state = per_storage[study._study_id] = self._factory()
            return state

    def __getstate__(self) -> dict[str, Any]:
        return {"_factory": self._factory}

    def __setstate__(self, state: dict[str, Any]) -> None:
        PerStudy.__init__(self, state["_factory"])


def _dead() -> None:
    return None


class StudyRef:
    """Which study a single-study cache was built for.

    ``refers_to(study)`` is true only for the same study id of the very same
    storage object, while it lives. A storage that cannot be weakly
    referenced is held strongly. A pickled copy refers to no study, since the
    storage it names is not the one the copy will meet.
    """

    __slots__ = ("_ref", "_study_id")

    def __init__(self, study: Study) -> None:
        storage = study._storage
        try:
            self._ref: Callable[[], Any] = weakref.ref(storage)
        except TypeError:
            self._ref = lambda: storage
        self._study_id = study._study_id

    def refers_to(self, study: Study) -> bool:
        return self._ref() is study._storage and self._study_id == study._study_id

    def __getstate__(self) -> tuple[None, int]:
        return (None, self._study_id)

    def __setstate__(self, state: tuple[None, int]) -> None:
        self._ref = _dead
        self._study_id = state[1]
