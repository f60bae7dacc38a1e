"""What a wrong answer costs: the cut-off on a yes/no model's chance that makes the cheapest decisions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.models.evaluate.inputs import quoted
from core.models.evaluate.serial import Serial
from core.vocab import count, number, percent


@dataclass(frozen=True)
class ThresholdChoice(Serial):
    threshold: float
    cost_false_alarm: float
    cost_miss: float
    n_rows: int
    cost_at_default: float
    cost_at_chosen: float
    false_alarms_default: int
    misses_default: int
    false_alarms_chosen: int
    misses_chosen: int
    thresholds: tuple[float, ...]  # the scanned grid, for a cost-vs-threshold chart
    costs: tuple[float, ...]
    unit: str
    sentence: str


def _money(v: float, unit: str) -> str:
    s = number(v)
    if not unit:
        return s
    return f"{unit}{s}" if len(unit) <= 1 or unit in ("US$", "CHF") else f"{s} {unit}"


def _is_yes(y: pd.Series, positive_label: Any) -> np.ndarray:
    if positive_label is not None:
        return (y == positive_label).to_numpy() | (y.astype(str) == str(positive_label)).to_numpy()
    return y.astype(bool).to_numpy()


def choose_threshold(
    y_true: Any,
    proba_pos: Any,
    cost_false_alarm: float,
    cost_miss: float,
    *,
    positive_label: Any = None,
    unit: str = "",
    row_noun: str = "rows",
) -> ThresholdChoice:
    """The cut-off on the positive-class chance that minimises expected cost on these rows.

    ``y_true`` is booleans/0-1, or labels with ``positive_label`` naming 'yes'. Costs are per
    case in the user's units (``unit``: '€', 'hours'…). The threshold is chosen on the same
    rows it is judged on, so the saving shown is a little optimistic; choose it on a
    validation split and check it on the test split where you can.
    """
    if cost_false_alarm < 0 or cost_miss < 0 or (cost_false_alarm == 0 and cost_miss == 0):
        raise InputError(
            "The costs of a false alarm and of a miss must be zero or more, and not both zero.",
            "Enter what one false alarm and one missed case cost you, e.g. 5 and 50.",
        )
    p = np.asarray(proba_pos, dtype=float)
    y = pd.Series(y_true).reset_index(drop=True)
    if len(p) != len(y):
        raise InputError(
            f"There are {count(len(p), 'chance')} but {count(len(y), 'answer')}.", "Pass one chance per labelled row."
        )
    pos = _is_yes(y, positive_label)
    grid = np.unique(np.concatenate([np.round(np.linspace(0.01, 0.99, 99), 2), [0.5]]))
    flagged = p[None, :] >= grid[:, None]
    fa = (flagged & ~pos[None, :]).sum(axis=1)
    miss = (~flagged & pos[None, :]).sum(axis=1)
    costs = fa * cost_false_alarm + miss * cost_miss
    candidates = np.flatnonzero(costs == costs.min())
    i = int(candidates[np.argmin(np.abs(grid[candidates] - 0.5))])  # of equal costs, the one nearest 50%
    d = int(np.flatnonzero(grid == 0.5)[0])
    choice = ThresholdChoice(
        threshold=float(grid[i]),
        cost_false_alarm=float(cost_false_alarm),
        cost_miss=float(cost_miss),
        n_rows=len(p),
        cost_at_default=float(costs[d]),
        cost_at_chosen=float(costs[i]),
        false_alarms_default=int(fa[d]),
        misses_default=int(miss[d]),
        false_alarms_chosen=int(fa[i]),
        misses_chosen=int(miss[i]),
        thresholds=tuple(float(t) for t in grid),
        costs=tuple(float(c) for c in costs),
        unit=unit,
        sentence="",
    )
    return dataclasses.replace(
        choice, sentence=explain_threshold(choice, row_noun=row_noun, positive_label=positive_label)
    )


def explain_threshold(t: ThresholdChoice, *, row_noun: str = "rows", positive_label: Any = None) -> str:
    yes = quoted(positive_label) if positive_label is not None else "'yes'"
    costs = (
        f"With a false alarm costing {_money(t.cost_false_alarm, t.unit)} and a miss costing "
        f"{_money(t.cost_miss, t.unit)}"
    )
    rows = count(t.n_rows, row_noun, row_noun)
    if abs(t.threshold - 0.5) < 1e-9 or t.cost_at_chosen >= t.cost_at_default:
        return (
            f"{costs}, the usual rule (flag {yes} when the model is at least 50% sure) is already the cheapest: "
            f"{_money(t.cost_at_default, t.unit)} on these {rows}."
        )
    saving = t.cost_at_default - t.cost_at_chosen
    caught = t.misses_default - t.misses_chosen
    extra_fa = t.false_alarms_chosen - t.false_alarms_default
    trade = (
        f"it catches {count(caught, f'more {yes} case')} at the price of {count(extra_fa, 'more false alarm')}"
        if caught > 0
        else f"it raises {count(-extra_fa, 'fewer false alarm')} at the price of missing "
        f"{count(-caught, f'more {yes} case')}"
    )
    return (
        f"{costs}, flag {yes} when the model is at least {percent(t.threshold)} sure instead of 50%: on these "
        f"{rows} that would have cost {_money(t.cost_at_chosen, t.unit)} instead of "
        f"{_money(t.cost_at_default, t.unit)}, saving {_money(saving, t.unit)}; {trade}."
    )
