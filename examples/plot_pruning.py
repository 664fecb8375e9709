"""
Pruning a partial_fit estimator between epochs
==============================================

With a pruner, :class:`~sktune.TPESearchCV` trains an estimator that has
``partial_fit`` by epochs on every fold (``resource="epochs"``, what
``"auto"`` picks for it), in steps that end at 1, 2, 4, 8... epochs
(``resource_factor``; at the rungs of a successive-halving pruner), reports
the mean test score over the folds after each step, and the pruner stops a
candidate that is already clearly worse than the others at the same epoch.
Other estimators are pruned between folds (``resource="folds"``) or, for
``warm_start`` ensembles, as they grow (``resource="estimators"``).
"""

# %%
import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier

from sktune import TPESearchCV
from sktune.pruners import MedianPruner
from sktune.visualization import plot_intermediate_values

X, y = load_digits(return_X_y=True)
X = X / 16.0
space = {
    "alpha": loguniform(1e-7, 1e0),
    "loss": ["hinge", "log_loss", "modified_huber", "perceptron"],
    "penalty": ["l2", "l1"],
}
search = TPESearchCV(
    SGDClassifier(max_iter=16, tol=None, random_state=0),
    space,
    n_iter=30,
    cv=3,
    pruner=MedianPruner(n_startup_trials=5),
    resource="epochs",  # the default ("auto") for an estimator with partial_fit
    random_state=0,
)
search.fit(X, y)
print(f"best CV accuracy {search.best_score_:.4f} with {search.best_params_}")

# %%
# What pruning saved
# ------------------
# The resource doubles at each step: 1, 2, 4, 8 then 16 epochs (the
# estimator's ``max_iter``). With a pruner, ``cv_results_`` has a ``state``
# column and an ``n_resources`` column: the epochs each candidate reached.
results = search.cv_results_
states = np.asarray(results["state"])
epochs = int(np.sum(results["n_resources"])) * search.n_splits_
print("states:", {s: int(np.sum(states == s)) for s in np.unique(states)})
print(f"epochs trained: {epochs} instead of {len(states) * 3 * 16} without pruning")
print(
    "epochs reached by pruned candidates:", results["n_resources"][states == "PRUNED"]
)

# %%
# A pruned candidate is never the best one, and ranks after every complete
# candidate. The learning curves show where each candidate stopped.
print("rank of the best:", results["rank_test_score"][search.best_index_])
ax = plot_intermediate_values(search)
ax.set_xscale("log", base=2)
