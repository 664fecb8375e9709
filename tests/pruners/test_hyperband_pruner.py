"""HyperbandPruner: brackets, their allocation, and per-bracket decisions."""

from __future__ import annotations

import numpy as np
import pytest
from pruner_helpers import make_study, probe, run

import sktune
from sktune.pruners import HyperbandPruner
from sktune.pruners._hyperband import (
    BRACKET_KEY,
    bracket_budgets,
    bracket_of_number,
    n_brackets,
)
from sktune.trial import TrialState


def test_brackets_and_budgets_match_the_paper():
    # Li et al. (2017), Table 1: R = 81, eta = 3 gives five brackets with
    # 81, 34, 15, 8 and 5 configurations.
    assert n_brackets(1, 81, 3) == 5
    assert bracket_budgets(5, 3) == [81, 34, 15, 8, 5]
    assert n_brackets(1, 80, 3) == 4
    assert n_brackets(2, 2, 3) == 1
    assert n_brackets(1, 243, 3) == 6  # exact, no floating-point log


def test_bracket_of_number_is_deterministic_and_proportional():
    budgets = [81, 34, 15, 8, 5]
    cumulative = list(np.cumsum(budgets))
    brackets = [bracket_of_number(n, cumulative) for n in range(5000)]
    assert brackets == [bracket_of_number(n, cumulative) for n in range(5000)]
    shares = np.bincount(brackets, minlength=5) / len(brackets)
    np.testing.assert_allclose(shares, np.array(budgets) / sum(budgets), atol=0.01)
    # Consecutive trials are spread over the brackets, not in blocks.
    assert len(set(brackets[:10])) >= 3


def test_trials_compete_only_within_their_bracket():
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = make_study(pruner)
    cumulative = list(np.cumsum(bracket_budgets(3, 3)))
    bracket1_values = iter([10.0, 5.0, 20.0, 30.0])
    outcomes: dict[int, list] = {0: [], 1: [], 2: []}
    for number in range(40):
        bracket = bracket_of_number(number, cumulative)
        if bracket == 1:
            value = next(bracket1_values, None)
            if value is None:
                break
        else:
            value = 0.0 if bracket == 0 else 100.0
        outcomes[bracket].append(run(study, [value] * 9))
        assert study.trials[number].system_attrs[BRACKET_KEY] == bracket
    # Bracket 1 (rung 0 ends at step 3): 10 is alone, 5 the best of two; 20
    # and 30 are not the best of three or four. Bracket-0 trials (all 0.0)
    # would beat 5 if brackets were mixed.
    assert outcomes[1] == [None, None, 3, 3]
    assert all(o is None for o in outcomes[0])
    assert outcomes[2] and all(o is None for o in outcomes[2])


def test_bracket_sets_the_first_rung():
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = make_study(pruner)
    cumulative = list(np.cumsum(bracket_budgets(3, 3)))
    first_prune = {}
    for number in range(40):
        bracket = bracket_of_number(number, cumulative)
        # Every trial is worse than all earlier ones.
        decisions = probe(study, [float(number)] * 9, finish=TrialState.FAIL)
        if True in decisions and bracket not in first_prune:
            first_prune[bracket] = decisions.index(True)
    # Bracket b prunes first at step 3**b; bracket 2's only rung ends at
    # step 9, after the last step.
    assert first_prune == {0: 1, 1: 3}


def test_max_resource_auto():
    study = make_study(HyperbandPruner(reduction_factor=3))
    assert probe(study, [5.0] * 9, finish=TrialState.FAIL) == [False] * 9
    assert BRACKET_KEY not in study.trials[0].system_attrs
    assert run(study, [0.0] * 9) is None  # last step 8: max_resource = 9
    for _ in range(30):
        run(study, [1.0] * 9)
    brackets = {t.system_attrs.get(BRACKET_KEY) for t in study.trials[2:]}
    assert brackets == {0, 1, 2}


def test_max_resource_auto_below_min_resource_prunes_nothing():
    # As Optuna (no bracket); it used to prune with one bracket.
    study = make_study(HyperbandPruner(min_resource=2, reduction_factor=2))
    assert run(study, [1.0]) is None  # last step 0: max_resource = 1
    assert [run(study, {0: 5.0 + i, 2: 5.0 + i}) for i in range(6)] == [None] * 6


def _add_rung_trial(study, value):
    # A finished trial with a rung value but no bracket (added, or copied
    # from a successive-halving study).
    study.add_trial(
        sktune.create_trial(
            value=value,
            intermediate_values={0: value, 1: value},
            system_attrs={"completed_rung_0": value},
        )
    )


def _probe(study):
    trial = study.ask()
    trial.report(5.0, 0)
    trial.report(5.0, 1)  # (step 1 ends rung 0)
    return trial.should_prune()


@pytest.mark.parametrize("first_call_before", [False, True])
def test_rung_values_of_trials_finished_before_the_brackets_are_known(
    first_call_before,
):
    # One bracket (max_resource=2 < 1 * 3): plain asynchronous successive
    # halving. A trial that was finished when the brackets were not yet known
    # still counts, whenever the pruner first looked at the study.
    study = make_study(HyperbandPruner(max_resource=2, reduction_factor=3))
    if first_call_before:
        trial = study.ask()
        trial.report(9.0, 0)
        assert not trial.should_prune()
        study.tell(trial, state=TrialState.FAIL)
    _add_rung_trial(study, 0.0)
    assert _probe(study)


def test_zero_brackets_with_rung_values_prune_nothing():
    study = make_study(HyperbandPruner(min_resource=2, reduction_factor=2))
    assert run(study, [1.0]) is None  # last step 0: max_resource = 1
    trial = study.ask()
    trial.report(2.0, 0)
    assert not trial.should_prune()  # (resolves: no bracket)
    _add_rung_trial(study, 0.5)
    assert not trial.should_prune()
    assert not _probe(study)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_resource": 0}, "'min_resource' parameter of HyperbandPruner"),
        ({"min_resource": "auto"}, "'min_resource' parameter .* an int >= 1"),
        (
            {"min_resource": 5, "max_resource": 4},
            "'max_resource' parameter .* an int >= min_resource=5 or 'auto'",
        ),
        ({"max_resource": "max"}, "'max_resource' parameter"),
        ({"reduction_factor": 1}, "'reduction_factor' parameter .* >= 2"),
        ({"bootstrap_count": -1}, "'bootstrap_count' parameter"),
        (
            {"bootstrap_count": 1},
            "'bootstrap_count' parameter .* must be 0 when max_resource='auto'",
        ),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HyperbandPruner(**kwargs)
