"""Render one PNG of each plot in sktune.visualization into docs/images/.

Run from the repository root: ``python docs/make_images.py``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import sktune
from sktune import visualization as vis
from sktune.importance import FanovaImportanceEvaluator

OUT = Path(__file__).resolve().parent / "images"


def objective(trial: sktune.Trial) -> float:
    """A mixed space with learning curves, pruning and a few failures."""
    lr = trial.suggest_float("learning_rate", 1e-4, 1.0, log=True)
    depth = trial.suggest_int("max_depth", 1, 12)
    kernel = trial.suggest_categorical("kernel", ["rbf", "linear", "poly"])
    trial.suggest_float("noise", 0.0, 1.0)
    target = (math.log10(lr) + 2) ** 2 + 0.05 * (depth - 6) ** 2
    target += {"rbf": 0.0, "linear": 0.8, "poly": 0.4}[kernel]
    time.sleep(0.02)  # so that the timeline shows durations
    if trial.number % 23 == 22:
        raise RuntimeError("a failed fit")
    for step in range(10):
        value = target + 2.0 / (step + 1)
        trial.report(value, step)
        if step >= 3 and value > 4.5:
            raise sktune.TrialPruned()
    return target


def main() -> None:
    OUT.mkdir(exist_ok=True)
    study = sktune.create_study(
        study_name="random", sampler=sktune.samplers.RandomSampler(seed=0)
    )
    study.optimize(objective, n_trials=120, n_jobs=2, catch=(RuntimeError,))
    tpe = sktune.create_study(
        study_name="TPE", sampler=sktune.samplers.TPESampler(seed=0)
    )
    tpe.optimize(objective, n_trials=120, catch=(RuntimeError,))
    evaluator = FanovaImportanceEvaluator(seed=0)
    plots = {
        "optimization_history": lambda ax: vis.plot_optimization_history(study, ax=ax),
        "param_importances": lambda ax: vis.plot_param_importances(
            study, evaluator=evaluator, ax=ax
        ),
        "intermediate_values": lambda ax: vis.plot_intermediate_values(study, ax=ax),
        "edf": lambda ax: vis.plot_edf([study, tpe], ax=ax),
        "timeline": lambda ax: vis.plot_timeline(study, ax=ax),
        "parallel_coordinate": lambda ax: vis.plot_parallel_coordinate(
            study, params=["learning_rate", "max_depth", "kernel"], ax=ax
        ),
    }
    for name, draw in plots.items():
        fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
        draw(ax)
        fig.savefig(OUT / f"plot_{name}.png", dpi=80)
        plt.close(fig)
    ax = vis.plot_slice(study, params=["learning_rate", "max_depth", "kernel"])
    ax[0].figure.savefig(OUT / "plot_slice.png", dpi=80)
    plt.close(ax[0].figure)
    ax = vis.plot_contour(study, params=["learning_rate", "max_depth"])
    ax.figure.savefig(OUT / "plot_contour.png", dpi=80)
    plt.close(ax.figure)
    print(f"wrote {len(plots) + 2} images to {OUT}")


if __name__ == "__main__":
    main()
