"""Exceptions raised by sktune."""

from __future__ import annotations

__all__ = [
    "DuplicatedStudyError",
    "InvalidParameterError",
    "SktuneError",
    "StorageInternalError",
    "TrialPruned",
    "UpdateFinishedTrialError",
]


class SktuneError(Exception):
    """Base class of sktune's own exceptions."""


class InvalidParameterError(SktuneError, ValueError, TypeError):
    """A user-supplied argument is invalid.

    It subclasses both :class:`ValueError` and :class:`TypeError` (as
    scikit-learn's own ``InvalidParameterError`` does), so code catching either
    keeps working.

    Examples
    --------
    >>> from sktune.distributions import FloatDistribution
    >>> FloatDistribution(1.0, 0.0)
    Traceback (most recent call last):
    ...
    sktune.exceptions.InvalidParameterError: The 'low' parameter of FloatDistribution must be <= high=0.0. Got 1.0 instead.
    """  # noqa: E501


class TrialPruned(SktuneError):
    """Raised by an objective to signal that the trial was pruned.

    Examples
    --------
    >>> import sktune
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", 0, 1)
    ...     trial.report(x, step=0)
    ...     if x > 0.5:
    ...         raise sktune.TrialPruned()
    ...     return x
    """


class DuplicatedStudyError(SktuneError):
    """A study with the same name already exists in the storage."""


class StorageInternalError(SktuneError):
    """The storage failed in a way the caller cannot fix."""


class UpdateFinishedTrialError(SktuneError, RuntimeError):
    """A finished trial was asked to change (as Optuna's exception of that name).

    With a storage shared by several processes, another process marks a trial
    FAIL when its heartbeat stops for longer than the storage's grace period;
    :meth:`~sktune.study.Study.optimize` and ``TPESearchCV.fit`` then log a
    warning and go on with their next trial.
    """
