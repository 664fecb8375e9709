"""The example gallery runs, and the API reference lists every public name.

Each example in ``examples/`` runs as a subprocess (as sphinx-gallery runs it,
with the Agg backend), and its printed output is checked: the docs build in
CI does not execute the gallery, these tests do.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DOCS = ROOT / "docs"

# What each example must print (regular expressions, searched in stdout).
EXPECTED = {
    "plot_quickstart.py": [
        r"RandomizedSearchCV: best CV accuracy 0\.\d{4}",
        r"TPESearchCV: best CV accuracy 0\.\d{4}",
        r"\['mean_fit_time', 'std_fit_time', 'mean_score_time', 'std_score_time', "
        r"'param_C', 'param_gamma', 'params', 'split0_test_score'\]",
    ],
    "plot_pipeline_choice.py": [
        r"best CV accuracy: 0\.\d{4}",
        r"(SVC|RandomForestClassifier|LogisticRegression): +\d+ candidates, best",
    ],
    "plot_define_by_run.py": [
        r"best value: 0\.\d+",
        r"best params: \{'model': '(svc|knn)'",
        r"minimum of \(x - 2\)\^2 \+ \(y \+ 1\)\^2 found: \{'x': ",
    ],
    "plot_pruning.py": [
        r"states: \{'COMPLETE': \d+, 'PRUNED': [1-9]\d*\}",
        r"epochs trained: \d+ instead of 1440 without pruning",
        # Steps double from 1 epoch up to max_iter=16.
        r"epochs reached by pruned candidates: \[( *(1|2|4|8|16))+ *\]",
        r"rank of the best: 1\n",
    ],
    "plot_pruning_warm_start.py": [
        r"trees reached: \[6, [\d, ]+48\]",
        r"trees per fold, all candidates: \d+ instead of 960",
        r"state of the best: COMPLETE",
        r"pruned: [1-9]\d* of 20",
    ],
    "plot_parallel_backends.py": [
        r"threading: best 0\.\d{4}, 8 candidates",
        r"loky: best 0\.\d{4}, 8 candidates",
        r"dask: best 0\.\d{4}, 8 candidates",
    ],
    "plot_resume_sqlite.py": [
        r"interrupted after 8 candidates",
        r"candidates in cv_results_: 20\n",
        r"svc-iris +maximize +20 +20",
    ],
    "plot_visualization.py": [
        r"svc__gamma: 0\.\d\d",
        r"svc__class_weight: 0\.\d\d",
    ],
}


def test_every_example_is_checked() -> None:
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert scripts == sorted(EXPECTED)
    for name in scripts:
        # sphinx-gallery runs files named plot_*.py and titles them from an
        # RST docstring: a title line underlined with "=".
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        assert name.startswith("plot_")
        assert re.match(r'"""\n[^\n]+\n=+\n', text), name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for pattern in EXPECTED[name]:
        assert re.search(pattern, proc.stdout), (pattern, proc.stdout)


# Modules whose ``__all__`` the API reference documents, and names documented
# elsewhere (re-exports of the same object).
PUBLIC_MODULES = [
    "sktune",
    "sktune.distributions",
    "sktune.exceptions",
    "sktune.trial",
    "sktune.study",
    "sktune.samplers",
    "sktune.pruners",
    "sktune.storages",
    "sktune.importance",
    "sktune.visualization",
    "sktune.sklearn",
]
NOT_LISTED = {"__version__", "CategoricalChoiceType"}


def _documented() -> set[int]:
    """ids of the objects api.rst's autosummary tables document."""
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    ids = set()
    module = "sktune"
    for line in text.splitlines():
        if m := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = m.group(1)
        elif m := re.match(r"   ([A-Za-z_]\w*)$", line):
            ids.add(id(getattr(importlib.import_module(module), m.group(1))))
    return ids


def test_api_reference_lists_every_public_name() -> None:
    documented = _documented()
    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if name in NOT_LISTED or type(obj).__name__ == "module":
                continue
            if id(obj) not in documented:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"not in docs/api.rst: {missing}"


def test_user_guide_pages_are_in_the_toctree() -> None:
    index = (DOCS / "index.rst").read_text(encoding="utf-8")
    entries = set(re.findall(r"^   ([\w/]+)$", index, flags=re.MULTILINE))
    generated = {"index", "sg_execution_times"}  # sphinx-gallery writes the latter
    pages = {p.stem for p in DOCS.glob("*.rst") if p.stem not in generated}
    pages |= {p.stem for p in DOCS.glob("*.md") if not p.stem.startswith("_")}
    assert pages <= entries, pages - entries
    assert "auto_examples/index" in entries
