"""A few typical and a few surprising rows of a model's hold-out, each with why the model answered as it did.

*Typical* rows are ones the model got right with about its usual confidence (the median among its right
answers, spread over the answers it gives); *surprising* rows are the ones it got most wrong (for classes: the
smallest chance given to what turned out true; for numbers: the largest miss). Each comes with the sentence
:func:`core.models.explain.explain_row` writes ("Mostly because 'contract' is 'two year' (−16 percentage points)…").
The Evaluate page and the model card show them; values of columns named in ``hidden`` (personal data) are
never part of the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.models.explain import explain_frame, explain_row
from core.models.model import KeelModel
from core.vocab import number, percent


@dataclass(frozen=True)
class ExampleRow:
    kind: str  # "typical" | "surprising"
    row: int  # the row's index in the training table
    truth: str
    answer: str
    how_sure: str  # "chance 91%" (classes) or "missed by 12.5" (numbers)
    sentence: str  # why, in words

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def example_rows(
    model: KeelModel,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    each: int = 3,
    hidden: tuple[str, ...] = (),
    background: pd.DataFrame | None = None,
) -> tuple[ExampleRow, ...]:
    """``each`` typical and ``each`` surprising rows of the hold-out ``X``/``y`` (typical first)."""
    known = y.notna().to_numpy()
    X, y = X.loc[known], y.loc[known]
    if len(X) < 2 * each:
        return ()
    if model.task == "classification":
        proba = np.asarray(model.predict_proba(X), dtype=float)
        classes = [str(c) for c in model.classes_]
        truth = y.astype(str).to_numpy()
        answer = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
        true_chance = np.array([proba[i, classes.index(t)] if t in classes else 0.0 for i, t in enumerate(truth)])
        right = answer == truth
        surprise = -np.log(np.clip(true_chance, 1e-12, 1.0))
        typical = _typical(proba.max(axis=1), right, answer, each)
        sure = [f"chance {percent(p)}" for p in proba.max(axis=1)]
    else:
        values = np.asarray(model.predict(X), dtype=float)
        truth_f = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
        miss = np.abs(values - truth_f)
        surprise = np.nan_to_num(miss, nan=-1.0)
        right = miss <= np.nanmedian(miss)
        typical = _typical(-miss, right, np.zeros(len(X), dtype=int), each)
        truth = np.array([number(v) for v in truth_f], dtype=object)
        answer = np.array([number(v) for v in values], dtype=object)
        sure = [f"missed by {number(m)}" for m in miss]
    worst = [int(i) for i in np.argsort(-surprise, kind="stable") if i not in set(typical)][:each]
    picked = typical + worst
    part = X.iloc[picked]
    explanations = explain_frame(part, model, background=background)
    shown = part.astype(object).copy()
    for column in hidden:  # a hidden column may still push the answer: said without its value
        if column in shown.columns:
            shown[column] = "(personal data, not shown)"
    out = []
    for k, i in enumerate(picked):
        why = explain_row(explanations, shown, k)
        out.append(
            ExampleRow(
                "typical" if k < len(typical) else "surprising",
                int(X.index[i]),
                str(truth[i]),
                str(answer[i]),
                sure[i],
                why.sentence,
            )
        )
    return tuple(out)


def _typical(confidence: np.ndarray, right: np.ndarray, answer: np.ndarray, each: int) -> list[int]:
    """Right answers at about the median confidence of right answers, taken in turn from each answer given."""
    candidates = np.flatnonzero(right)
    if not len(candidates):
        return []
    middle = float(np.median(confidence[candidates]))
    by_answer: dict[Any, list[int]] = {}
    for i in sorted(candidates, key=lambda i: (abs(confidence[i] - middle), i)):
        by_answer.setdefault(answer[i], []).append(int(i))
    groups = sorted(by_answer.values(), key=len, reverse=True)
    picked: list[int] = []
    while len(picked) < each and any(groups):
        for group in groups:
            if group and len(picked) < each:
                picked.append(group.pop(0))
    return picked
