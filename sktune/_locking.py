"""Objects that hold a lock and still pickle and copy."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["LockedState"]


class LockedState:
    """Mixin: ``self._lock`` is left out of pickles and copies, and a new one
    of ``_lock_type`` is made when they are loaded.

    Subclasses that keep more out (or fill in attributes older pickles lack)
    extend ``__getstate__`` / ``__setstate__`` and call these.

    Examples
    --------
    >>> import copy, threading
    >>> class Counter(LockedState):
    ...     def __init__(self):
    ...         self._lock = threading.Lock()
    ...         self.n = 1
    >>> copy.deepcopy(Counter()).n
    1
    """

    _lock_type: Any = threading.Lock

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = self._lock_type()
