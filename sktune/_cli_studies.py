"""Study-management commands of the ``sktune`` CLI.

``sktune studies``, ``trials STUDY``, ``best-trial STUDY``, ``export STUDY``
and ``delete STUDY``, each reading a storage given by ``--storage URL`` or the
``SKTUNE_STORAGE`` environment variable. Tables for people, ``--format json``
(or csv) for scripts. Exit codes: 0 success, 1 missing file, study or best
trial, 2 usage error (argparse's). Errors go to stderr, on one line. Commands
that only read never create a database file.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sktune._frozen import FrozenTrial, TrialState
from sktune.exceptions import StorageInternalError

__all__ = ["add_study_commands"]

ENV_STORAGE = "SKTUNE_STORAGE"
_PREFIX = "sqlite:///"


class _CommandError(Exception):
    """A failure reported as one line on stderr, with exit code 1."""


# -- storage -------------------------------------------------------------------------
def _storage(args: argparse.Namespace, *, write: bool = False) -> Any:
    from sktune.storages import SQLiteStorage

    url = args.storage or os.environ.get(ENV_STORAGE)
    if not url:
        args.parser.error(
            f"the storage is required: pass --storage URL or set ${ENV_STORAGE}"
        )
    if not url.startswith(_PREFIX) or len(url) == len(_PREFIX):
        args.parser.error(
            f"--storage must be a URL 'sqlite:///path/to/file.db'; got {url!r}"
        )
    path = url[len(_PREFIX) :]
    if not os.path.isfile(path):
        raise _CommandError(f"no database file {path!r}")
    try:
        storage = SQLiteStorage(url, create=False)
        storage.get_all_study_names()  # opens and checks the file now
    except StorageInternalError as exc:
        raise _CommandError(str(exc).rstrip(".")) from None
    return storage


def _study(args: argparse.Namespace) -> Any:
    from sktune.study import load_study

    storage = _storage(args)
    try:
        return load_study(study_name=args.study, storage=storage)
    except KeyError:
        raise _CommandError(f"no study named {args.study!r} in {storage.url}") from None


# -- values --------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    """Plain JSON (no NaN/Infinity tokens): non-finite floats become strings,
    tuples lists, other objects their repr."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (datetime.datetime, datetime.timedelta)):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _jsonable(value.item())
    return repr(value)


def _cell(value: Any) -> str:
    """Text of one table or CSV cell."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(_jsonable(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def _csv_cell(value: Any) -> str:
    # Full precision for floats; the rest as in tables.
    return repr(value) if isinstance(value, float) else _cell(value)


def _row_cell(row: dict[str, Any], column: str, cell: Callable[[Any], str]) -> str:
    """A row's cell: empty when the row lacks the column; a parameter whose
    value is None shows "None", so that it differs from an absent one."""
    if column not in row:
        return ""
    value = row[column]
    if value is None and column.startswith("params_"):
        return "None"
    return cell(value)


def _seconds(trial: FrozenTrial) -> float | None:
    d = trial.duration
    return None if d is None else round(d.total_seconds(), 3)


def _summary(trial: FrozenTrial, params: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "number": trial.number,
        "state": trial.state.name,
        "value": trial.value,
        "duration_s": _seconds(trial),
    }
    for name in params:
        if name in trial.params:  # (absent from a trial: no key, no JSON null)
            row[f"params_{name}"] = trial.params[name]
    return row


def _record(trial: FrozenTrial) -> dict[str, Any]:
    return {
        "number": trial.number,
        "state": trial.state.name,
        "value": trial.value,
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
        "duration_s": _seconds(trial),
        "params": dict(trial.params),
        "distributions": {k: repr(v) for k, v in trial.distributions.items()},
        "user_attrs": dict(trial.user_attrs),
        "system_attrs": dict(trial.system_attrs),
        "intermediate_values": {
            str(k): v for k, v in trial.intermediate_values.items()
        },
    }


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """One level of columns, as in ``trials_dataframe``: ``params_x``, ..."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in ("params", "user_attrs", "system_attrs"):
            for k, v in value.items():
                out[f"{key}_{k}"] = v
        elif key != "distributions":
            out[key] = value
    return out


# -- output --------------------------------------------------------------------------
#: Widest cell of a table; longer ones (a search's per-fold record) are cut,
#: and ``--format json`` gives them whole.
_MAX_CELL = 60


def _table_cell(value: Any) -> str:
    text = _cell(value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 3] + "..."


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    cells = [[_row_cell(r, c, _table_cell) for c in columns] for r in rows]
    widths = [
        max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)
    ]
    numeric = [
        all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows)
        for c in columns
    ]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric)
        ]
        return "  ".join(parts).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([_row_cell(r, c, _csv_cell) for c in columns])
    return buffer.getvalue().rstrip("\n")


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for r in rows:
        columns.update(dict.fromkeys(r))
    return list(columns)


def _emit(rows: list[dict[str, Any]], fmt: str, empty: str) -> None:
    if fmt == "json":
        print(json.dumps(_jsonable(rows), indent=2))
    elif fmt == "csv":
        print(_csv(rows, _columns(rows)))
    elif rows:
        print(_table(rows, _columns(rows)))
    else:
        print(empty)


