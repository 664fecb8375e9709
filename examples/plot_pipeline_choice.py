"""
Choosing the estimator of a Pipeline
====================================

A list of dicts is a conditional search space: the sampler first picks one
dict (a *branch*), then that branch's parameters. Since a Pipeline step is a
parameter like any other, a branch can replace the final estimator, so one
search chooses the model as well as its hyperparameters.
"""

# %%
import numpy as np
from scipy.stats import loguniform, randint
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sktune import TPESearchCV

X, y = load_wine(return_X_y=True)
pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])

space = [
    # branch 0: an SVC with log-scaled C and gamma
    {
        "clf": [SVC()],
        "clf__C": loguniform(1e-2, 1e3),
        "clf__gamma": loguniform(1e-4, 1e0),
    },
    # branch 1: a random forest (scaling does not matter to it)
    {
        "scale": ["passthrough"],
        "clf": [RandomForestClassifier(random_state=0)],
        "clf__max_depth": randint(1, 11),
        "clf__n_estimators": randint(10, 61),
    },
    # branch 2: a logistic regression
    {"clf": [LogisticRegression(max_iter=2000)], "clf__C": loguniform(1e-3, 1e3)},
]

search = TPESearchCV(pipe, space, n_iter=30, cv=3, random_state=0)
search.fit(X, y)
print("best:", search.best_params_)
print(f"best CV accuracy: {search.best_score_:.4f}")

# %%
# Which branch did the candidates take?
# -------------------------------------
# Parameters a candidate did not have are masked in ``cv_results_``, as in
# scikit-learn; the chosen estimator is in the ``param_clf`` column.
results = search.cv_results_
models = [type(p["clf"]).__name__ for p in results["params"]]
for name in sorted(set(models)):
    scores = results["mean_test_score"][np.array(models) == name]
    print(f"{name:>24}: {len(scores):2d} candidates, best {scores.max():.4f}")
print(results["param_clf__gamma"][:10])
