"""
The define-by-run API
=====================

Below :class:`~sktune.TPESearchCV` is a study that can be driven directly:
an objective function asks its trial for parameters while it runs, so the
search space can depend on earlier answers. The names are Optuna's.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import sktune

X, y = load_breast_cancer(return_X_y=True)


def objective(trial: sktune.Trial) -> float:
    model = trial.suggest_categorical("model", ["svc", "knn"])
    if model == "svc":  # C and gamma exist only on this branch
        clf = make_pipeline(
            StandardScaler(),
            SVC(
                C=trial.suggest_float("C", 1e-2, 1e3, log=True),
                gamma=trial.suggest_float("gamma", 1e-5, 1e0, log=True),
            ),
        )
    else:
        clf = make_pipeline(
            StandardScaler(),
            KNeighborsClassifier(
                n_neighbors=trial.suggest_int("n_neighbors", 1, 50, log=True),
                weights=trial.suggest_categorical("weights", ["uniform", "distance"]),
            ),
        )
    return cross_val_score(clf, X, y, cv=3).mean()


study = sktune.create_study(
    direction="maximize", sampler=sktune.samplers.TPESampler(seed=0)
)
study.optimize(objective, n_trials=30)
print("best value:", round(study.best_value, 4))
print("best params:", study.best_params)

# %%
# Ask and tell
# ------------
# When the loop is not yours to hand over, ask for a trial, evaluate it your
# way and tell the study the result.
study2 = sktune.create_study(sampler=sktune.samplers.TPESampler(seed=0))
for _ in range(40):
    trial = study2.ask()
    x = trial.suggest_float("x", -10, 10)
    y_ = trial.suggest_float("y", -10, 10)
    study2.tell(trial, (x - 2) ** 2 + (y_ + 1) ** 2)
print("minimum of (x - 2)^2 + (y + 1)^2 found:", study2.best_params)

# %%
# The trials
# ----------
# Each trial keeps its parameters, value, state and timing.
values = [t.value for t in study.trials]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(values, "o", alpha=0.5, label="trial")
ax.plot(np.fmax.accumulate(values), label="best so far")
ax.set_xlabel("trial")
ax.set_ylabel("mean CV accuracy")
ax.legend()
fig.tight_layout()
