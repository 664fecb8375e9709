"""
Looking at a search: plots and importance
=========================================

:mod:`sktune.visualization` draws a study, or a fitted
:class:`~sktune.TPESearchCV`, with matplotlib: how the best score improved,
which hyperparameters mattered, where the good region is.
:func:`sktune.importance.get_param_importances` gives the importances as
numbers (functional ANOVA over a random forest fitted to the trials).
"""

# %%
import matplotlib.pyplot as plt
from scipy.stats import loguniform
from sklearn.datasets import load_breast_cancer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sktune import TPESearchCV
from sktune.importance import FanovaImportanceEvaluator, get_param_importances
from sktune.visualization import (
    plot_optimization_history,
    plot_param_importances,
    plot_slice,
)

X, y = load_breast_cancer(return_X_y=True)
model = make_pipeline(StandardScaler(), SVC())
space = {
    "svc__C": loguniform(1e-2, 1e3),
    "svc__gamma": loguniform(1e-5, 1e1),
    "svc__class_weight": [None, "balanced"],
}
search = TPESearchCV(model, space, n_iter=30, cv=3, random_state=0)
search.fit(X, y)

# %%
# How the best score improved
# ---------------------------
# Each plot function takes the search (or ``search.study_``) and returns the
# matplotlib Axes; ``ax=`` draws into an existing one.
plot_optimization_history(search)

# %%
# Which hyperparameters mattered
# ------------------------------
importances = get_param_importances(search, evaluator=FanovaImportanceEvaluator(seed=0))
for name, value in importances.items():
    print(f"{name:>18}: {value:.2f}")
plot_param_importances(search, evaluator=FanovaImportanceEvaluator(seed=0))

# %%
# Where the good region is
# ------------------------
# A slice plot shows the score against each parameter; log-scaled parameters
# are drawn on log axes.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True, layout="constrained")
plot_slice(search, params=["svc__C"], ax=axes[0])
plot_slice(search, params=["svc__gamma"], ax=axes[1])
