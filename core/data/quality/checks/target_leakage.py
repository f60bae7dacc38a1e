"""The ``target_leakage`` check. Finds columns that predict the target almost perfectly on their own, or far
better than every other column, or whose names suggest they were recorded after the outcome.

A column is judged two ways: by its own strength (how much of the error it removes alone, on held-out
rows) and by how far it stands above every other column. A real leak is often a little noisy (monthly card
spending is zero for everyone refused a card, and for a few who were granted one: it removes 91% of the
errors, not 99%), but it stands alone: the next column removes a fraction of that. Honest strong columns
come in families (a diamond's carat and its three sizes), stand less far above the rest (iris' petals,
breast-cancer measurements, wine chemistry), or sit in tables too small to tell (:func:`judge`).
``bench/bench_leakage.py`` measures both on real tables."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Bins, Context
from core.data.quality.kinds import name_tokens
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

LEAKAGE_CRITICAL = 0.99  # one column alone removes >= 99% of the errors (or explains >= 99% of
# the variance): in real data that almost only happens when it was recorded after the outcome
LEAKAGE_WARNING = 0.95  # strong enough to double-check; iris' best petal measure scores ~0.93, the
# best single feature of scikit-learn's breast-cancer data ~0.8
_LEAK_MIN_ROWS = 60  # rows with a target in the sample (two halves of >= 30)
STANDOUT_MIN = 0.8  # a column that stands alone must still remove >= 80% of the errors by itself
STANDOUT_GAP = 0.5  # ... and remove at least 50 points more than any column outside its family
# (CreditCard's card spending: 0.91 against 0.29; iris' petal width: 0.93 against 0.48)
STANDOUT_FAMILY = 0.1  # columns within 0.1 of each other count as one family (spending and its share of income)
STANDOUT_MAX_FAMILY = 2  # three or more near-equal strong columns measure one honest thing (carat, x, y, z)
STANDOUT_MIN_ROWS = 200  # on fewer rows, strengths move by ~0.1 from one half to the other: too close to call
STANDOUT_MIN_OTHERS = 3  # "above every other column" needs other columns to compare with
ONE_VALUE_SHARE = 0.8  # more than two outcomes: one value (zero, empty) must carry 80% of the strength
FOLLOWS_ROWS = 0.95  # rank correlation with the row number from which a column is a sorted group code
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


def _mass_points_apart(b: Bins, rows: np.ndarray) -> tuple[np.ndarray, int]:
    """Bin codes where a value held by many rows (zero spending, a cap) has a bin of its own: a quantile bin
    that starts at a mass point also holds the smallest values above it, which blurs a leak that is zero
    for one outcome."""
    x = b.codes[rows]
    if b.numeric is None:
        return x, b.k
    v = b.numeric[rows]
    values, counts = np.unique(v[np.isfinite(v)], return_counts=True)
    heavy = values[counts >= max(2, len(v) / 64)]
    if not len(heavy):
        return x, b.k
    at_mass = np.isin(v, heavy)
    codes, _ = pd.factorize(x * 2 + at_mass)
    return codes.astype(np.int64), int(codes.max()) + 1


def _strength(ctx: Context, col: str, target: _Target) -> tuple[float, dict[str, Any]]:
    """How well ``col`` alone predicts the target on held-out sampled rows, with the numbers behind it."""
    b = ctx.bins(col)
    x = b.codes[target.has_y]
    if target.classes:
        if ctx.kinds[col] in ("numeric", "datetime", "boolean") or b.numeric is not None:
            xc, kx = _mass_points_apart(b, target.has_y)
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


@dataclass(frozen=True)
class Strength:
    """One column's strength alone: the share of errors it removes on held-out rows (classes) or the variation
    it explains (numbers), with the numbers behind it. ``ordered``: numbers, dates or yes/no; ``values``:
    how many distinct values it has (a label column stands out only as a noisy copy of the target)."""

    column: str
    strength: float
    detail: dict[str, Any]
    by_name: str | None
    ordered: bool
    values: int
    follows_rows: bool = False  # rises (or falls) with the row number: a group code in a file sorted by group
    one_value: float = 0.0  # strength of "its most common value (or empty) or not" alone (classes only)


@dataclass(frozen=True)
class Verdict:
    severity: str  # critical | warning | info
    rule: str  # "alone" (almost perfect alone) | "stands_out" | "strong" (worth a look) | "name"
    next_column: str | None = None  # the strongest column outside its family (stands_out)
    next_strength: float | None = None


def strengths(ctx: Context) -> tuple[list[Strength], bool, int]:
    """Every candidate column's strength alone, whether the target is classes, and how many sampled rows
    have a target (0 when the target cannot be judged)."""
    t = ctx.target
    if t is None or ctx.kinds[t] == "constant":
        return [], False, 0
    target = _target(ctx, t)
    if target is None:
        return [], False, 0
    out = []
    for col in ctx.frame.columns:
        if col == t or ctx.kinds[col] == "text" or ctx.facts[col].n_unique + (ctx.facts[col].n_missing > 0) < 2:
            continue
        # Identifiers are left out of training anyway (see id_like); a row number that follows
        # the target only because the file is sorted by it would be a confusing "leak".
        measured = target.enough and ctx.kinds[col] != "id_like"
        strength, detail = _strength(ctx, col, target) if measured else (0.0, {})
        ordered = ctx.kinds[col] in ("numeric", "datetime", "boolean")
        strong = ordered and strength >= STANDOUT_MIN
        follows = strong and _follows_rows(ctx, col)
        one = _one_value_strength(ctx, col, target) if strong and target.classes else 0.0
        out.append(Strength(col, strength, detail, _name_leak(col, t), ordered, ctx.facts[col].n_unique, follows, one))
    rows = int(target.has_y.sum()) if target.enough else 0
    return out, target.classes, rows


def _one_value_strength(ctx: Context, col: str, target: _Target) -> float:
    """How well "the column's most common value (or a gap), or not" alone predicts the classes: a leak recorded
    after the outcome is often empty or zero for one outcome (nights in hospital for those never admitted)."""
    codes = ctx.bins(col).codes[target.has_y]
    common = int(np.argmax(np.bincount(codes)))
    x = (codes == common).astype(np.int64)
    return _heldout_class_score(x, 2, target.y, target.ky)[0]


def _follows_rows(ctx: Context, col: str) -> bool:
    """True when the column climbs with the row number (subject 1, 1, 2, 2, …): in a file sorted by group, a
    group code "predicts" everything about the group, which says nothing about leakage."""
    b = ctx.bins(col)
    x = b.numeric
    if x is None:
        return False
    ok = np.isfinite(x)
    return ok.sum() >= _LEAK_MIN_ROWS and abs(_spearman(x[ok], ctx.sample[ok].astype(float))) >= FOLLOWS_ROWS


def measure(frame: pd.DataFrame, target: str) -> tuple[list[Strength], bool, int]:
    """:func:`strengths` of a raw table (kinds inferred), for benchmarks and the trained model's own check."""
    from core.data.quality.facts import all_facts, prepare_frame
    from core.data.quality.kinds import infer_kind

    frame = prepare_frame(frame)
    facts = all_facts(frame)
    return strengths(Context(frame, facts, {c: infer_kind(f) for c, f in facts.items()}, target))


