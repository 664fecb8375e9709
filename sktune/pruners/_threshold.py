"""Prune trials whose intermediate value leaves fixed bounds."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sktune._frozen import FrozenTrial
from sktune._validation import check_real
from sktune.exceptions import InvalidParameterError
from sktune.pruners._base import BasePruner
from sktune.pruners._common import is_check_step, require_int

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["ThresholdPruner"]


class ThresholdPruner(BasePruner):
    """Prune a trial whose latest value is below ``lower``, above ``upper`` or NaN.

    The bounds are absolute, whatever the study's direction; useful to stop
    diverging trials (a loss that explodes or becomes NaN).

    Parameters
    ----------
    lower : float or None, default=None
        Prune when the latest intermediate value is smaller.
    upper : float or None, default=None
        Prune when the latest intermediate value is larger. At least one of
        ``lower`` and ``upper`` must be given, and ``lower <= upper``.
    n_warmup_steps : int, default=0
        No pruning before this step.
    interval_steps : int, default=1
        Steps between checks, after the warm-up; if a trial did not report at
        a check step, the check is made at its next report.

    Examples
    --------
    >>> import sktune
    >>> from sktune.pruners import ThresholdPruner
    >>> study = sktune.create_study(pruner=ThresholdPruner(upper=1.0))
    >>> trial = study.ask()
    >>> trial.report(0.5, step=0)
    >>> trial.should_prune()
    False
    >>> trial.report(1.5, step=1)
    >>> trial.should_prune()
    True
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        owner = type(self).__name__
        if lower is None and upper is None:
            raise InvalidParameterError(
                f"The 'lower' and 'upper' parameters of {owner} must not both be "
                "None. Got lower=None, upper=None instead."
            )
        self._lower = check_real(owner, "lower", lower, allow_none=True)
        self._upper = check_real(owner, "upper", upper, allow_none=True)
        if (
            self._lower is not None
            and self._upper is not None
            and self._lower > self._upper
        ):
            raise InvalidParameterError(
                f"The 'lower' parameter of {owner} must be <= upper={upper!r}. "
                f"Got {lower!r} instead."
            )
        self._n_warmup_steps = require_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self._interval_steps = require_int(owner, "interval_steps", interval_steps, 1)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether the latest value of ``trial`` is out of bounds or NaN.

        Parameters
        ----------
        study : Study
        trial : FrozenTrial

        Returns
        -------
        bool
        """
        step = trial.last_step
        if step is None:
            return False
        values = trial.intermediate_values
        if not is_check_step(values, step, self._n_warmup_steps, self._interval_steps):
            return False
        value = values[step]
        if math.isnan(value):
            return True
        if self._lower is not None and value < self._lower:
            return True
        return self._upper is not None and value > self._upper
