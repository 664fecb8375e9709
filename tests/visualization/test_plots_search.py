"""Every plot and the importances on a fitted TPESearchCV (duck typed)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import loguniform

from sktune import visualization as vis
from sktune.importance import FanovaImportanceEvaluator, get_param_importances
from sktune.trial import TrialState

pytestmark = pytest.mark.sklearn_compat


@pytest.fixture(scope="module")
def search():
    from sklearn.datasets import load_iris
    from sklearn.svm import SVC

    from sktune import TPESearchCV
    from sktune.pruners import MedianPruner

    X, y = load_iris(return_X_y=True)
    return TPESearchCV(
        SVC(),
        {
            "C": loguniform(1e-2, 1e2),
            "kernel": ["rbf", "linear"],
            "gamma": loguniform(1e-3, 1.0),
        },
        n_iter=16,
        cv=3,
        scoring=["accuracy", "f1_macro"],
        refit="accuracy",
        pruner=MedianPruner(n_startup_trials=4),
        random_state=0,
    ).fit(X, y)


def _complete(search):
    return [t for t in search.study_.trials if t.state == TrialState.COMPLETE]


def test_history_is_labelled_with_the_refit_metric(search):
    display = vis.OptimizationHistoryDisplay.from_estimator(search)
    ax = display.ax_
    assert ax.get_ylabel() == "accuracy (maximize)"
    complete = _complete(search)
    assert len(ax.collections[0].get_offsets()) == len(complete)
    np.testing.assert_allclose(
        display.best_values[0], np.maximum.accumulate([t.value for t in complete])
    )
    assert display.best_values[0][-1] == pytest.approx(search.best_score_)


def test_another_metric_by_name(search):
    ax = vis.plot_optimization_history(search, target="f1_macro")
    assert ax.get_ylabel() == "f1_macro (maximize)"
    drawn = np.sort(ax.collections[0].get_offsets()[:, 1])
    results = search.cv_results_
    done = np.asarray(results.get("state", ["COMPLETE"] * len(results["params"])))
    expected = np.asarray(results["mean_test_f1_macro"])[done == "COMPLETE"]
    np.testing.assert_allclose(drawn, np.sort(expected))
    with pytest.raises(ValueError, match="one of the search's metrics"):
        vis.plot_edf(search, target="recall")


def test_every_plot_from_estimator(search):
    complete = _complete(search)
    sl = vis.SliceDisplay.from_estimator(search, params=["C", "kernel"])
    assert sl.ax_[0].get_xscale() == "log"
    assert [t.get_text() for t in sl.ax_[1].get_xticklabels()] == ["rbf", "linear"]
    assert len(sl.ax_[0].collections[0].get_offsets()) == len(complete)
    assert sl.ax_[0].get_ylabel() == "accuracy (maximize)"

    co = vis.ContourDisplay.from_estimator(search, params=["C", "gamma"])
    assert co.ax_.get_xscale() == co.ax_.get_yscale() == "log"
    assert len(co.points["C", "gamma"][2]) == len(complete)

    pc = vis.ParallelCoordinateDisplay.from_estimator(search)
    assert pc.positions.shape == (len(complete), 4)
    assert pc.ax_.get_xticklabels()[0].get_text() == "accuracy"

    iv = vis.IntermediateValuesDisplay.from_estimator(search)
    reported = [t for t in search.study_.trials if t.intermediate_values]
    assert len(iv.ax_.get_lines()) == len(reported) > 0

    edf = vis.EDFDisplay.from_estimator(search)
    assert edf.values[0].size == len(complete)
    assert edf.ax_.get_xlabel() == "accuracy (maximize)"

    tl = vis.TimelineDisplay.from_estimator(search)
    assert len(tl.ax_.patches) == len(
        [t for t in search.study_.trials if t.datetime_start is not None]
    )

    evaluator = FanovaImportanceEvaluator(n_trees=8, seed=0)
    pi = vis.ParamImportancesDisplay.from_estimator(search, evaluator=evaluator)
    assert set(pi.params) == {"C", "kernel", "gamma"}
    assert pi.ax_.get_xlabel() == "Importance for accuracy"


def test_plot_functions_accept_the_search(search):
    assert vis.plot_timeline(search).get_ylabel() == "Trial"
    assert vis.plot_intermediate_values(search).get_xlabel() == "Step"


def test_importances_of_a_search(search):
    evaluator = FanovaImportanceEvaluator(n_trees=8, seed=0)
    imp = get_param_importances(search, evaluator=evaluator)
    assert set(imp) == {"C", "kernel", "gamma"}
    assert sum(imp.values()) == pytest.approx(1.0)
    by_refit = get_param_importances(search, evaluator=evaluator, target="accuracy")
    assert by_refit == imp
    other = get_param_importances(search, evaluator=evaluator, target="f1_macro")
    assert set(other) == set(imp)
    with pytest.raises(ValueError, match="one of the search's metrics"):
        get_param_importances(search, target="recall")


def test_unfitted_search_is_refused():
    from sklearn.svm import SVC

    from sktune import TPESearchCV

    search = TPESearchCV(SVC(), {"C": [1.0, 2.0]})
    with pytest.raises(ValueError, match="not fitted yet"):
        vis.plot_edf(search)
    with pytest.raises(ValueError, match="not fitted yet"):
        get_param_importances(search)


def test_cdf_level_parameters_are_labelled_as_such():
    from scipy.stats import expon
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sktune import TPESearchCV

    X, y = load_iris(return_X_y=True)
    search = TPESearchCV(
        LogisticRegression(max_iter=200),
        {"C": expon(scale=10), "tol": loguniform(1e-5, 1e-2)},
        n_iter=6,
        cv=2,
        random_state=0,
    ).fit(X, y)
    # expon is stored as its CDF level in [0, 1]: the axis says so
    display = vis.SliceDisplay.from_estimator(search)
    assert [a.get_xlabel() for a in display.ax_] == ["C (CDF level)", "tol"]
    assert np.all((display.x["C"] >= 0) & (display.x["C"] <= 1))
    assert display.ax_[0].get_ylabel() == "score (maximize)"
    pc = vis.ParallelCoordinateDisplay.from_estimator(search)
    labels = [t.get_text() for t in pc.ax_.get_xticklabels()]
    assert labels == ["score", "C (CDF level)", "tol"]
