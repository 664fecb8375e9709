"""sktune: tune scikit-learn models with fewer fits.

The define-by-run core (:func:`create_study`, :class:`Study`, :class:`Trial`,
samplers, pruners, storages) uses the names Optuna users know;
:class:`TPESearchCV` is a drop-in replacement for scikit-learn's
``GridSearchCV`` and ``RandomizedSearchCV``.
"""

from __future__ import annotations

from typing import Any

from sktune import (
    distributions,
    exceptions,
    logging,
    pruners,
    samplers,
    storages,
    trial,
)
from sktune.exceptions import TrialPruned
from sktune.study import (
    Study,
    StudyDirection,
    Trial,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    load_study,
)
from sktune.trial import create_trial

__version__ = "0.1.0"

__all__ = [
    "Study",
    "StudyDirection",
    "TPESearchCV",
    "Trial",
    "TrialPruned",
    "__version__",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "storages",
    "trial",
]


def __getattr__(name: str) -> Any:
    # The scikit-learn adapter is imported on first use, so that the core
    # does not pull in scikit-learn.
    if name == "TPESearchCV":
        from sktune.sklearn import TPESearchCV

        return TPESearchCV
    if name in ("visualization", "importance", "sklearn"):
        import importlib

        return importlib.import_module(f"sktune.{name}")
    raise AttributeError(f"module 'sktune' has no attribute {name!r}")
