"""Pruners: decide when a running trial should stop."""

from sktune.pruners._base import BasePruner
from sktune.pruners._nop import NopPruner

__all__ = ["BasePruner", "NopPruner"]
