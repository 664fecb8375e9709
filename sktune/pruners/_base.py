"""The pruner interface."""

from __future__ import annotations

import abc
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
    """

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` should be pruned now."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
