"""
From RandomizedSearchCV to TPESearchCV
======================================

:class:`~sktune.TPESearchCV` takes the same arguments as scikit-learn's
``RandomizedSearchCV`` and gives the same attributes: replacing the class is
the whole migration. Here both tune an SVC on the digits data set with the
same budget and the same cross-validation splits, and we compare how the best
score grows with the number of candidates.
"""

# %%
# The same search, twice
# ----------------------
# Only the class differs. The CV splitter is shared, so both searches see the
# same folds.
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
from sklearn.svm import SVC

from sktune import TPESearchCV

X, y = load_digits(return_X_y=True)
X, y = X[:600] / 16.0, y[:600]  # a subset, to keep the example fast

space = {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e1)}
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)

random_search = RandomizedSearchCV(SVC(), space, n_iter=25, cv=cv, random_state=0)
tpe_search = TPESearchCV(SVC(), space, n_iter=25, cv=cv, random_state=0)
random_search.fit(X, y)
tpe_search.fit(X, y)
searches = {"RandomizedSearchCV": random_search, "TPESearchCV": tpe_search}

for name, search in [
    ("RandomizedSearchCV", random_search),
    ("TPESearchCV", tpe_search),
]:
    print(f"{name:>18}: best CV accuracy {search.best_score_:.4f}")
    print(f"{'':>18}  {search.best_params_}")

# %%
# The attributes scikit-learn users rely on are all there
# --------------------------------------------------------
# ``cv_results_`` has scikit-learn's keys, in GridSearchCV's order, and the
# search delegates ``predict``, ``score`` and the rest to the refitted best
# estimator.
print(list(tpe_search.cv_results_)[:8])
print(tpe_search.best_estimator_)
print("accuracy on the training data:", tpe_search.score(X, y))

# %%
# Best score so far, candidate by candidate
# ------------------------------------------
# Both searches start from spread-out candidates; from then on TPE proposes
# candidates near the good ones, while random search keeps drawing
# independently. (One seed on one data set: see the benchmarks page for the
# averages over many problems.)
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, search in [
    ("RandomizedSearchCV", random_search),
    ("TPESearchCV", tpe_search),
]:
    scores = search.cv_results_["mean_test_score"]
    ax.plot(np.arange(1, len(scores) + 1), np.fmax.accumulate(scores), label=name)
ax.set_xlabel("candidates evaluated")
ax.set_ylabel("best mean CV accuracy so far")
ax.legend()
fig.tight_layout()
