"""DESIGN.md's layering: the core imports neither scikit-learn nor matplotlib."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "sktune",
    "sktune.study",
    "sktune.distributions",
    "sktune.samplers",
    "sktune.pruners",
    "sktune.storages",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_does_not_import_sklearn_or_matplotlib(module):
    code = (
        f"import {module}, sys\n"
        "import sktune\n"
        "s = sktune.create_study()\n"
        "s.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=12)\n"
        "bad = [m for m in ('sklearn', 'matplotlib', 'pandas') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
