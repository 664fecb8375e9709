"""The pruner interface."""

from __future__ import annotations

import abc
import inspect
from typing import TYPE_CHECKING

from sktune._frozen import FrozenTrial

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["BasePruner"]


class BasePruner(abc.ABC):
    """Decides whether a running trial should stop.

    A pruner sees the trial's reported intermediate values
    (``trial.intermediate_values``) and the study's other trials, and answers
    :meth:`prune`. It never stops anything itself: the objective (or the
    search loop) asks ``trial.should_prune()`` and acts on the answer.

    Examples
    --------
    >>> import sktune
    >>> from sktune.pruners import BasePruner
    >>> class AboveOne(BasePruner):
    ...     def prune(self, study, trial):
    ...         step = trial.last_step
    ...         return step is not None and trial.intermediate_values[step] > 1
    >>> trial = sktune.create_study(pruner=AboveOne()).ask()
    >>> trial.report(2.0, step=0)
    >>> trial.should_prune()
    True
    """

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` should be pruned now.

        Parameters
        ----------
        study : Study
            The study the trial belongs to.
        trial : FrozenTrial
            The running trial, with what it has reported so far.

        Returns
        -------
        bool
        """

    def __repr__(self) -> str:
        # Show each constructor parameter, read from the attribute "_<name>".
        params = inspect.signature(type(self).__init__).parameters
        shown = [
            f"{name}={getattr(self, '_' + name)!r}"
            for name in params
            if name != "self" and hasattr(self, "_" + name)
        ]
        return f"{type(self).__name__}({', '.join(shown)})"
