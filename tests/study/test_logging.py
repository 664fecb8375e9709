"""sktune.logging: Optuna's functions over the standard "sktune" logger."""

from __future__ import annotations

import logging

import pytest

import sktune


@pytest.fixture(autouse=True)
def _restore():
    root = logging.getLogger("sktune")
    level, propagate = root.level, root.propagate
    yield
    sktune.logging.disable_default_handler()
    root.setLevel(level)
    root.propagate = propagate


def _optimize(n=2):
    study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n)


def test_quiet_by_default_and_a_line_per_trial_at_info(capsys):
    _optimize()
    assert "Trial 0 finished" not in capsys.readouterr().err
    sktune.logging.set_verbosity(sktune.logging.INFO)
    assert sktune.logging.get_verbosity() == logging.INFO
    _optimize()
    err = capsys.readouterr().err
    assert "Trial 0 finished: COMPLETE" in err and "Trial 1 finished" in err
    sktune.logging.set_verbosity(sktune.logging.WARNING)
    _optimize()
    assert "finished" not in capsys.readouterr().err


def test_default_handler_and_propagation_can_be_switched(capsys, caplog):
    sktune.logging.set_verbosity(sktune.logging.INFO)
    sktune.logging.disable_default_handler()
    sktune.logging.enable_propagation()
    with caplog.at_level(logging.INFO, logger="sktune"):
        _optimize(1)
    assert "Trial 0 finished" in caplog.text  # through the root logger
    assert "Trial 0 finished" not in capsys.readouterr().err
    sktune.logging.enable_default_handler()
    sktune.logging.disable_propagation()
    caplog.clear()
    _optimize(1)
    assert "Trial 0 finished" in capsys.readouterr().err
    assert "Trial 0 finished" not in caplog.text


def test_get_logger_level_names_and_bad_verbosity():
    assert sktune.logging.get_logger("sktune") is logging.getLogger("sktune")
    sktune.logging.set_verbosity("info")  # a level name, as logging takes
    assert sktune.logging.get_verbosity() == logging.INFO
    with pytest.raises(ValueError, match="verbosity.*'loud'"):
        sktune.logging.set_verbosity("loud")
    with pytest.raises(TypeError, match="verbosity.*1.5"):
        sktune.logging.set_verbosity(1.5)
