"""The study-management commands of the ``sktune`` CLI, on a real database."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import sktune
from sktune.cli import main
from sktune.trial import TrialState

REPO = str(Path(sktune.__file__).resolve().parent.parent)


@pytest.fixture
def db(tmp_path):
    """A database with a finished study 'alpha' and an empty study 'empty'."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    study = sktune.create_study(study_name="alpha", storage=url, direction="maximize")

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        trial.report(x / 2, step=0)
        trial.set_user_attr("tag", f"t{trial.number}")
        return x + (kind == "b")

    study.optimize(objective, n_trials=5)
    study.enqueue_trial({"x": 0.5})
    sktune.create_study(study_name="empty", storage=url)
    return url, study


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_studies_table_json_and_csv(db, capsys):
    url, study = db
    code, out, err = run(capsys, "studies", "--storage", url)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == [
        "name",
        "direction",
        "n_trials",
        "n_complete",
        "best_value",
        "best_trial",
    ]
    assert lines[2].split()[:4] == ["alpha", "maximize", "6", "5"]
    assert lines[3].split() == ["empty", "minimize", "0", "0"]

    code, out, _ = run(capsys, "studies", "--storage", url, "--format", "json")
    rows = json.loads(out)
    assert code == 0
    assert rows[0]["best_value"] == study.best_value
    assert rows[0]["best_trial"] == study.best_trial.number
    assert rows[1] == {
        "name": "empty",
        "direction": "minimize",
        "n_trials": 0,
        "n_complete": 0,
        "best_value": None,
        "best_trial": None,
    }
    code, out, _ = run(capsys, "studies", "--storage", url, "--format", "csv")
    assert [r["name"] for r in csv.DictReader(io.StringIO(out))] == ["alpha", "empty"]


def test_trials_formats_and_state_filter(db, capsys):
    url, study = db
    code, out, _ = run(capsys, "trials", "alpha", "--storage", url)
    assert code == 0
    header, _, *rows = out.splitlines()
    assert header.split() == [
        "number",
        "state",
        "value",
        "duration_s",
        "params_x",
        "params_kind",
    ]
    assert len(rows) == 6 and rows[-1].split() == ["5", "WAITING"]

    code, out, _ = run(capsys, "trials", "alpha", "--storage", url, "--format", "json")
    records = json.loads(out)
    assert [r["number"] for r in records] == list(range(6))
    assert [r["value"] for r in records[:5]] == [t.value for t in study.trials[:5]]
    assert records[0]["params_x"] == study.trials[0].params["x"]

    code, out, _ = run(
        capsys, "trials", "alpha", "--storage", url, "--format", "csv", "--state",
        "waiting",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["number"], r["state"]) for r in rows] == [("5", "WAITING")]


def test_best_trial(db, capsys):
    url, study = db
    code, out, _ = run(
        capsys, "best-trial", "alpha", "--storage", url, "--format", "json"
    )
    record = json.loads(out)
    best = study.best_trial
    assert code == 0
    assert record["number"] == best.number and record["value"] == best.value
    assert record["params"] == best.params
    assert record["user_attrs"] == {"tag": f"t{best.number}"}
    assert record["intermediate_values"] == {"0": best.params["x"] / 2}

    code, out, _ = run(capsys, "best-trial", "alpha", "--storage", url)
    table = dict(line.split(None, 1) for line in out.splitlines()[2:])
    assert code == 0 and table["number"] == str(best.number)
    assert table["params_kind"] == best.params["kind"]


def test_export_csv_and_json(db, capsys, tmp_path):
    url, study = db
    code, out, _ = run(capsys, "export", "alpha", "--storage", url)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 6
    for row, trial in zip(rows, study.trials):
        assert row["state"] == trial.state.name
        if trial.state == TrialState.COMPLETE:
            assert float(row["value"]) == trial.value  # full precision
            assert float(row["params_x"]) == trial.params["x"]
            assert row["user_attrs_tag"] == trial.user_attrs["tag"]

    target = tmp_path / "out.json"
    code, out, err = run(
        capsys, "export", "alpha", "--storage", url, "--format", "json", "-o",
        str(target),
    )  # fmt: skip
    assert code == 0 and "Wrote 6 trials" in err
    data = json.loads(target.read_text())
    assert data["study_name"] == "alpha" and data["direction"] == "maximize"
    assert [t["params"] for t in data["trials"][:5]] == [
        t.params for t in study.trials[:5]
    ]
    assert data["trials"][5]["system_attrs"] == {"fixed_params": {"x": 0.5}}


def test_delete(db, capsys):
    url, _ = db
    code, out, _ = run(capsys, "delete", "alpha", "--storage", url, "--format", "json")
    assert code == 0 and json.loads(out) == {"deleted": "alpha", "n_trials": 6}
    assert sktune.get_all_study_names(url) == ["empty"]
    code, _, err = run(capsys, "delete", "alpha", "--storage", url)
    assert code == 1 and "no study named 'alpha'" in err