def judge(found: list[Strength], classes: int, rows: int, threshold: float = LEAKAGE_CRITICAL) -> dict[str, Verdict]:
    """Which columns look like leaks, and by which rule. ``classes``: the target's number of classes (0 for
    numbers); ``rows``: sampled rows with a target.

    * ``alone``: it removes >= ``threshold`` of the errors by itself (critical);
    * ``stands_out``: it removes >= 80% of them and at least 50 points more than every column outside its
      family (critical). Not on tables under 200 rows, with fewer than 3 other columns, when three or more
      columns are near-equal (one honest family), for a group code in a file sorted by it, for a measurement
      that sorts more than two outcomes by its range rather than by one value (zero, empty), nor for a label column unless it is a noisy copy of the
      target (no more values than the target has classes);
    * ``strong``: >= 95% without standing out (warning: worth a look);
    * ``name``: only its name suggests it (info; warning when it contains the target's name).
    """
    out: dict[str, Verdict] = {}
    for s in found:
        if s.strength >= threshold:
            out[s.column] = Verdict("critical", "alone")
            continue
        stand = _stands_out(s, found, classes, rows)
        if stand is not None:
            out[s.column] = Verdict("critical", "stands_out", stand.column, stand.strength)
        elif s.strength >= LEAKAGE_WARNING:
            out[s.column] = Verdict("warning", "strong")
        elif s.by_name:
            out[s.column] = Verdict("warning" if s.by_name == "target" else "info", "name")
    return out


def _stands_out(s: Strength, found: list[Strength], classes: int, rows: int) -> Strength | None:
    """The strongest column outside ``s``'s family when ``s`` stands far above it, else None."""
    if s.strength < STANDOUT_MIN or rows < STANDOUT_MIN_ROWS or len(found) - 1 < STANDOUT_MIN_OTHERS:
        return None
    if s.follows_rows:
        return None
    if s.ordered and classes > 2 and s.one_value < ONE_VALUE_SHARE * s.strength:
        return None  # a measurement that sorts many outcomes (longitude into time zones, petals into species),
        # not one value (zero, empty) that gives one outcome away
    if not s.ordered and (classes == 0 or s.values > classes):
        return None  # a label column maps onto the target by definition (a day onto lunch or dinner)
    family = [o for o in found if o.strength >= s.strength - STANDOUT_FAMILY]
    if len(family) > STANDOUT_MAX_FAMILY:
        return None
    others = [o for o in found if o not in family]
    best = max(others, key=lambda o: o.strength)
    return best if s.strength - max(best.strength, 0.0) >= STANDOUT_GAP else None


