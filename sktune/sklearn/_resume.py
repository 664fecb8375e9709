"""Checks that a resumed search evaluates candidates as the stored ones were.

A search given a ``storage`` and ``study_name`` continues the study's
candidates, and ``cv_results_`` mixes the stored rows with the new ones. That
only makes sense if every row was evaluated on the same splits with the same
scorers, so a resumed search refuses, before any fit, settings that differ:
the number of splits (``cv``), the scorers (``scoring``), the metric the
trial values hold (``refit`` with several metrics), the value of a failed fit
(a numeric ``error_score``), and train scores asked for
(``return_train_score``) that the stored candidates lack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sktune.sklearn._results import TrialRecord
from sktune.study import Study

__all__ = ["FIRST_METRIC", "SCORING_ATTR", "check_resume", "describe_scoring"]

#: Study system attribute describing the ``scoring`` of the search.
SCORING_ATTR = "sktune:scoring"
#: Study system attribute naming the metric the trial values hold.
OBJECTIVE_ATTR = "sktune:objective"
#: Study system attribute holding a numeric ``error_score`` (as text).
ERROR_SCORE_ATTR = "sktune:error_score"
#: The objective of a callable scoring returning several metrics without a
#: ``refit`` name: the trial values hold the first metric it returns.
FIRST_METRIC = "the first one returned"


def describe_scoring(scoring: Any) -> str:
    """A stable text naming ``scoring`` (the same in every session).

    Examples
    --------
    >>> describe_scoring(("f1_macro", "accuracy"))
    "['accuracy', 'f1_macro']"
    >>> describe_scoring(None)
    'None'
    """
    return repr(_describe(scoring))


def _describe(scoring: Any) -> Any:
    if scoring is None or isinstance(scoring, str):
        return scoring
    if isinstance(scoring, Mapping):
        return {str(k): _describe(scoring[k]) for k in sorted(scoring, key=str)}
    if isinstance(scoring, Sequence | set | frozenset):
        return sorted(str(_describe(s)) for s in scoring)
    from sklearn.metrics._scorer import _BaseScorer

    if isinstance(scoring, _BaseScorer):
        return repr(scoring)  # make_scorer(f1_score, average=macro, ...)
    name = getattr(scoring, "__qualname__", None) or type(scoring).__qualname__
    return f"{getattr(scoring, '__module__', '')}.{name}"


def check_resume(
    study: Study,
    records: list[TrialRecord],
    *,
    n_splits: int,
    scoring: Any,
    return_train_score: bool,
    owner: str,
    objective: str | None = None,
    error_score: Any = "raise",
) -> None:
    """Raise ValueError if the stored candidates were evaluated otherwise.

    ``objective`` names the metric the trial values hold (None: the only
    one). Then record the settings in the study, for the next resume.
    """
    name = study.study_name
    stored_splits = {len(r.outs) for r in records}
    if stored_splits and stored_splits != {n_splits}:
        raise ValueError(
            f"The 'cv' parameter of {owner} gives {n_splits} splits, but the study "
            f"{name!r} holds candidates evaluated on {min(stored_splits)} splits. "
            "Resume with the same cv, or give another study_name."
        )
    text = describe_scoring(scoring)
    stored = study.system_attrs.get(SCORING_ATTR)
    if records and stored is not None and stored != text:
        raise ValueError(
            f"The 'scoring' parameter of {owner} is {text}, but the study {name!r} "
            f"holds candidates scored with {stored}. Resume with the same scoring, "
            "or give another study_name."
        )
    settings = [
        (
            OBJECTIVE_ATTR,
            "refit",
            "the metric",
            None if objective is None else repr(objective),
        ),
        (
            ERROR_SCORE_ATTR,
            "error_score",
            "failed fits scored",
            _error_text(error_score),
        ),
    ]
    # The metric matters only if the stored candidates have several; then
    # "the first one returned" is the first key of their scores.
    dicts = [
        o["test_scores"]
        for record in records
        for o in record.outs
        if o is not None and isinstance(o.get("test_scores"), Mapping)
    ]
    several = bool(dicts)
    first = repr(str(next(iter(dicts[0])))) if dicts and dicts[0] else None

    def resolved(text: str | None) -> str | None:
        return first if text == repr(FIRST_METRIC) and first is not None else text

    for attr, param, what, value in settings:
        old = study.system_attrs.get(attr)
        if attr == OBJECTIVE_ATTR:
            if not several:
                continue
            old, value = resolved(old), resolved(value)
        if records and old is not None and value is not None and old != value:
            raise ValueError(
                f"The '{param}' parameter of {owner} gives {what} {value}, but the "
                f"study {name!r} holds candidates with {what} {old}. Resume with "
                f"the same {param}, or give another study_name."
            )
    if return_train_score:
        for record in records:
            if any(o is not None and "train_scores" not in o for o in record.outs):
                raise ValueError(
                    f"The 'return_train_score' parameter of {owner} is True, but "
                    f"the study {name!r} holds candidates evaluated without train "
                    "scores. Resume with return_train_score=False, or give "
                    "another study_name."
                )
    if stored != text:
        study.set_system_attr(SCORING_ATTR, text)
    for attr, _, _, value in settings:
        if value is not None and study.system_attrs.get(attr) != value:
            study.set_system_attr(attr, value)


def _error_text(error_score: Any) -> str | None:
    """``error_score`` as stored values see it; None for "raise", which stores
    no failed fit and so goes with any other value."""
    if isinstance(error_score, str):
        return None
    return repr(float(error_score))
