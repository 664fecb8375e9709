"""Pruning between folds (resource="folds"): reports, states and cv_results_."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from search_helpers import CountingClassifier, clf_data

import sktune
from sktune import TPESearchCV
from sktune.pruners import BasePruner, NopPruner
from sktune.trial import TrialState

pytestmark = pytest.mark.sklearn_compat

X, y = clf_data()


class OddPruner(BasePruner):
    """Prunes every odd-numbered trial after its first report."""

    def prune(self, study, trial):
        return trial.number % 2 == 1 and bool(trial.intermediate_values)


def candidates(values):
    study = sktune.create_study(direction="maximize", pruner=OddPruner())
    for v in values:
        study.enqueue_trial({"x": v})
    return study


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_pruned_candidates_stop_rank_last_and_are_never_best(n_jobs):
    # x=3 scores best (0) but is trial 1, which the pruner stops.
    study = candidates([0, 3, 1, 2])
    with joblib.parallel_config(backend="threading"):
        search = TPESearchCV(
            CountingClassifier(),
            {"x": list(range(6))},
            n_iter=4,
            cv=3,
            study=study,
            n_jobs=n_jobs,
        ).fit(X, y)
    res = search.cv_results_
    assert list(res)[-2:] == ["state", "n_resources"]
    np.testing.assert_array_equal(
        res["state"], ["COMPLETE", "PRUNED", "COMPLETE", "PRUNED"]
    )
    np.testing.assert_array_equal(res["n_resources"], [3, 1, 3, 1])
    # Folds not run are NaN; means and stds are over the folds run.
    assert np.isnan(res["split1_test_score"][1]) and np.isnan(
        res["split2_test_score"][3]
    )
    assert res["mean_test_score"][1] == res["split0_test_score"][1] == 0.0
    assert res["std_test_score"][1] == 0.0
    np.testing.assert_array_equal(res["rank_test_score"], [2, 3, 1, 4])
    assert search.best_params_ == {"x": 1}
    trials = study.trials
    assert [t.state for t in trials] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.COMPLETE,
        TrialState.PRUNED,
    ]
    # The running mean of the fold scores is reported after each fold.
    assert trials[0].intermediate_values == {0: -3.0, 1: -3.0, 2: -3.0}
    assert trials[1].intermediate_values == {0: 0.0}


def test_no_pruner_no_extra_keys_and_nop_pruner_too():
    for pruner in (None, NopPruner()):
        search = TPESearchCV(
            CountingClassifier(), {"x": [1, 2]}, n_iter=2, cv=2, pruner=pruner
        ).fit(X, y)
        assert "state" not in search.cv_results_
        assert "n_resources" not in search.cv_results_


def test_pruner_parameter_turns_pruning_on():
    search = TPESearchCV(
        CountingClassifier(),
        {"x": [0, 1, 2, 3]},
        n_iter=4,
        cv=2,
        pruner=OddPruner(),
        random_state=0,
    ).fit(X, y)
    assert list(search.cv_results_["state"]).count("PRUNED") == 2
    assert search.cv_results_["state"][search.best_index_] == "COMPLETE"


def test_resume_keeps_pruned_rows():
    study = candidates([0, 3])
    space = {"x": list(range(6))}
    TPESearchCV(CountingClassifier(), space, n_iter=2, cv=3, study=study).fit(X, y)
    search = TPESearchCV(CountingClassifier(), space, n_iter=3, cv=3, study=study)
    search.fit(X, y)
    np.testing.assert_array_equal(search.cv_results_["n_resources"][:2], [3, 1])
