"""The Tree-structured Parzen Estimator sampler."""

from sktune.samplers._tpe._sampler import TPESampler, default_gamma, default_weights

__all__ = ["TPESampler", "default_gamma", "default_weights"]
