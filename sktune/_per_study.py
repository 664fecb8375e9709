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

    Keyed weakly by the storage object and by the study id. A storage that
    cannot be a weak key (unhashable, or without weak references) is held
    strongly instead, matched by identity, for the last few such storages.
    Not pickled: a copy rebuilds its states.
    """

    _MAX_STRONG = 8

    def __init__(self, factory: Callable[[], S]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._states: weakref.WeakKeyDictionary[Any, dict[int, S]] = (
            weakref.WeakKeyDictionary()
        )
        self._strong: list[tuple[Any, dict[int, S]]] = []

    def _per_storage(self, storage: Any) -> dict[int, S]:
        try:
            return self._states.setdefault(storage, {})
        except TypeError:
            for held, states in self._strong:
                if held is storage:
                    return states
            states = {}
            self._strong = [*self._strong[-(self._MAX_STRONG - 1) :], (storage, states)]
            return states

    def get(self, study: Study) -> S:
        """The state of ``study``, created on first use."""
        with self._lock:
            per_storage = self._per_storage(study._storage)
            state = per_storage.get(study._study_id)
            if state is None:
                state = per_storage[study._study_id] = self._factory()
            return state

    def __getstate__(self) -> dict[str, Any]:
        return {"_factory": self._factory}

    def __setstate__(self, state: dict[str, Any]) -> None:
        PerStudy.__init__(self, state["_factory"])
