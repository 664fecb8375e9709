"""Synthetic black-box functions for the sampler benchmarks (all minimised).

Each :class:`Problem` holds its parameters (with bounds, scale and kind), the
function of a parameter dict and its known optimum ``fstar``, so that any
optimiser can drive it: sktune and Optuna through :meth:`Problem.suggest`
(both have ``trial.suggest_float/int/categorical``), hyperopt through
:meth:`Problem.hyperopt_space`, random search through either.

Formulas: Surjanovic & Bingham, "Virtual Library of Simulation Experiments"
(sfu.ca/~ssurjano); bounds and optima as in ../shared/BENCHMARKS.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["PROBLEMS", "Param", "Problem"]


@dataclass(frozen=True)
class Param:
    """One parameter: kind "float", "int" or "cat"."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    step: float | None = None
    choices: tuple = ()


@dataclass
class Problem:
    """A function to minimise over a (possibly conditional) space.

    ``params`` are always present. With ``branch`` set, the categorical
    parameter ``branch`` is suggested first and ``branches[choice]`` lists the
    parameters that choice opens.
    """

    name: str
    params: list[Param]
    func: Callable[[dict[str, Any]], float]
    fstar: float
    branch: Param | None = None
    branches: dict[Any, list[Param]] = field(default_factory=dict)

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Suggest every parameter on an sktune or Optuna trial."""
        out: dict[str, Any] = {}
        params = list(self.params)
        if self.branch is not None:
            choice = _suggest(trial, self.branch)
            out[self.branch.name] = choice
            params += self.branches[choice]
        for p in params:
            out[p.name] = _suggest(trial, p)
        return out

    def objective(self, trial: Any) -> float:
        """``func`` of the suggested parameters (an objective for optimize)."""
        return self.func(self.suggest(trial))

    def hyperopt_space(self) -> Any:
        """The same space for hyperopt (its ``hp`` expressions)."""
        from hyperopt import hp

        base = {p.name: _hp(hp, p, p.name) for p in self.params}
        if self.branch is None:
            return base
        options = []
        for choice in self.branch.choices:
            sub = {
                p.name: _hp(hp, p, f"{choice}:{p.name}") for p in self.branches[choice]
            }
            sub[self.branch.name] = choice
            options.append(sub)
        base["__branch__"] = hp.choice(self.branch.name, options)
        return base

    def from_hyperopt(self, sample: dict[str, Any]) -> dict[str, Any]:
        """Flatten a hyperopt sample into a parameter dict."""
        out = {k: v for k, v in sample.items() if k != "__branch__"}
        out.update(sample.get("__branch__", {}))
        for p in self._all_params():
            if p.name in out and p.kind == "int":
                out[p.name] = int(round(out[p.name]))
        return out

    def _all_params(self) -> list[Param]:
        out = list(self.params)
        for ps in self.branches.values():
            out += ps
        return out


def _suggest(trial: Any, p: Param) -> Any:
    if p.kind == "float":
        return trial.suggest_float(p.name, p.low, p.high, log=p.log, step=p.step)
    if p.kind == "int":
        return trial.suggest_int(p.name, int(p.low), int(p.high), log=p.log)
    return trial.suggest_categorical(p.name, list(p.choices))


def _hp(hp: Any, p: Param, label: str) -> Any:
    if p.kind == "cat":
        return hp.choice(label, list(p.choices))
    if p.kind == "int":
        if p.log:
            return hp.qloguniform(
                label, math.log(p.low - 0.5), math.log(p.high + 0.5), 1
            )
        return hp.quniform(label, p.low - 0.5, p.high + 0.5, 1)
    if p.log:
        return hp.loguniform(label, math.log(p.low), math.log(p.high))
    if p.step is not None:
        return hp.quniform(label, p.low - p.step / 2, p.high + p.step / 2, p.step)
    return hp.uniform(label, p.low, p.high)


def _box(names: str, low: float, high: float) -> list[Param]:
    return [Param(n, "float", low, high) for n in names.split()]


def _vec(d: dict[str, Any], n: int) -> np.ndarray:
    return np.array([d[f"x{i}"] for i in range(n)], dtype=float)


# -- the classics -----------------------------------------------------------------
def branin(d: dict[str, Any]) -> float:
    x, y = d["x0"], d["x1"]
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    t = 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann(x: np.ndarray, a: np.ndarray, p: np.ndarray) -> float:
    return float(-(_H_ALPHA * np.exp(-(a * (x - p) ** 2).sum(axis=1))).sum())


def hartmann3(d: dict[str, Any]) -> float:
    return _hartmann(_vec(d, 3), _H3_A, _H3_P)


def hartmann6(d: dict[str, Any]) -> float:
    return _hartmann(_vec(d, 6), _H6_A, _H6_P)


def rosenbrock4(d: dict[str, Any]) -> float:
    x = _vec(d, 4)
    return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())


def styblinski_tang5(d: dict[str, Any]) -> float:
    x = _vec(d, 5)
    return float(0.5 * (x**4 - 16 * x**2 + 5 * x).sum())


def ackley5(d: dict[str, Any]) -> float:
    x = _vec(d, 5)
    n = len(x)
    a = -20 * math.exp(-0.2 * math.sqrt((x**2).sum() / n))
    return a - math.exp(np.cos(2 * math.pi * x).sum() / n) + 20 + math.e


def levy6(d: dict[str, Any]) -> float:
    w = 1 + (_vec(d, 6) - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = ((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)).sum()
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


# -- shaped like a model's validation loss ------------------------------------------
_ACT_OFFSET = {"relu": 0.0, "tanh": 0.15, "sigmoid": 0.35, "linear": 0.6}


def model_response(d: dict[str, Any]) -> float:
    """A network's loss: log learning rate and regularisation, depth, width,
    activation, dropout on a grid. Interactions: the best learning rate moves
    with depth, the best dropout with width. Optimum 0 at lr=10**-2.5,
    reg <= 1e-3, layers=3, units=128, relu, dropout=0.2."""
    a = math.log10(d["lr"])
    r = math.log10(d["reg"])
    layers, width = d["layers"], math.log2(d["units"])
    a_best = -2.5 + 0.1 * (layers - 3)
    drop_best = 0.2 + 0.05 * (width - 7)
    return (
        0.3 * (a - a_best) ** 2
        + 0.05 * max(0.0, r + 3) ** 2
        + 0.04 * (layers - 3) ** 2
        + 0.5 * (width - 7) ** 2 / 9
        + _ACT_OFFSET[d["activation"]]
        + 4 * (d["dropout"] - drop_best) ** 2
    )


# -- a conditional space: choose a model, then its parameters ------------------------
def model_choice(d: dict[str, Any]) -> float:
    """Three "models", each with its own parameters; the best (0) is in the
    svm branch, the others bottom out at 0.05 (tree) and 0.15 (knn)."""
    kind = d["model"]
    if kind == "svm":
        c, g = math.log10(d["C"]) - 1, math.log10(d["gamma"]) + 2
        return 0.05 * (c**2 + g**2 + 0.8 * c * g) + 0.3 * (1 - math.exp(-(c**2 + g**2)))
    if kind == "tree":
        depth, leaf = d["max_depth"], math.log10(d["min_samples_leaf"])
        return 0.05 + 0.004 * (depth - 8) ** 2 + 0.2 * (leaf - 0.5) ** 2
    k = math.log10(d["n_neighbors"])
    return 0.15 + 0.3 * (k - 1) ** 2 + (0.05 if d["weights"] == "uniform" else 0.0)


PROBLEMS: dict[str, Problem] = {
    "branin": Problem(
        "branin",
        [Param("x0", "float", -5, 10), Param("x1", "float", 0, 15)],
        branin,
        0.397887,
    ),
    "hartmann3": Problem("hartmann3", _box("x0 x1 x2", 0, 1), hartmann3, -3.86278),
    "hartmann6": Problem(
        "hartmann6", _box("x0 x1 x2 x3 x4 x5", 0, 1), hartmann6, -3.32237
    ),
    "rosenbrock4": Problem("rosenbrock4", _box("x0 x1 x2 x3", -2, 2), rosenbrock4, 0.0),
    "styblinski_tang5": Problem(
        "styblinski_tang5",
        _box("x0 x1 x2 x3 x4", -5, 5),
        styblinski_tang5,
        -39.16599 * 5,
    ),
    "ackley5": Problem("ackley5", _box("x0 x1 x2 x3 x4", -5, 10), ackley5, 0.0),
    "levy6": Problem("levy6", _box("x0 x1 x2 x3 x4 x5", -10, 10), levy6, 0.0),
    "model_response": Problem(
        "model_response",
        [
            Param("lr", "float", 1e-4, 1.0, log=True),
            Param("reg", "float", 1e-6, 1e2, log=True),
            Param("layers", "int", 1, 8),
            Param("units", "int", 16, 512, log=True),
            Param("activation", "cat", choices=("relu", "tanh", "sigmoid", "linear")),
            Param("dropout", "float", 0.0, 0.5, step=0.05),
        ],
        model_response,
        0.0,
    ),
    "model_choice": Problem(
        "model_choice",
        [],
        model_choice,
        0.0,
        branch=Param("model", "cat", choices=("svm", "tree", "knn")),
        branches={
            "svm": [
                Param("C", "float", 1e-3, 1e3, log=True),
                Param("gamma", "float", 1e-4, 1e1, log=True),
            ],
            "tree": [
                Param("max_depth", "int", 1, 20),
                Param("min_samples_leaf", "int", 1, 50, log=True),
            ],
            "knn": [
                Param("n_neighbors", "int", 1, 50, log=True),
                Param("weights", "cat", choices=("uniform", "distance")),
            ],
        },
    ),
}
