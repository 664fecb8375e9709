"""``python -m sktune demo``: the report and the plots of a real (quick) run."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sktune import _demo

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_quick_demo(tmp_path: Path) -> None:
    """One real ``--quick`` run (a subprocess, as a user runs it), checked by
    the helpers below: the report and the plots."""
    out = tmp_path / "plots"
    proc = subprocess.run(
        [sys.executable, "-m", "sktune", "demo", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, proc.stderr
    run = (proc.stdout, out)
    _check_report_compares_both_searches(run)
    _check_report_counts_the_budget_and_pruned_candidates(run)
    _check_plots_are_png_files(run)


def _section(report: str, number: int) -> str:
    body = report.split("\nReport\n", 1)[1]
    parts = re.split(r"^(?=\d\. )", body, flags=re.MULTILINE)
    return next(p for p in parts if p.startswith(f"{number}. "))


def _row(section: str, label: str) -> list[str]:
    line = next(x for x in section.splitlines() if x.strip().startswith(label))
    return line.strip()[len(label) :].split()


def _check_report_compares_both_searches(quick_run: tuple[str, Path]) -> None:
    report, _ = quick_run
    # Progress comes before the report.
    assert report.index("TPESearchCV done") < report.index("\nReport\n")
    assert "new best" in report
    for number in (1, 2):
        section = _section(report, number)
        scores = [float(x) for x in _row(section, "best CV accuracy")]
        assert len(scores) == 2 and all(0.0 < s <= 1.0 for s in scores)
        assert "best parameters, TPESearchCV:" in section
        assert "best parameters, RandomizedSearchCV:" in section
        # The verdict follows the scores: who won, or a tie within the noise.
        diff = scores[0] - scores[1]
        if "A tie" in section:
            noise = float(re.search(r"standard error (\d\.\d+)", section)[1])
            assert abs(diff) <= noise + 1e-4
        elif diff > 0:
            assert "TPESearchCV found a better model" in section
        else:
            assert "RandomizedSearchCV found a better model" in section


def _check_report_counts_the_budget_and_pruned_candidates(
    quick_run: tuple[str, Path],
) -> None:
    report, _ = quick_run
    # --quick: 6 candidates; 2 folds in the first search; the second has 3
    # folds and 8 epochs, a budget of 6 x 3 x 8 = 144 epochs.
    first = _section(report, 1)
    assert _row(first, "candidates") == ["6", "6"]
    assert _row(first, "fits spent") == ["12", "12"]
    assert _row(first, "pruned candidates") == ["-", "-"]
    assert "SVC(" in first or "RandomForestClassifier(" in first
    second = _section(report, 2)
    tpe_epochs, random_epochs = (int(x) for x in _row(second, "epochs trained"))
    tpe_candidates, random_candidates = (int(x) for x in _row(second, "candidates"))
    n_pruned, random_pruned = _row(second, "pruned candidates")
    assert random_candidates == 6 and random_epochs == 144 and random_pruned == "-"
    # TPESearchCV stops once the budget is spent (the last candidate may
    # overshoot it by at most its own 3 x 8 epochs), or at 2 x 6 candidates.
    assert tpe_epochs <= 144 + 24
    assert tpe_epochs >= 144 or tpe_candidates == 12
    # The epochs pruning saved went to more candidates.
    assert int(n_pruned) >= 1
    assert tpe_candidates > random_candidates


def _check_plots_are_png_files(quick_run: tuple[str, Path]) -> None:
    report, out = quick_run
    for name in ("optimization_history.png", "param_importances.png"):
        path = out / name
        assert str(path) in report
        data = path.read_bytes()
        assert data[:8] == PNG_MAGIC
        assert len(data) > 1000


def _args(**kwargs: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _demo.add_arguments(parser)
    args = parser.parse_args([])
    for key, value in kwargs.items():
        setattr(args, key, value)
    return args


def test_defaults_and_quick_settings() -> None:
    full = _demo._settings(_args())
    quick = _demo._settings(_args(quick=True))
    assert (full.n_iter, full.n_jobs, full.cv_folds, full.n_samples) == (
        30,
        -1,
        3,
        None,
    )
    assert (quick.n_iter, quick.n_jobs, quick.cv_folds) == (6, 1, 2)
    assert (quick.pruned_folds, quick.max_epochs) == (3, 8)
    assert quick.n_samples is not None and quick.n_samples < 1797
    assert _demo._settings(_args(n_iter=3, n_jobs=2)).n_iter == 3
    assert _args().out == "sktune-demo"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"n_iter": 0},
            "The '--n-iter' option of sktune demo must be an int >= 1. Got 0 instead.",
        ),
        (
            {"n_jobs": 0},
            "The '--n-jobs' option of sktune demo must be a non-zero "
            "int. Got 0 instead.",
        ),
        (
            {"seed": -1},
            "The '--seed' option of sktune demo must be an int in [0, 2**32). "
            "Got -1 instead.",
        ),
        (
            {"seed": 2**32},
            "The '--seed' option of sktune demo must be an int in [0, 2**32). "
            "Got 4294967296 instead.",
        ),
    ],
)
def test_invalid_options_exit_2(
    options: dict[str, int], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _demo.main(_args(**options)) == 2
    assert message in capsys.readouterr().err


def test_unwritable_out_folder_exits_2_before_any_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    def no_search(*args: object) -> None:
        raise AssertionError("a search ran")

    monkeypatch.setattr(_demo, "_load_data", no_search)
    assert _demo.main(_args(quick=True, out=str(blocker / "plots"))) == 2
    err = capsys.readouterr().err
    assert "the '--out' folder" in err and "cannot be created" in err


def test_importance_plot_leaves_out_the_branch_index() -> None:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.tree import DecisionTreeClassifier

    from sktune import TPESearchCV
    from sktune.distributions import FloatDistribution, IntDistribution

    X, y = make_classification(n_samples=60, random_state=0)
    space = [
        {"clf": [LogisticRegression()], "clf__C": FloatDistribution(0.1, 10.0)},
        {"clf": [DecisionTreeClassifier()], "clf__max_depth": IntDistribution(1, 4)},
    ]
    search = TPESearchCV(
        Pipeline([("clf", LogisticRegression())]),
        space,
        n_iter=8,
        cv=2,
        random_state=0,
    ).fit(X, y)
    seen = {}

    def plot(s: object, params: list[str]) -> list[str]:
        seen["params"] = params
        return params

    _demo._importances_plotter(plot)(search)
    assert "__space__" not in seen["params"]
    assert {"clf", "clf__C", "clf__max_depth"} <= set(seen["params"])


def _run(
    name: str, best: float, cost: int, pruned: int | None, std_error: float = 0.0
) -> _demo._Run:
    return _demo._Run(
        name=name,
        best_score=best,
        best_params={"alpha": 0.1},
        n_candidates=5,
        cost=cost,
        n_pruned=pruned,
        seconds=1.0,
        std_error=std_error,
    )


def test_verdict_is_honest_when_tpe_loses() -> None:
    text = _demo._verdict(_run("TPE", 0.90, 12, 2), _run("random", 0.95, 15, None))
    assert text.startswith("RandomizedSearchCV found a better model on this seed")
    assert "-0.0500" in text
    assert "5 candidates in 12 fits, against 5 in 15" in text
    epochs = _demo._verdict(
        _run("TPE", 0.90, 30, 2), _run("random", 0.80, 40, None), "epochs"
    )
    assert "+0.1000" in epochs and "in 30 epochs, against 5 in 40" in epochs
    assert "TPESearchCV found a better" in _demo._verdict(
        _run("TPE", 0.95, 15, None), _run("random", 0.90, 15, None)
    )
    assert "tie" in _demo._verdict(
        _run("TPE", 0.9, 15, None), _run("random", 0.9, 15, None)
    )
    # Within the standard error of either best score: a tie, whoever leads.
    for tpe_score in (0.899, 0.901):
        text = _demo._verdict(
            _run("TPE", tpe_score, 15, None, 0.002), _run("random", 0.9, 15, None)
        )
        assert text.startswith("A tie") and "standard error 0.0020" in text
    assert "RandomizedSearchCV found" in _demo._verdict(
        _run("TPE", 0.89, 15, None, 0.002), _run("random", 0.9, 15, None, 0.001)
    )


def test_std_error_of_the_best_candidate() -> None:
    import numpy as np

    results = {
        "split0_test_score": np.array([0.8, 0.5]),
        "split1_test_score": np.array([0.9, np.nan]),
        "split2_test_score": np.array([1.0, np.nan]),
        "mean_test_score": np.array([0.9, 0.5]),
    }
    expected = np.std([0.8, 0.9, 1.0]) / np.sqrt(3)
    assert _demo._std_error(results, 0) == pytest.approx(expected)
    assert _demo._std_error(results, 1) == 0.0  # one fold run: no estimate


def test_params_are_shown_readably() -> None:
    from sklearn.svm import SVC

    shown = _demo._fmt_params({"clf": SVC(), "clf__gamma": 0.00123, "clf__C": 3})
    assert shown == "SVC(C=3, gamma=0.00123)"
    assert _demo._fmt_params({"loss": "hinge", "alpha": 1e-5}) == (
        "alpha=1e-05, loss='hinge'"
    )


def test_missing_matplotlib_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    assert _demo._write_plots(object(), tmp_path / "plots") == []
    assert "pip install 'sktune[plot]'" in capsys.readouterr().out
    assert not (tmp_path / "plots").exists()
