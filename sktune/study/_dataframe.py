"""``Study.trials_dataframe``: the trials as a pandas DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sktune.study._study import Study

_NESTED = ("params", "user_attrs", "system_attrs", "intermediate_values")


def _import_pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            "trials_dataframe needs pandas: pip install 'sktune[pandas]'."
        ) from exc
    return pd


def trials_dataframe(study: Study, attrs: tuple[str, ...], multi_index: bool) -> Any:
    """Build the DataFrame of ``study.trials_dataframe``."""
    pd = _import_pandas()
    rows: list[dict[tuple[str, Any], Any]] = []
    for t in study.get_trials(deepcopy=False):
        row: dict[tuple[str, Any], Any] = {}
        for attr in attrs:
            if attr in _NESTED:
                # Keys as they are: steps stay ints, as in Optuna.
                for key, value in getattr(t, attr).items():
                    row[(attr, key)] = value
            elif attr == "state":
                row[(attr, "")] = t.state.name
            else:
                row[(attr, "")] = getattr(t, attr)
        rows.append(row)
    columns: list[tuple[str, Any]] = []
    seen: set[tuple[str, Any]] = set()
    for attr in attrs:
        if attr not in _NESTED:
            columns.append((attr, ""))
            seen.add((attr, ""))
            continue
        keys = sorted({k[1] for r in rows for k in r if k[0] == attr}, key=_order)
        for key in keys:
            columns.append((attr, key))
            seen.add((attr, key))
    df = pd.DataFrame(
        [[r.get(c) for c in columns] for r in rows],
        columns=pd.MultiIndex.from_tuples(columns) if columns else None,
    )
    if not multi_index and columns:
        df.columns = [a if k == "" else f"{a}_{k}" for a, k in columns]
    return df


def _order(key: Any) -> tuple[int, Any]:
    """Numbers (steps) in numeric order, then names in text order."""
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return (0, key)
    return (1, str(key))
