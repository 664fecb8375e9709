"""The define-by-run core: studies and trials."""

from sktune._frozen import FrozenTrial, TrialState
from sktune.study._callbacks import MaxTrialsCallback
from sktune.study._study import (
    Study,
    StudyDirection,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    load_study,
)
from sktune.study._trial import Trial

__all__ = [
    "FrozenTrial",
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "Trial",
    "TrialState",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "load_study",
]
