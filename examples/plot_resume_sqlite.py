"""
Resuming a search from a SQLite file
====================================

With ``storage="sqlite:///file.db"`` and a ``study_name``, every finished
candidate of :class:`~sktune.TPESearchCV` is written to a SQLite file. A
search interrupted by a crash or Ctrl-C loses only the candidates that were
running: fitting again continues the same study, and ``n_iter`` counts the
candidates of the study in total.
"""

# %%
import os
import subprocess
import sys
import tempfile

from scipy.stats import loguniform
from sklearn.datasets import load_iris
from sklearn.svm import SVC

from sktune import TPESearchCV

X, y = load_iris(return_X_y=True)
space = {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-4, 1e1)}
folder = tempfile.mkdtemp()
storage = "sqlite:///" + os.path.join(folder, "search.db")


# %%
# An interrupted search
# ---------------------
# A callback raising ``KeyboardInterrupt`` after 8 candidates stands in for
# Ctrl-C. The candidates finished so far are already in the file.
def interrupt_after_8(study, trial):
    if len(study.trials) >= 8:
        raise KeyboardInterrupt


search = TPESearchCV(
    SVC(),
    space,
    n_iter=20,
    cv=3,
    random_state=0,
    storage=storage,
    study_name="svc-iris",
    callbacks=[interrupt_after_8],
)
try:
    search.fit(X, y)
except KeyboardInterrupt:
    print("interrupted after", len(search.study_.trials), "candidates")

# %%
# Resuming
# --------
# The same search (without the interruption) continues the stored study: it
# runs the 12 missing candidates, and ``cv_results_`` holds all 20.
search.set_params(callbacks=None)
search.fit(X, y)
print("candidates in cv_results_:", len(search.cv_results_["params"]))
print(f"best CV accuracy {search.best_score_:.4f} with {search.best_params_}")

# %%
# The command line
# ----------------
# ``sktune`` lists the studies and trials of a storage (``--format json`` for
# scripts).
cli = [sys.executable, "-m", "sktune"]
for command in (["studies"], ["trials", "svc-iris"]):
    out = subprocess.run(
        [*cli, *command, "--storage", storage],
        capture_output=True,
        text=True,
        check=True,
    )
    print(out.stdout)
