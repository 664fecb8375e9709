"""Caches that belong to one study of one live storage object.

Samplers and pruners keep incremental state per study. ``id(storage)`` is not
a safe key for it: once a storage is garbage-collected its id is reused, and a
new study (also numbered 0) would be served the dead study's state.
:class:`PerStudy` holds the storage weakly, so a dead storage never matches.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["PerStudy"]

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