def run(ctx: Context, threshold: float) -> list[Finding]:
    found, classes, rows = strengths(ctx)
    n_classes = _n_classes(ctx) if classes else 0
    verdicts = judge(found, n_classes, rows, threshold)
    out = []
    for s in found:
        verdict = verdicts.get(s.column)
        if verdict is not None:
            out.append(_finding(s, str(ctx.target), verdict, classes))
    return out


def _n_classes(ctx: Context) -> int:
    codes = ctx.label_codes(str(ctx.target))
    return len(np.unique(codes[codes >= 0]))


def _how(detail: dict[str, Any], classes: bool) -> str:
    if classes:
        return (
            f"{vocab.percent(detail['accuracy'])} of held-out rows right, against "
            f"{vocab.percent(detail['baseline_accuracy'])} by always guessing the most common value"
        )
    if "rank_correlation" in detail and detail["rank_correlation"] ** 2 >= detail["r2"]:
        return f"rank correlation {detail['rank_correlation']:.2f}"
    return f"it explains {vocab.percent(max(detail['r2'], 0.0))} of the variation on held-out rows"


_LEAK_ADVICE = (
    "A column that gives away the answer is usually filled in after the outcome is known "
    "(leakage): the model will look great in testing and fail in real use. Drop it, unless "
    "you will truly know this value at the time you make a prediction."
)


def _finding(s: Strength, t: str, verdict: Verdict, classes: bool) -> Finding:
    col, by_name = s.column, s.by_name
    if verdict.rule == "name":
        if by_name == "target":
            msg = f"{quote(col)} has {quote(t)} in its name: it may be derived from the target."
        else:
            msg = f"{quote(col)} sounds like something recorded after the outcome."
        advice = (
            "Check that you would know this value at the time you make a prediction. If it's only "
            "filled in afterwards, drop it: otherwise the model learns from the answer."
        )
    else:
        how = _how(s.detail, classes)
        if verdict.rule == "stands_out":
            share = "of the errors" if classes else "of the variation"
            msg = (
                f"{quote(col)} alone predicts {quote(t)} far better than any other column ({how}; the next best, "
                f"{quote(str(verdict.next_column))}, removes {vocab.percent(max(verdict.next_strength or 0.0, 0.0))} "
                f"{share} where {quote(col)} removes {vocab.percent(s.strength)})."
            )
        else:
            word = "almost perfectly" if verdict.severity == "critical" else "suspiciously well"
            msg = f"{quote(col)} alone predicts {quote(t)} {word} ({how})."
        if by_name == "target":
            msg += f" Its name also contains {quote(t)}."
        elif by_name:
            msg += " Its name also suggests it is recorded after the outcome."
        advice = _LEAK_ADVICE
    extra: dict[str, Any] = {}
    if verdict.rule == "stands_out":
        extra = {"next_column": verdict.next_column, "next_strength": verdict.next_strength}
    return make_finding(
        "target_leakage",
        verdict.severity,
        col,
        msg,
        advice,
        "drop_column",
        strength=s.strength,
        by_name=by_name,
        rule=verdict.rule,
        **s.detail,
        **extra,
    )


CHECK = Check(
    code="target_leakage",
    title="Columns that give away the answer",
    kinds=(),
    threshold=LEAKAGE_CRITICAL,
    reason="A column that alone removes 99% of the errors (or explains 99% of the variation) was almost always recorded after the outcome; one that removes 80% and stands 50 points above every other column is a leak with a little noise (card spending, zero for everyone refused a card: 91% against 29%); from 95% it is worth a second look (iris' best petal measure scores about 93%, 45 points above the sepals).",
    rule=(
        "one column alone: error reduction (classes) or max(R², Spearman²) (numbers) on held-out rows "
        f">= {LEAKAGE_WARNING} warning, >= {LEAKAGE_CRITICAL} critical; >= {STANDOUT_MIN} and >= {STANDOUT_GAP} "
        f"above every column outside its family (<= {STANDOUT_MAX_FAMILY} columns within {STANDOUT_FAMILY}) on "
        f">= {STANDOUT_MIN_ROWS} rows critical; outcome-like names info, names containing the target's name warning."
    ),
    help="Finds columns that predict the target almost perfectly on their own, or far better than every other "
    "column, or whose names suggest they were recorded after the outcome.",
    run=run,
    needs_target=True,
)
