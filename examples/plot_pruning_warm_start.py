"""
Pruning a growing ensemble with successive halving
==================================================

A ``warm_start`` ensemble can grow: with a pruner, :class:`~sktune.TPESearchCV`
fits a random forest with a few trees, scores it, adds trees, scores it again,
and so on (``resource="estimators"``, what ``"auto"`` picks for it). A
:class:`~sktune.pruners.SuccessiveHalvingPruner` keeps only the best third of
the candidates at each rung (Li et al., 2018), so most candidates never grow
to the full forest.
"""

# %%
import numpy as np
from scipy.stats import randint, uniform
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

from sktune import TPESearchCV
from sktune.pruners import SuccessiveHalvingPruner

X, y = load_breast_cancer(return_X_y=True)
forest = RandomForestClassifier(n_estimators=48, warm_start=True, random_state=0)
space = {
    "max_depth": randint(1, 12),
    "max_features": uniform(0.05, 0.95),
    "min_samples_leaf": randint(1, 30),
}
search = TPESearchCV(
    forest,
    space,
    n_iter=20,
    cv=3,
    pruner=SuccessiveHalvingPruner(min_resource=6, reduction_factor=3),
    resource="estimators",  # the default ("auto") for a warm_start ensemble
    min_resources=6,
    random_state=0,
)
search.fit(X, y)
print(f"best CV accuracy {search.best_score_:.4f} with {search.best_params_}")

# %%
# How far each candidate grew
# ---------------------------
# ``n_resources`` is the number of trees each candidate reached; the steps end
# at the pruner's rungs (``min_resources`` times ``reduction_factor`` to the
# power k), then at the forest's ``n_estimators``.
results = search.cv_results_
trees = results["n_resources"]
print("trees reached:", sorted(trees.tolist()))
print(
    f"trees per fold, all candidates: {int(trees.sum())} instead of {len(trees) * 48}"
)
print("state of the best:", results["state"][search.best_index_])
print("pruned:", int(np.sum(results["state"] == "PRUNED")), "of", len(trees))
