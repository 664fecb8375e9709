"""scikit-learn's estimator checks pass on TPESearchCV, apart from those it
marks as expected failures for RandomizedSearchCV."""

from __future__ import annotations

import warnings

import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktune import TPESearchCV
from sktune.distributions import FloatDistribution
from sktune.sklearn._compat import expected_failed_checks

pytestmark = [pytest.mark.sklearn_compat, pytest.mark.slow]

SEARCHES = [
    TPESearchCV(
        GaussianNB(),
        {"var_smoothing": FloatDistribution(1e-9, 1e-6, log=True)},
        n_iter=2,
        cv=2,
        error_score="raise",
        random_state=0,
    ),
    TPESearchCV(
        Ridge(),
        {"alpha": [0.1, 1.0]},
        n_iter=2,
        cv=2,
        error_score="raise",
        random_state=0,
    ),
    TPESearchCV(
        Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]),
        {"clf__C": [0.1, 1.0]},
        n_iter=2,
        cv=2,
        error_score="raise",
        random_state=0,
    ),
]


def test_expected_failures_are_randomized_search_ones():
    assert set(expected_failed_checks(SEARCHES[0])) <= {
        "check_supervised_y_2d",
        "check_requires_y_none",
    }


@parametrize_with_checks(SEARCHES, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)
