"""Test helpers (not a test module): studies whose trials reported known values."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence

import sktune
from sktune.study import Study
from sktune.trial import FrozenTrial, TrialState

Curve = Sequence[float] | dict[int, float]


def _as_dict(curve: Curve) -> dict[int, float]:
    return dict(curve) if isinstance(curve, dict) else dict(enumerate(curve))


def add_finished(
    study: Study,
    curve: Curve,
    state: TrialState = TrialState.COMPLETE,
    system_attrs: dict | None = None,
) -> None:
    """Add a finished trial that reported ``curve`` (step -> value)."""
    values = _as_dict(curve)
    now = datetime.datetime.now()
    value = values[max(values)] if state == TrialState.COMPLETE and values else None
    if state == TrialState.COMPLETE and (value is None or math.isnan(value)):
        value = 0.0  # (add_trial refuses a COMPLETE trial without a number)
    study.add_trial(
        FrozenTrial(
            0,
            state,
            value,
            now,
            now,
            {},
            {},
            {},
            dict(system_attrs or {}),
            values,
            0,
        )
    )


def probe(study: Study, curve: Curve, finish: TrialState | None = None) -> list[bool]:
    """Start a trial, report ``curve`` step by step, and collect should_prune().

    The trial is then told ``finish`` (left running when None).
    """
    trial = study.ask()
    out = []
    for step, value in _as_dict(curve).items():
        trial.report(value, step)
        out.append(trial.should_prune())
    if finish is not None:
        study.tell(trial, state=finish)
    return out


def run(study: Study, curve: Curve) -> int | None:
    """Run a trial like an objective: stop at the first prune.

    Returns the step at which it was pruned, or None when it completed.
    """
    trial = study.ask()
    values = _as_dict(curve)
    for step, value in values.items():
        trial.report(value, step)
        if trial.should_prune():
            study.tell(trial, state=TrialState.PRUNED)
            return step
    study.tell(trial, values[max(values)])
    return None


def make_study(pruner: sktune.pruners.BasePruner, direction: str = "minimize") -> Study:
    """A fresh in-memory study with ``pruner``."""
    return sktune.create_study(pruner=pruner, direction=direction)
