"""
Parallel searches and joblib backends
=====================================

With ``n_jobs`` > 1, :class:`~sktune.TPESearchCV` keeps that many candidates
in flight and asks the sampler for a new one as soon as a candidate finishes:
there are no batches to wait for. The fold fits go through joblib's active
backend, chosen as usual with ``joblib.parallel_config``: processes (loky,
the default), threads, or a Dask cluster.
"""

# %%
import time

from joblib import parallel_config
from scipy.stats import loguniform
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktune import TPESearchCV

X, y = load_breast_cancer(return_X_y=True)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
space = {"logisticregression__C": loguniform(1e-3, 1e2)}


def run(label: str) -> None:
    search = TPESearchCV(model, space, n_iter=8, cv=3, n_jobs=2, random_state=0)
    start = time.perf_counter()
    search.fit(X, y)
    print(
        f"{label:>9}: best {search.best_score_:.4f}, "
        f"{len(search.cv_results_['params'])} candidates, "
        f"{time.perf_counter() - start:.1f} s"
    )


# %%
# Threads suit estimators that release the GIL; processes isolate the fits.
with parallel_config(backend="threading"):
    run("threading")
with parallel_config(backend="loky"):
    run("loky")

# %%
# On a Dask cluster
# -----------------
# With a ``distributed.Client``, the ``dask`` backend sends the fits to the
# cluster's workers; the sampler and the pruner stay here. A real cluster is
# ``Client("tcp://scheduler:8786")``; a small local one shows the idea.
try:
    from dask.distributed import Client, LocalCluster
except ImportError:  # the ``dask`` extra is not installed
    print("dask is not installed: pip install 'sktune[dask]'")
else:
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster,
        Client(cluster),
        parallel_config(backend="dask"),
    ):
        run("dask")
