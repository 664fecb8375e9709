"""sktune's log messages, controlled with Optuna's functions.

sktune logs to the standard library's ``"sktune"`` logger: a line per
finished trial of :meth:`Study.optimize <sktune.Study.optimize>` at INFO,
lost results and caught failures at WARNING. Unlike Optuna, which prints the
INFO lines from the start, sktune is quiet by default, as scikit-learn is:
until one of the functions below is called, the logger has no handler of its
own, so only warnings reach ``stderr`` (through :mod:`logging`'s last-resort
handler) and an application's logging configuration applies unchanged.

:func:`set_verbosity` and :func:`enable_default_handler` attach sktune's
default handler (to ``stderr``) and, as Optuna does, stop propagation to the
root logger, so that no line is printed twice; :func:`enable_propagation`
and :func:`disable_default_handler` undo that.

Examples
--------
>>> import sktune
>>> sktune.logging.set_verbosity(sktune.logging.WARNING)
>>> sktune.logging.get_verbosity() == sktune.logging.WARNING
True
>>> sktune.logging.disable_default_handler()
>>> sktune.logging.enable_propagation()
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from sktune._validation import is_int

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "WARNING",
    "disable_default_handler",
    "disable_propagation",
    "enable_default_handler",
    "enable_propagation",
    "get_logger",
    "get_verbosity",
    "set_verbosity",
]

CRITICAL = logging.CRITICAL
FATAL = logging.FATAL
ERROR = logging.ERROR
WARNING = logging.WARNING
WARN = logging.WARN
INFO = logging.INFO
DEBUG = logging.DEBUG

_ROOT = "sktune"
_lock = threading.Lock()
_handler: logging.Handler | None = None


class _StderrHandler(logging.StreamHandler):
    """A stream handler to whatever ``sys.stderr`` is when a record comes
    (Jupyter and test runners replace it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _root() -> logging.Logger:
    return logging.getLogger(_ROOT)


def _attach(again: bool = False) -> None:
    """Attach the default handler (propagation off, as in Optuna): the first
    time, or ``again`` after :func:`disable_default_handler`."""
    global _handler
    with _lock:
        if _handler is None:
            _handler = _StderrHandler()
            _handler.setFormatter(
                logging.Formatter("[%(levelname)1.1s %(asctime)s] %(message)s")
            )
        elif not again:
            return
        root = _root()
        if _handler not in root.handlers:
            root.addHandler(_handler)
            root.propagate = False


def get_logger(name: str) -> logging.Logger:
    """The logger ``name`` (``"sktune"`` or one of its children).

    Examples
    --------
    >>> import sktune
    >>> sktune.logging.get_logger("sktune").name
    'sktune'
    """
    return logging.getLogger(name)


def get_verbosity() -> int:
    """The level below which sktune's messages are dropped.

    Examples
    --------
    >>> import sktune
    >>> sktune.logging.get_verbosity() in (10, 20, 30, 40, 50)
    True
    """
    return _root().getEffectiveLevel()


def set_verbosity(verbosity: int | str) -> None:
    """Show sktune's messages of level ``verbosity`` and above (e.g.
    ``sktune.logging.INFO`` or ``"INFO"`` for a line per trial), through the
    default handler.

    Examples
    --------
    >>> import sktune
    >>> sktune.logging.set_verbosity(sktune.logging.WARNING)
    """
    if isinstance(verbosity, str):
        level = logging.getLevelName(verbosity.upper())
        if not isinstance(level, int):
            raise ValueError(
                "The 'verbosity' parameter of set_verbosity must be a level "
                f"such as sktune.logging.INFO or 'INFO'. Got {verbosity!r} instead."
            )
        verbosity = level
    if not is_int(verbosity) or isinstance(verbosity, bool):
        raise TypeError(
            "The 'verbosity' parameter of set_verbosity must be a level such "
            f"as sktune.logging.INFO or 'INFO'. Got {verbosity!r} instead."
        )
    _attach()
    _root().setLevel(int(verbosity))


def enable_default_handler() -> None:
    """Print sktune's messages to ``stderr`` with its own handler."""
    _attach(again=True)


def disable_default_handler() -> None:
    """Remove sktune's default handler (messages then go wherever the
    application's logging configuration sends them, if propagation is on)."""
    with _lock:
        if _handler is not None:
            _root().removeHandler(_handler)


def enable_propagation() -> None:
    """Pass sktune's messages on to the root logger's handlers too (disable
    the default handler to avoid printing them twice)."""
    _root().propagate = True


def disable_propagation() -> None:
    """Stop sktune's messages at sktune's own handlers."""
    _root().propagate = False
