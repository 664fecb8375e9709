"""scikit-learn's own tests of RandomizedSearchCV and GridSearchCV, run on
TPESearchCV.

The issue's yardstick: whatever scikit-learn's tests check of
RandomizedSearchCV, apart from which candidates are drawn, holds for
TPESearchCV. Each test module below is read from the installed scikit-learn,
its ``RandomizedSearchCV`` import rebound to ``TPESearchCV``, and run by pytest
in a subprocess. The search tests run a second time with ``GridSearchCV``
rebound to TPESearchCV with ``n_iter`` set to the grid's size (the drop-in use
for a grid). Every failure must be one of the differences listed in
``EXPECTED``, each with its reason. Nothing of scikit-learn's is copied into
this repository: the modules are read at test time.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = [pytest.mark.sklearn_compat, pytest.mark.slow]

#: scikit-learn's test modules that use RandomizedSearchCV.
MODULES = [
    "sklearn.model_selection.tests.test_search",
    "sklearn.tests.test_metaestimators",
    "sklearn.tests.test_metaestimators_metadata_routing",
]

_DUPLICATES = (
    "a grid listing a value twice: TPESearchCV evaluates each distinct point "
    "once (the issue's 'never evaluated twice' rule), GridSearchCV each entry"
)

#: Tests (by function name) that fail by design, and why.
EXPECTED = {
    "test_search_with_2d_array": (
        "draws 3 of the 4 points of a grid and checks which: the sampler's choice"
    ),
    "test_search_cv_using_minimal_compatible_estimator": (
        "names 'predictor__parama', which the estimator's get_params does not "
        "list: TPESearchCV rejects unknown names before any fit (the issue's "
        "'bad space' rule); scikit-learn passes it to a set_params that accepts "
        "anything"
    ),
}

#: Tests that fail by design when GridSearchCV is TPESearchCV (the search
#: tests' RandomizedSearchCV is then scikit-learn's own).
EXPECTED_GRID = {
    "test_search_cv_using_minimal_compatible_estimator": EXPECTED[
        "test_search_cv_using_minimal_compatible_estimator"
    ],
    "test_grid_search_cv_splits_consistency": _DUPLICATES,
    "test_grid_search_classifier_all_fits_fail": _DUPLICATES,
    "test_callable_multimetric_clf_all_fits_fail": _DUPLICATES,
    "test_custom_run_search": (
        "subclasses GridSearchCV to override _run_search: TPESearchCV runs its "
        "own asynchronous loop (DESIGN.md)"
    ),
    "test_grid_search_bad_param_grid": (
        "matches GridSearchCV's message for a value that is not a list; "
        "TPESearchCV's names the parameter and the value in its own words"
    ),
}

#: GridSearchCV's constructor on TPESearchCV: n_iter is the grid's size.
_GRID_SHIM = """
import numpy as np
from sklearn.model_selection import ParameterGrid
from sktune import TPESearchCV


class GridSearchCV(TPESearchCV):
    def __init__(self, estimator, param_grid, *, scoring=None, n_jobs=None,
                 refit=True, cv=None, verbose=0, pre_dispatch="2*n_jobs",
                 error_score=np.nan, return_train_score=False):
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.error_score = error_score
        self.return_train_score = return_train_score

    param_distributions = property(lambda self: self.param_grid)
    n_iter = property(lambda self: max(1, len(ParameterGrid(self.param_grid))))
    random_state = sampler = pruner = timeout = callbacks = None
    study = storage = study_name = None
    show_progress_bar = False
    resource = min_resources = max_resources = resource_factor = "auto"
"""

_IMPORT = "from sktune import TPESearchCV as RandomizedSearchCV"


def _rebind(source: str, name: str = "RandomizedSearchCV", line: str = _IMPORT) -> str:
    """``source`` with its import of ``name`` replaced by ``line``."""
    # Inside a parenthesised import list: drop the name, import ours after.
    new, n = re.subn(
        r"^(from sklearn\.model_selection import \((?:\n[^)]*?)*?)\n\s*"
        rf"{name},((?:\n[^)]*?)*?\n\))",
        rf"\1\2\n{line}",
        source,
        count=1,
        flags=re.M,
    )
    if n:
        return new

    # On one line, alone or with other names.
    def one_line(m: re.Match) -> str:
        others = f"{m[1]}{m[2]}".strip().rstrip(",")
        if not others:
            return line
        return f"from sklearn.model_selection import {others}\n{line}"

    new, n = re.subn(
        rf"^from sklearn\.model_selection import (.*)\b{name}\b,? ?(.*)$",
        one_line,
        source,
        count=1,
        flags=re.M,
    )
    if not n:
        raise AssertionError(f"no {name} import found")
    return new


def _failures(report: Path) -> tuple[int, set[str]]:
    """Number of tests run, and the function names of those that failed."""
    root = ET.parse(report).getroot()
    run, failed = 0, set()
    for case in root.iter("testcase"):
        if case.find("skipped") is not None:
            continue
        run += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(case.get("name", "").split("[")[0])
    return run, failed


def test_rebind_handles_both_import_forms():
    block = (
        "from sklearn.model_selection import (\n"
        "    KFold,\n    RandomizedSearchCV,\n)\n"
    )
    assert "RandomizedSearchCV," not in _rebind(block).split(_IMPORT)[0]
    assert _IMPORT in _rebind(block)
    line = "from sklearn.model_selection import GridSearchCV, RandomizedSearchCV\n"
    assert _rebind(line).splitlines() == [
        "from sklearn.model_selection import GridSearchCV",
        _IMPORT,
    ]
    alone = "from sklearn.model_selection import RandomizedSearchCV\n"
    assert _rebind(alone).splitlines() == [_IMPORT]


@pytest.mark.parametrize(
    "module, rebound",
    [(m, "RandomizedSearchCV") for m in MODULES]
    + [("sklearn.model_selection.tests.test_search", "GridSearchCV")],
)
def test_sklearn_search_tests_pass_on_tpesearchcv(module, rebound, tmp_path):
    spec = importlib.util.find_spec(module.rsplit(".", 1)[0])
    path = Path(spec.submodule_search_locations[0]) / (module.rsplit(".", 1)[1] + ".py")
    if not path.exists():
        pytest.skip(f"{module} is not installed")
    target = tmp_path / path.name
    if rebound == "GridSearchCV":
        (tmp_path / "grid_shim.py").write_text(_GRID_SHIM)
        source = _rebind(
            path.read_text(), rebound, "from grid_shim import GridSearchCV"
        )
        expected = EXPECTED_GRID
    else:
        source = _rebind(path.read_text())
        expected = EXPECTED
    target.write_text(source)
    # scikit-learn's helper module next to its search tests.
    common = path.parent / "common.py"
    if common.exists():
        (tmp_path / "common.py").write_text(common.read_text())
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    report = tmp_path / "report.xml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(target),
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore",
            f"--junitxml={report}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    run, failed = _failures(report)
    assert run > 0
    unexpected = failed - set(expected)
    assert not unexpected, (
        f"scikit-learn's tests that fail on TPESearchCV: {sorted(unexpected)}\n"
        + proc.stdout[-6000:]
    )
    # The list stays current: an expected failure of this module still fails.
    stale = {n for n in expected if f"def {n}(" in source and n not in failed}
    assert not stale, f"expected failures that now pass: {sorted(stale)}"
