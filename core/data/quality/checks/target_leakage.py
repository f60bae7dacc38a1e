"""The ``target_leakage`` check. Finds columns that predict the target almost perfectly on their own, or whose names suggest they were recorded after the outcome."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.kinds import name_tokens
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

LEAKAGE_CRITICAL = 0.99  # one column alone removes >= 99% of the errors (or explains >= 99% of
# the variance): in real data that almost only happens when it was recorded after the outcome
LEAKAGE_WARNING = 0.95  # strong enough to double-check; iris' best petal measure scores ~0.93, the
# best single feature of scikit-learn's breast-cancer data ~0.8
_LEAK_MIN_ROWS = 60  # rows with a target in the sample (two halves of >= 30)
_OUTCOME_WORDS = frozenset(
    {
        "outcome",
        "result",
        "results",
        "cancel",
        "cancelled",
        "canceled",
        "cancellation",
        "churn",
        "churned",
        "refund",
        "refunded",
        "chargeback",
        "terminated",
        "termination",
        "resolution",
        "resolved",
        "closed",
        "closure",
        "label",
        "target",
        "approved",
        "rejected",
        "defaulted",
        "discharge",
        "discharged",
        "died",
        "death",
        "deceased",
        "fraud",
        "converted",
        "conversion",
        "returned",
        "won",
        "lost",
    }
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _name_leak(col: str, target: str) -> str | None:
    """'target' when the name contains the target's name, 'outcome' for outcome-like words."""
    col_toks = name_tokens(col)
    tgt_toks = [t for t in name_tokens(target) if len(t) >= 3]
    col_stems = {_stem(t) for t in col_toks}
    if tgt_toks and all(_stem(t) in col_stems for t in tgt_toks):
        return "target"
    if _OUTCOME_WORDS.intersection(col_toks) or _OUTCOME_WORDS.intersection(col_stems):
        return "outcome"
    return None


def _heldout_class_score(x: np.ndarray, kx: int, y: np.ndarray, ky: int) -> tuple[float, float, float]:
    """Majority-class-per-bin model learnt on one half, scored on the other (both ways).

    Returns (error reduction vs. always guessing the majority class, accuracy, baseline accuracy).
    Fitting on one half and scoring on the other stops identifier-like columns from "predicting"
    by memorising.
    """
    halves = np.arange(len(y)) % 2 == 0
    accs, bases = [], []
    for train in (halves, ~halves):
        test = ~train
        table = np.bincount(x[train] * ky + y[train], minlength=kx * ky).reshape(kx, ky)
        majority = int(np.argmax(np.bincount(y[train], minlength=ky)))
        pred = np.where(table.sum(1) > 0, table.argmax(1), majority)
        accs.append(float(np.mean(pred[x[test]] == y[test])))
        bases.append(float(np.mean(y[test] == majority)))
    acc, base = float(np.mean(accs)), float(np.mean(bases))
    if base >= 1.0:
        return 0.0, acc, base
    return 1.0 - (1.0 - acc) / (1.0 - base), acc, base


def _heldout_r2(x: np.ndarray, kx: int, y: np.ndarray) -> float:
    halves = np.arange(len(y)) % 2 == 0
    scores = []
    for train in (halves, ~halves):
        test = ~train
        sums = np.bincount(x[train], weights=y[train], minlength=kx)
        cnt = np.bincount(x[train], minlength=kx)
        mean = float(y[train].mean())
        with np.errstate(all="ignore"):
            means = np.where(cnt > 0, sums / np.maximum(cnt, 1), mean)
        sst = float(((y[test] - mean) ** 2).sum())
        if sst <= 0 or not math.isfinite(sst):
            return 0.0
        scores.append(1.0 - float(((y[test] - means[x[test]]) ** 2).sum()) / sst)
    return float(np.mean(scores))


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3:
        return 0.0
    ra = pd.Series(a).rank().to_numpy()
    rb = pd.Series(b).rank().to_numpy()
    with np.errstate(all="ignore"):
        r = np.corrcoef(ra, rb)[0, 1]
    return float(r) if math.isfinite(r) else 0.0


@dataclass(frozen=True)
class _Target:
    """The target on the sample: which sampled rows have one, and its class codes (``ky`` classes)
    or its values (``ky`` = 0)."""

    classes: bool
    has_y: np.ndarray
    y: np.ndarray
    ky: int

    @property
    def enough(self) -> bool:
        return int(self.has_y.sum()) >= _LEAK_MIN_ROWS and (not self.classes or self.ky >= 2)


def _target(ctx: Context, t: str) -> _Target | None:
    if ctx.target_is_classes:
        yraw = ctx.label_codes(t)
        has_y = yraw >= 0
        y, _ = pd.factorize(yraw[has_y])
        return _Target(True, has_y, y, int(y.max()) + 1 if len(y) else 0)
    tf = ctx.facts[t]
    if tf.family not in ("numeric", "bool", "datetime"):
        return None
    yv = tf.values[ctx.sample]
    has_y = np.isfinite(yv)
    return _Target(False, has_y, yv[has_y], 0)