# -- commands ------------------------------------------------------------------------
def _cmd_studies(args: argparse.Namespace) -> int:
    from sktune.study import load_study

    storage = _storage(args)
    rows = []
    for name in storage.get_all_study_names():
        study = load_study(study_name=name, storage=storage)
        trials = study.get_trials(deepcopy=False)
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        best = study.best_trial if complete else None
        rows.append(
            {
                "name": name,
                "direction": study.direction.name.lower(),
                "n_trials": len(trials),
                "n_complete": len(complete),
                "best_value": None if best is None else best.value,
                "best_trial": None if best is None else best.number,
            }
        )
    _emit(rows, args.format, f"No studies in {storage.url}.")
    return 0


def _cmd_trials(args: argparse.Namespace) -> int:
    study = _study(args)
    trials = study.get_trials(deepcopy=False)
    if args.state:
        wanted = {TrialState[s.upper()] for s in args.state}
        trials = [t for t in trials if t.state in wanted]
    params: dict[str, None] = {}
    for t in trials:
        params.update(dict.fromkeys(t.params))
    rows = [_summary(t, list(params)) for t in trials]
    _emit(rows, args.format, f"Study {study.study_name!r} has no trials.")
    return 0


def _cmd_best_trial(args: argparse.Namespace) -> int:
    study = _study(args)
    try:
        best = study.best_trial
    except ValueError:
        raise _CommandError(
            f"study {study.study_name!r} has no complete trial"
        ) from None
    record = _record(best)
    if args.format == "json":
        print(json.dumps(_jsonable(record), indent=2))
    else:
        rows = [{"field": k, "value": v} for k, v in _flat(record).items()]
        print(_table(rows, ["field", "value"]))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    study = _study(args)
    records = [_record(t) for t in study.get_trials(deepcopy=False)]
    if args.format == "json":
        text = json.dumps(
            _jsonable(
                {
                    "study_name": study.study_name,
                    "direction": study.direction.name.lower(),
                    "user_attrs": study.user_attrs,
                    "trials": records,
                }
            ),
            indent=2,
        )
    else:
        rows = [_flat(r) for r in records]
        text = _csv(rows, _columns(rows)) if rows else ""
    if args.output in (None, "-"):
        print(text)
    else:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as f:
                f.write(text + "\n")
        except OSError as exc:
            raise _CommandError(
                f"cannot write {args.output!r}: {exc.strerror or exc}"
            ) from None
        print(f"Wrote {len(records)} trials to {args.output}.", file=sys.stderr)
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    study = _study(args)
    n = len(study.get_trials(deepcopy=False))
    study._storage.delete_study(study._study_id)
    if args.format == "json":
        print(json.dumps({"deleted": study.study_name, "n_trials": n}))
    else:
        print(f"Deleted study {study.study_name!r} and its {n} trials.")
    return 0


# -- wiring --------------------------------------------------------------------------
def _run(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        if hasattr(args, "study_name"):  # a command that takes a study
            given = [v for v in (args.study, args.study_name) if v is not None]
            if len(given) != 1:
                args.parser.error(
                    "give the study's name once: as an argument or with --study-name"
                )
            args.study = given[0]
        try:
            return command(args)
        except _CommandError as exc:
            print(f"sktune {args.command}: error: {exc}", file=sys.stderr)
            return 1
        except BrokenPipeError:  # e.g. `sktune trials s | head`
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0

    return run


def add_study_commands(sub: Any) -> None:
    """Register the study-management subcommands on ``sub``.

    Parameters
    ----------
    sub : argparse subparsers action
        What ``ArgumentParser.add_subparsers`` returned.

    Examples
    --------
    >>> import argparse
    >>> from sktune._cli_studies import add_study_commands
    >>> parser = argparse.ArgumentParser(prog="sktune")
    >>> add_study_commands(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["trials", "s", "--storage", "sqlite:///x.db"]).study
    's'
    """
    specs: list[tuple[str, str, Callable[..., int], bool, list[str]]] = [
        ("studies", "list the studies of a storage", _cmd_studies, False,
         ["table", "json", "csv"]),
        ("trials", "list the trials of a study", _cmd_trials, True,
         ["table", "json", "csv"]),
        ("best-trial", "show the best trial of a study", _cmd_best_trial, True,
         ["table", "json"]),
        ("export", "write every trial of a study as CSV or JSON", _cmd_export,
         True, ["csv", "json"]),
        ("delete", "delete a study and its trials", _cmd_delete, True,
         ["table", "json"]),
    ]  # fmt: skip
    for name, help_text, func, takes_study, formats in specs:
        # Optuna's command names the deletion "delete-study".
        aliases = ["delete-study"] if name == "delete" else []
        p = sub.add_parser(
            name, aliases=aliases, help=help_text, description=help_text + "."
        )
        if takes_study:
            p.add_argument("study", nargs="?", help="name of the study")
            p.add_argument(
                "--study-name",
                metavar="NAME",
                default=None,
                help="name of the study (as in Optuna's command; or positional)",
            )
        p.add_argument(
            "--storage",
            metavar="URL",
            default=None,
            help=f"'sqlite:///path/to/file.db' (default: ${ENV_STORAGE})",
        )
        p.add_argument(
            "--format",
            "-f",
            choices=formats,
            default=formats[0],
            help=f"output format (default: {formats[0]})",
        )
        if name == "trials":
            p.add_argument(
                "--state",
                action="append",
                choices=[s.name.lower() for s in TrialState],
                help="only trials in this state (repeatable)",
            )
        if name == "export":
            p.add_argument(
                "--output", "-o", metavar="PATH", help="file to write (default: stdout)"
            )
        p.set_defaults(func=_run(func), parser=p)
