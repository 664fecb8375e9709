"""Storages: where studies and trials are kept."""

from __future__ import annotations

from typing import Any

from sktune._validation import param_error
from sktune.storages._base import BaseStorage
from sktune.storages._in_memory import InMemoryStorage

__all__ = ["BaseStorage", "InMemoryStorage", "SQLiteStorage", "get_storage"]


def __getattr__(name: str) -> Any:
    if name == "SQLiteStorage":
        from sktune.storages._sqlite import SQLiteStorage

        return SQLiteStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_storage(
    storage: BaseStorage | str | None, owner: str = "create_study"
) -> BaseStorage:
    """Turn a storage argument (None, a URL or a storage) into a storage.

    Parameters
    ----------
    storage : None, str or BaseStorage
        ``None`` for a new in-memory storage, ``"sqlite:///path.db"`` for a
        SQLite file, or a storage object, returned as it is.
    owner : str, default="create_study"
        The function named in the error for a bad ``storage``.

    Examples
    --------
    >>> from sktune.storages import get_storage
    >>> type(get_storage(None)).__name__
    'InMemoryStorage'
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        if storage.startswith("sqlite:///"):
            from sktune.storages._sqlite import SQLiteStorage

            return SQLiteStorage(storage)
        raise param_error(
            owner,
            "storage",
            "None, a BaseStorage or a URL starting with 'sqlite:///'",
            storage,
        )
    raise param_error(owner, "storage", "None, a BaseStorage or a URL string", storage)