def _strength(ctx: Context, col: str, target: _Target) -> tuple[float, dict[str, Any]]:
    """How well ``col`` alone predicts the target on held-out sampled rows, with the numbers behind it."""
    b = ctx.bins(col)
    x = b.codes[target.has_y]
    if target.classes:
        if ctx.kinds[col] in ("numeric", "datetime", "boolean") or b.numeric is not None:
            xc, kx = x, b.k
        else:  # exact labels, so a relabelled copy of the target stays pure
            xc, _ = pd.factorize(ctx.label_codes(col)[target.has_y])
            kx = int(xc.max()) + 1
        strength, acc, base = _heldout_class_score(xc, kx, target.y, target.ky)
        return strength, {"accuracy": acc, "baseline_accuracy": base}
    if b.numeric is None:
        xc, _ = pd.factorize(ctx.label_codes(col)[target.has_y])
        r2 = _heldout_r2(xc, int(xc.max()) + 1, target.y)
        return r2, {"r2": r2}
    r2 = _heldout_r2(x, b.k, target.y)
    xv = b.numeric[target.has_y]
    ok = np.isfinite(xv)
    rho = _spearman(xv[ok], target.y[ok]) if ok.sum() >= _LEAK_MIN_ROWS else 0.0
    return max(r2, rho * rho), {"r2": r2, "rank_correlation": rho}


def run(ctx: Context, threshold: float) -> list[Finding]:
    t = ctx.target
    if t is None or ctx.kinds[t] == "constant":
        return []
    target = _target(ctx, t)
    if target is None:
        return []
    out = []
    for col in ctx.frame.columns:
        if col == t or ctx.kinds[col] == "text" or ctx.facts[col].n_unique + (ctx.facts[col].n_missing > 0) < 2:
            continue
        # Identifiers are left out of training anyway (see id_like); a row number that follows
        # the target only because the file is sorted by it would be a confusing "leak".
        measured = target.enough and ctx.kinds[col] != "id_like"
        strength, detail = _strength(ctx, col, target) if measured else (0.0, {})
        found = _finding(col, t, strength, detail, _name_leak(col, t), target.classes, threshold)
        if found is not None:
            out.append(found)
    return out


def _finding(
    col: str, t: str, strength: float, detail: dict[str, Any], by_name: str | None, classes: bool, threshold: float
) -> Finding | None:
    if strength >= LEAKAGE_WARNING:
        sev = "critical" if strength >= threshold else "warning"
        if classes:
            how = (
                f"{vocab.percent(detail['accuracy'])} of held-out rows right, against "
                f"{vocab.percent(detail['baseline_accuracy'])} by always guessing the most common value"
            )
        elif "rank_correlation" in detail and detail["rank_correlation"] ** 2 >= detail["r2"]:
            how = f"rank correlation {detail['rank_correlation']:.2f}"
        else:
            how = f"it explains {vocab.percent(max(detail['r2'], 0.0))} of the variation on held-out rows"
        word = "almost perfectly" if sev == "critical" else "suspiciously well"
        msg = f"{quote(col)} alone predicts {quote(t)} {word} ({how})."
        if by_name == "target":
            msg += f" Its name also contains {quote(t)}."
        elif by_name:
            msg += " Its name also suggests it is recorded after the outcome."
        advice = (
            "A column that gives away the answer is usually filled in after the outcome is known "
            "(leakage): the model will look great in testing and fail in real use. Drop it, unless "
            "you will truly know this value at the time you make a prediction."
        )
    elif by_name:
        sev = "warning" if by_name == "target" else "info"
        if by_name == "target":
            msg = f"{quote(col)} has {quote(t)} in its name: it may be derived from the target."
        else:
            msg = f"{quote(col)} sounds like something recorded after the outcome."
        advice = (
            "Check that you would know this value at the time you make a prediction. If it's only "
            "filled in afterwards, drop it: otherwise the model learns from the answer."
        )
    else:
        return None
    return make_finding(
        "target_leakage", sev, col, msg, advice, "drop_column", strength=strength, by_name=by_name, **detail
    )


CHECK = Check(
    code="target_leakage",
    title="Columns that give away the answer",
    kinds=(),
    threshold=LEAKAGE_CRITICAL,
    reason="A column that alone removes 99% of the errors (or explains 99% of the variation) was almost always recorded after the outcome; from 95% it is worth a second look (iris' best petal measure scores about 93%).",
    rule=(
        "one column alone: error reduction (classes) or max(R², Spearman²) (numbers) on held-out rows "
        f">= {LEAKAGE_WARNING} warning, >= {LEAKAGE_CRITICAL} critical; outcome-like names info, names containing "
        "the target's name warning."
    ),
    help="Finds columns that predict the target almost perfectly on their own, or whose names suggest they "
    "were recorded after the outcome.",
    run=run,
    needs_target=True,
)
