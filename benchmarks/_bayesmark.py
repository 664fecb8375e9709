"""Bayesmark's scikit-learn tuning problems, ported to today's scikit-learn.

The models, fixed settings, search ranges, data sets and metrics follow
uber/bayesmark (``bayesmark/sklearn_funcs.py`` and ``bayesmark/data.py``,
Apache-2.0); the code here is our own. Changes forced by today's
scikit-learn, or chosen to make the comparison fair:

- ``boston`` is gone from scikit-learn; the data sets are breast, digits,
  iris, wine (classification) and diabetes (regression).
- ``LogisticRegression(penalty=...)`` is deprecated: lasso / linear
  classification use ``l1_ratio=1`` / ``l1_ratio=0`` with liblinear, which
  refuses multiclass targets, so they run on the binary ``breast`` only.
  ``multi_class`` and ``normalize`` no longer exist and are dropped.
- Estimators with randomness get ``random_state=0``, so the objective is a
  deterministic function of the parameters (Bayesmark left it free).
- MLPs keep ``early_stopping=True`` and get ``max_iter=50`` (for every method)
  to keep the benchmark affordable.
- AdaBoost classifiers run SAMME, the only algorithm left in scikit-learn
  (Bayesmark ran the then default SAMME.R).
- "logit" ranges: no peer has a logit-scaled prior. ``logit="log"`` (the
  default) searches them on the log scale, the substitute Bayesmark's own
  wrappers choose for optimizers without logit (its scikit-optimize,
  hyperopt, SMAC and HEBO wrappers); ``logit="linear"`` searches them
  uniformly (this benchmark's protocol before session 17). Either way the
  space is exactly the same for every method.

Like Bayesmark, 20% of each data set is held out (``train_test_split``,
``random_state=0``) and the objective is the mean CV score on the other 80%,
with fixed folds shared by every method.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn import datasets
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

__all__ = [
    "DATASETS",
    "METRICS",
    "MODELS_CLF",
    "MODELS_REG",
    "Param",
    "Problem",
    "load_problem",
    "to_optuna",
    "to_scipy",
    "to_skopt",
    "to_sktune",
]


@dataclasses.dataclass(frozen=True)
class Param:
    """One neutral search dimension.

    ``kind`` is "int", "float" or "bool"; ``scale`` is "linear", "log" or
    "logit" (Bayesmark's name; :func:`load_problem` maps it to one of the
    other two, see the module docstring).
    """

    kind: str
    low: float = 0.0
    high: float = 1.0
    scale: str = "linear"


def _i(low: int, high: int, scale: str = "linear") -> Param:
    return Param("int", low, high, scale)


def _f(low: float, high: float, scale: str = "linear") -> Param:
    return Param("float", low, high, scale)


_BOOL = Param("bool")

# Search spaces (Bayesmark's ranges).
_KNN = {"n_neighbors": _i(1, 25), "p": _i(1, 4)}
_SVM = {
    "C": _f(1.0, 1e3, "log"),
    "gamma": _f(1e-4, 1e-3, "log"),
    "tol": _f(1e-5, 1e-1, "log"),
}
_TREE = {
    "max_depth": _i(1, 15),
    "min_samples_split": _f(0.01, 0.99, "logit"),
    "min_samples_leaf": _f(0.01, 0.49, "logit"),
    "min_weight_fraction_leaf": _f(0.01, 0.49, "logit"),
    "max_features": _f(0.01, 0.99, "logit"),
    "min_impurity_decrease": _f(0.0, 0.5),
}
_MLP_COMMON = {
    "hidden_layer_sizes": _i(50, 200),
    "alpha": _f(1e-5, 1e1, "log"),
    "batch_size": _i(10, 250),
    "learning_rate_init": _f(1e-5, 1e-1, "log"),
    "tol": _f(1e-5, 1e-1, "log"),
    "validation_fraction": _f(0.1, 0.9, "logit"),
}
_MLP_ADAM = {
    **_MLP_COMMON,
    "beta_1": _f(0.5, 0.99, "logit"),
    "beta_2": _f(0.9, 1.0 - 1e-6, "logit"),
    "epsilon": _f(1e-9, 1e-6, "log"),
}
_MLP_SGD = {
    **_MLP_COMMON,
    "power_t": _f(0.1, 0.9, "logit"),
    "momentum": _f(0.001, 0.999, "logit"),
}
_ADA = {"n_estimators": _i(10, 100), "learning_rate": _f(1e-4, 1e1, "log")}
_LOGREG = {"C": _f(1e-2, 1e2, "log"), "intercept_scaling": _f(1e-2, 1e2, "log")}
_LASSO_REG = {
    "alpha": _f(1e-2, 1e2, "log"),
    "fit_intercept": _BOOL,
    "max_iter": _i(10, 5000, "log"),
    "tol": _f(1e-5, 1e-1, "log"),
    "positive": _BOOL,
}
_RIDGE_REG = {
    "alpha": _f(1e-2, 1e2, "log"),
    "fit_intercept": _BOOL,
    "max_iter": _i(10, 5000, "log"),
    "tol": _f(1e-4, 1e-1, "log"),
}

_MLP_CAP = {"early_stopping": True, "max_iter": 50, "random_state": 0}
_SGD_FIXED = {
    "solver": "sgd",
    "learning_rate": "invscaling",
    "nesterovs_momentum": True,
}

ModelSpec = tuple[Callable[..., BaseEstimator], dict[str, Any], dict[str, Param]]

#: Classification models: name -> (class, fixed parameters, search space).
MODELS_CLF: dict[str, ModelSpec] = {
    "kNN": (KNeighborsClassifier, {}, _KNN),
    "SVM": (SVC, {"kernel": "rbf", "probability": True, "random_state": 0}, _SVM),
    "DT": (DecisionTreeClassifier, {"random_state": 0}, _TREE),
    "RF": (RandomForestClassifier, {"n_estimators": 10, "random_state": 0}, _TREE),
    "MLP-adam": (MLPClassifier, {"solver": "adam", **_MLP_CAP}, _MLP_ADAM),
    "MLP-sgd": (MLPClassifier, {**_SGD_FIXED, **_MLP_CAP}, _MLP_SGD),
    "ada": (AdaBoostClassifier, {"random_state": 0}, _ADA),
    "lasso": (
        LogisticRegression,
        {"l1_ratio": 1.0, "solver": "liblinear", "random_state": 0},
        _LOGREG,
    ),
    "linear": (
        LogisticRegression,
        {"l1_ratio": 0.0, "solver": "liblinear", "random_state": 0},
        _LOGREG,
    ),
}

#: Regression models: name -> (class, fixed parameters, search space).
MODELS_REG: dict[str, ModelSpec] = {
    "kNN": (KNeighborsRegressor, {}, _KNN),
    "SVM": (SVR, {"kernel": "rbf"}, _SVM),
    "DT": (DecisionTreeRegressor, {"random_state": 0}, _TREE),
    "RF": (RandomForestRegressor, {"n_estimators": 10, "random_state": 0}, _TREE),
    "MLP-adam": (MLPRegressor, {"solver": "adam", **_MLP_CAP}, _MLP_ADAM),
    # Bayesmark: regression with relu and sgd crashes often, hence tanh.
    "MLP-sgd": (
        MLPRegressor,
        {"activation": "tanh", **_SGD_FIXED, **_MLP_CAP},
        _MLP_SGD,
    ),
    "ada": (AdaBoostRegressor, {"random_state": 0}, _ADA),
    "lasso": (Lasso, {"random_state": 0}, _LASSO_REG),
    "linear": (Ridge, {"solver": "auto", "random_state": 0}, _RIDGE_REG),
}

#: Data sets: name -> (loader, is_classification).
DATASETS: dict[str, tuple[Callable[..., Any], bool]] = {
    "breast": (datasets.load_breast_cancer, True),
    "digits": (datasets.load_digits, True),
    "iris": (datasets.load_iris, True),
    "wine": (datasets.load_wine, True),
    "diabetes": (datasets.load_diabetes, False),
}

#: Metrics: short name -> scikit-learn scorer (higher is better).
METRICS = {
    "acc": "accuracy",
    "nll": "neg_log_loss",
    "mse": "neg_mean_squared_error",
    "mae": "neg_mean_absolute_error",
}


@dataclasses.dataclass
class Problem:
    """Everything a search needs for one (model, data set, metric)."""

    name: str
    estimator: BaseEstimator
    space: dict[str, Param]
    X: np.ndarray
    y: np.ndarray
    scoring: str
    cv: Any


LOGIT_SCALES = ("log", "linear")


def load_problem(
    model: str, dataset: str, metric: str, n_folds: int = 3, logit: str = "log"
) -> Problem:
    """Build one Bayesmark problem: the estimator, its space, data and folds.

    ``logit`` is the scale that Bayesmark's "logit" ranges are searched on.
    """
    if logit not in LOGIT_SCALES:
        raise ValueError(f"logit must be one of {LOGIT_SCALES}, got {logit!r}.")
    loader, is_clf = DATASETS[dataset]
    if is_clf != (metric in ("acc", "nll")):
        raise ValueError(f"Metric {metric!r} does not fit data set {dataset!r}.")
    cls, fixed, space = (MODELS_CLF if is_clf else MODELS_REG)[model]
    space = {
        name: dataclasses.replace(p, scale=logit) if p.scale == "logit" else p
        for name, p in space.items()
    }
    X, y = loader(return_X_y=True)
    # Bayesmark holds out 20% for generalisation; the objective is CV on the rest.
    X, _, y, _ = train_test_split(X, y, test_size=0.2, random_state=0, shuffle=True)
    splitter = StratifiedKFold if is_clf else KFold
    cv = splitter(n_folds, shuffle=True, random_state=0)
    return Problem(
        name=f"{model}-{dataset}-{metric}",
        estimator=cls(**fixed),
        space=space,
        X=X,
        y=y,
        scoring=METRICS[metric],
        cv=cv,
    )


# --- converters from the neutral space to each peer's format --------------


class _LogIntUniform:
    """Integers drawn log-uniformly on [low - 0.5, high + 0.5], then rounded.

    scipy.stats has no log-scaled integer distribution; RandomizedSearchCV only
    needs ``rvs``. Same convention as Optuna's ``IntDistribution(log=True)``.
    """

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = int(low), int(high)

    def rvs(self, size: Any = None, random_state: Any = None) -> Any:
        rng = random_state
        if not isinstance(rng, np.random.RandomState):
            rng = np.random.default_rng(rng)
        lo, hi = np.log(self.low - 0.5), np.log(self.high + 0.5)
        x = np.exp(rng.uniform(lo, hi, size=size))
        return np.clip(np.round(x), self.low, self.high).astype(int)

    def __repr__(self) -> str:
        return f"LogIntUniform({self.low}, {self.high})"


def to_scipy(space: dict[str, Param]) -> dict[str, Any]:
    """For RandomizedSearchCV: scipy.stats distributions and lists."""
    from scipy import stats

    out: dict[str, Any] = {}
    for name, p in space.items():
        if p.kind == "bool":
            out[name] = [False, True]
        elif p.kind == "int":
            if p.scale == "log":
                out[name] = _LogIntUniform(int(p.low), int(p.high))
            else:
                out[name] = stats.randint(int(p.low), int(p.high) + 1)
        elif p.scale == "log":
            out[name] = stats.loguniform(p.low, p.high)
        else:
            out[name] = stats.uniform(p.low, p.high - p.low)
    return out


def to_sktune(space: dict[str, Param]) -> dict[str, Any]:
    """For TPESearchCV: sktune distributions."""
    from sktune.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for name, p in space.items():
        if p.kind == "bool":
            out[name] = CategoricalDistribution([False, True])
        elif p.kind == "int":
            out[name] = IntDistribution(int(p.low), int(p.high), log=p.scale == "log")
        else:
            out[name] = FloatDistribution(p.low, p.high, log=p.scale == "log")
    return out


def to_optuna(space: dict[str, Param]) -> dict[str, Any]:
    """For optuna_integration's OptunaSearchCV: Optuna distributions."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for name, p in space.items():
        if p.kind == "bool":
            out[name] = CategoricalDistribution([False, True])
        elif p.kind == "int":
            out[name] = IntDistribution(int(p.low), int(p.high), log=p.scale == "log")
        else:
            out[name] = FloatDistribution(p.low, p.high, log=p.scale == "log")
    return out


def to_skopt(space: dict[str, Param]) -> dict[str, Any]:
    """For scikit-optimize's BayesSearchCV: skopt dimensions."""
    from skopt.space import Categorical, Integer, Real

    out: dict[str, Any] = {}
    for name, p in space.items():
        prior = "log-uniform" if p.scale == "log" else "uniform"
        if p.kind == "bool":
            out[name] = Categorical([False, True])
        elif p.kind == "int":
            out[name] = Integer(int(p.low), int(p.high), prior=prior)
        else:
            out[name] = Real(p.low, p.high, prior=prior)
    return out
