"""Samplers: propose the parameters of each trial."""

from typing import Any

from sktune.samplers._base import BaseSampler
from sktune.samplers._grid import GridSampler
from sktune.samplers._qmc import QMCSampler
from sktune.samplers._random import RandomSampler

__all__ = ["BaseSampler", "GridSampler", "QMCSampler", "RandomSampler", "TPESampler"]


def __getattr__(name: str) -> Any:
    # TPESampler lives in a subpackage; imported on first use.
    if name == "TPESampler":
        from sktune.samplers._tpe import TPESampler

        return TPESampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