def test_optuna_spellings_of_study_name_format_and_delete(db, capsys):
    url, _ = db
    code, out, _ = run(
        capsys, "trials", "--study-name", "alpha", "--storage", url, "-f", "json"
    )
    assert code == 0 and len(json.loads(out)) == 6
    code, out, _ = run(capsys, "best-trial", "--study-name", "alpha", "--storage", url)
    assert code == 0 and "number" in out
    for argv in (["trials"], ["trials", "alpha", "--study-name", "alpha"]):
        with pytest.raises(SystemExit) as info:
            main([*argv, "--storage", url])
        assert info.value.code == 2
        assert "give the study's name once" in capsys.readouterr().err
    code, _, _ = run(capsys, "delete-study", "--study-name", "alpha", "--storage", url)
    assert code == 0 and sktune.get_all_study_names(url) == ["empty"]


def test_missing_study_and_no_best_trial_exit_1(db, capsys):
    url, _ = db
    for argv in (
        ["trials", "nope", "--storage", url],
        ["best-trial", "nope", "--storage", url],
        ["export", "nope", "--storage", url],
    ):
        code, out, err = run(capsys, *argv)
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and "no study named 'nope'" in err
    code, _, err = run(capsys, "best-trial", "empty", "--storage", url)
    assert code == 1 and "has no complete trial" in err


@pytest.mark.parametrize("command", ["studies", "trials", "best-trial", "export"])
def test_missing_file_is_reported_and_not_created(tmp_path, capsys, command):
    path = tmp_path / "missing.db"
    argv = [command] + ([] if command == "studies" else ["s"])
    code, out, err = run(capsys, *argv, "--storage", f"sqlite:///{path}")
    assert code == 1 and out == ""
    assert "no database file" in err and str(path) in err
    assert not path.exists()


def test_sqlite_file_of_another_program_is_left_alone(tmp_path, capsys):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
    code, _, err = run(capsys, "studies", "--storage", f"sqlite:///{path}")
    assert code == 1 and "not an sktune SQLite database" in err
    assert "other tables (t)" in err
    with sqlite3.connect(path) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("t",)]


def test_usage_errors_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SKTUNE_STORAGE", raising=False)
    with pytest.raises(SystemExit) as info:
        main(["studies"])
    assert info.value.code == 2
    assert "--storage URL or set $SKTUNE_STORAGE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["studies", "--storage", "postgresql://x"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["export", "s", "--storage", "sqlite:///x.db", "--format", "xml"])
    assert info.value.code == 2


def test_storage_from_environment(db, capsys, monkeypatch):
    url, _ = db
    monkeypatch.setenv("SKTUNE_STORAGE", url)
    code, out, _ = run(capsys, "studies", "--format", "json")
    assert code == 0 and [r["name"] for r in json.loads(out)] == ["alpha", "empty"]


def test_real_command_exit_code_and_stderr(db):
    url, _ = db
    env = {**os.environ, "PYTHONPATH": REPO}
    missing = subprocess.run(
        [sys.executable, "-m", "sktune", "trials", "nope", "--storage", url],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [
        f"sktune trials: error: no study named 'nope' in {url}"
    ]


def test_parameter_none_differs_from_absent(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    study = sktune.create_study(study_name="s", storage=url)
    dist = sktune.distributions.CategoricalDistribution([None, "a"])
    study.add_trial(sktune.create_trial(value=1.0))
    study.add_trial(
        sktune.create_trial(value=2.0, params={"c": None}, distributions={"c": dist})
    )
    code, out, _ = run(capsys, "trials", "s", "--storage", url, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and "params_c" not in rows[0] and rows[1]["params_c"] is None
    code, out, _ = run(capsys, "trials", "s", "--storage", url, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["params_c"] for r in table] == ["", "None"]
    out_file = tmp_path / "t.csv"
    run(capsys, "export", "s", "--storage", url, "--format", "csv", "-o", str(out_file))
    table = list(csv.DictReader(io.StringIO(out_file.read_text())))
    assert [r["params_c"] for r in table] == ["", "None"]


def test_export_to_an_unwritable_path_is_one_line(db, capsys, tmp_path):
    url, _ = db
    target = tmp_path / "missing" / "out.json"
    code, _out, err = run(
        capsys, "export", "alpha", "--storage", url, "-o", str(target)
    )
    assert code == 1 and "Traceback" not in err
    assert str(target) in err and len(err.strip().splitlines()) == 1


def test_long_cells_are_cut_in_tables_only(tmp_path, capsys):
    # A TPESearchCV study keeps each candidate's folds in a user attribute:
    # the table showed it whole, hundreds of characters wide.
    url = f"sqlite:///{tmp_path / 'long.db'}"
    study = sktune.create_study(study_name="s", storage=url)
    folds = {"folds": [{"test_scores": 0.5 + i / 100} for i in range(20)]}

    def objective(trial):
        trial.set_user_attr("cv", folds)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=1)
    code, out, _ = run(capsys, "best-trial", "s", "--storage", url)
    table = dict(line.split(None, 1) for line in out.splitlines()[2:])
    assert code == 0 and table["user_attrs_cv"].endswith("...")
    assert max(len(line) for line in out.splitlines()) < 100
    code, out, _ = run(capsys, "best-trial", "s", "--storage", url, "-f", "json")
    assert json.loads(out)["user_attrs"]["cv"] == folds
