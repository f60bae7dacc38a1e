"""Retraining triggers: simple rules, each with an action (``none``, ``review``, ``retrain``) and a cool-down,
giving one overall recommended action for a batch.

The action is the model's state: the strongest action of every rule that holds on this batch. A cool-down
only keeps a rule that already raised an alert from raising the same alert again (``alerting`` is False for
it); the rule still holds (``fired``) and still counts towards the action, so a script that exits on
``--fail-on retrain`` keeps failing while the model is still bad."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.errors import InputError
from core.monitoring.drift import DriftReport
from core.monitoring.performance import Performance, as_float, plain_metric
from core.vocab import count, date, metric_phrase, number, percent, points, signed_percent

ACTIONS = ("none", "review", "retrain")
TOP_FEATURES = 3


@dataclass(frozen=True)
class TriggerRule:
    """A rule: fires when its value reaches ``level``; then recommends ``action``.

    After firing it stays quiet for the next ``cooldown`` batches unless its value gets worse.
    """

    rule: str
    title: str
    level: float
    action: str
    cooldown: int = 3  # batches
    worse_by: float = 0.0  # during the cooldown, fire again only if the value rose by more than this
    regression_level: float | None = None  # metric rules: relative rise of the typical error (MAE)


DEFAULT_RULES: tuple[TriggerRule, ...] = (
    # Half the features moved: the world the model learned from has changed.
    TriggerRule("drift_share", "Many columns changed", 0.5, "retrain", worse_by=0.1),
    # One of the model's 3 most important features moved: predictions can shift a lot.
    TriggerRule("important_feature_drift", "A column that matters most changed", 1, "review"),
    # Measured metric 5 points worse (or typical error 20 % bigger) than at training: retrain.
    TriggerRule(
        "metric_drop_measured",
        "It does worse on the real outcomes",
        0.05,
        "retrain",
        worse_by=0.02,
        regression_level=0.20,
    ),
    # The estimate relies on calibration, so a drop seen only through it asks for a look first.
    TriggerRule("metric_drop_estimated", "It probably does worse (estimated)", 0.05, "review", worse_by=0.02),
    # A quarter of a year: most business data changes with the seasons.
    TriggerRule("model_age", "The model is getting old", 90, "review", worse_by=30),
    # Half or double the rows of the last batch: a feed may be broken or a segment added.
    TriggerRule("volume_change", "The batch size changed a lot", 0.5, "review", worse_by=0.25),
)


@dataclass(frozen=True)
class TriggerResult:
    rule: str
    fired: bool  # the rule holds on this batch (its value reached the level), cool-down or not
    action: str  # the rule's action when it holds, "none" otherwise
    value: float | None
    level: float
    detail: str
    cooling_down: bool = False  # it holds, but already raised its alert recently: no new alert
    reported_at: str | None = None  # when cooling down: when the alert was raised (ISO time)
    finding: str = ""  # what the rule found, without the cool-down's sentence ('detail' has both)

    @property
    def alerting(self) -> bool:
        """Whether this batch raises a new alert for the rule."""
        return self.fired and not self.cooling_down

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "fired": self.fired,
            "alerting": self.alerting,
            "action": self.action,
            "value": as_float(self.value),
            "level": self.level,
            "detail": self.detail,
            "cooling_down": self.cooling_down,
            "reported_at": self.reported_at,
        }


def alerted(stored: Mapping[str, Any]) -> bool:
    """Whether a stored trigger raised an alert (records from before ``alerting`` said so with ``fired``)."""
    return bool(stored.get("alerting", stored.get("fired")))


def held(stored: Mapping[str, Any]) -> bool:
    """Whether a stored trigger's rule held on its batch (alerting or cooling down)."""
    return bool(stored.get("fired") or stored.get("cooling_down"))


@dataclass(frozen=True)
class Facts:
    """What the rules look at: the batch's drift and performance and what is known about the model."""

    drift: DriftReport | None
    perf: Performance | None
    task: str
    created_at: str | None
    now: dt.datetime
    rows: int
    previous_rows: int | None
    importance: Mapping[str, float] | None


Value = tuple[float | None, str, bool]  # (value, detail, fired before the cool-down); larger values are worse


#: What a rule asks for when it holds, inside a sentence: 'more than the 5-point drop that calls for a retrain'.
ASKS = {"retrain": "calls for a retrain", "review": "is worth a review", "none": "Keel notes"}


def _point_limit(level: float) -> str:
    """A limit on a share as an adjective: '5-point' (percentage points)."""
    return f"{points(level).split(' ')[0]}-point"


def _than(value: float, limit: float) -> str:
    """How a value stands to its limit, inside a sentence: 'more than', 'as much as', 'less than'."""
    return "more than" if value > limit else "as much as" if value == limit else "less than"


def _names(columns: Sequence[str]) -> str:
    """Column names in a sentence: "'a'", "'a' and 'b'", "'a', 'b' and 'c'"."""
    quoted = [f"'{c}'" for c in columns]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _drift_share(rule: TriggerRule, b: Facts) -> Value:
    if b.drift is None or b.drift.drift_share is None:
        return None, "No drift verdict for this batch.", False
    v = b.drift.drift_share
    fires = v >= rule.level
    said = f"{b.drift.n_drifted} of the {b.drift.n_judged} columns compared changed ({percent(v)})"
    if fires:
        detail = f"{said}, reaching the {percent(rule.level)} that {ASKS[rule.action]}: the data has moved away from what the model learned."
    else:
        detail = f"{said}, under the {percent(rule.level)} that {ASKS[rule.action]}."
    return v, detail, fires


def _important_feature(rule: TriggerRule, b: Facts) -> Value:
    if b.drift is None:
        return None, "No drift verdict for this batch.", False
    if not b.importance:
        return None, "The model's feature importance is not known, so this rule was not checked.", False
    top = [c for c, _ in sorted(b.importance.items(), key=lambda kv: -kv[1])[:TOP_FEATURES]]
    moved = [c.column for c in b.drift.columns if c.drifted and c.column in top]
    if not moved:
        return 0.0, f"None of the {len(top)} columns that matter most to the model ({_names(top)}) changed.", False
    verb = "changed; it is" if len(moved) == 1 else "changed; they are"
    detail = (
        f"{_names(moved)} {verb} among the {len(top)} columns that matter most to the model ({_names(top)}), "
        "so its answers may shift."
    )
    return float(len(moved)), detail, len(moved) >= rule.level


def _model_age(rule: TriggerRule, b: Facts) -> Value:
    if not b.created_at:
        return None, "The training date is unknown.", False
    try:
        born = dt.datetime.fromisoformat(b.created_at.replace("Z", "+00:00"))
    except ValueError:
        return None, "The training date is unreadable.", False
    if born.tzinfo is None:
        born = born.replace(tzinfo=dt.UTC)
    days = (b.now - born).total_seconds() / 86400
    limit = count(round(rule.level), "day")
    if days >= rule.level:
        return days, f"Trained {count(round(days), 'day')} ago: past {limit}, an age that {ASKS[rule.action]}.", True
    return days, f"Trained {count(round(days), 'day')} ago; a model older than {limit} {ASKS[rule.action]}.", False


def _volume_change(rule: TriggerRule, b: Facts) -> Value:
    if not b.previous_rows:
        return None, "First batch: nothing to compare its size with.", False
    change = abs(b.rows / b.previous_rows - 1)
    said = (
        f"This batch has {count(b.rows, 'row')} against {count(b.previous_rows, 'row')} in the previous one "
        f"({signed_percent(b.rows / b.previous_rows - 1)})"
    )
    if change >= rule.level:
        detail = (
            f"{said}, a change of more than {percent(rule.level)} either way, which {ASKS[rule.action]}: "
            "a feed may be broken or a new group added."
        )
    else:
        detail = f"{said}, within the {percent(rule.level)} either way that Keel lets pass."
    return change, detail, change >= rule.level


def _class_drop(rule: TriggerRule, perf: Performance) -> Value:
    """Measured accuracy or balanced accuracy (whichever fell more) against the training hold-out.

    Accuracy alone missed decay on uneven answers: balanced accuracy fell from 0.85 to 0.53 while
    accuracy rose. A drop also has to be bigger than chance allows for the two samples' sizes: a
    hold-out of 15 rows scoring 100 % made ordinary batches look 5 points worse.
    """
    drops = []
    for metric in ("accuracy", "balanced_accuracy"):
        current, ref = perf.measured.get(metric), perf.reference.get(metric)
        if current is not None and ref is not None:
            drops.append((ref - current, metric, current, ref))
    if not drops:
        if perf.measured.get("accuracy") is None:
            return None, "Measured accuracy is not available for this batch (no labels).", False
        return None, "The model has no accuracy from training to compare with.", False
    drop, metric, current, ref = max(drops)
    name = plain_metric(metric) + ("," if "," in plain_metric(metric) else "")  # 'Right answers, each …, fell'
    moved = (
        f"{name} fell from {percent(ref, 1)} when tested after training to {percent(current, 1)} "
        "on this batch's labelled rows"
        if drop > 0
        else f"{name} went from {percent(ref, 1)} when tested after training to "
        f"{percent(current, 1)} on this batch's labelled rows"
    )
    fires = drop >= rule.level
    limit = f"the {_point_limit(rule.level)} drop that {ASKS[rule.action]}"
    detail = f"{moved}, {_than(drop, rule.level)} {limit}." if drop > 0 else f"{moved}: no drop."
    n_ref, n_cur = perf.reference_rows, perf.rows_labelled
    if fires and n_ref and n_cur:
        pooled = (ref * n_ref + current * n_cur) / (n_ref + n_cur)  # the two-proportion test's pooled rate
        se = math.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
        if drop < 1.645 * se:
            fires = False
            detail += (
                f" With {count(n_ref, 'test row')} after training and {count(n_cur, 'labelled row')} here, a gap this size can be "
                f"chance (it would need to exceed {points(1.645 * se)}), so it does not count yet."
            )
    return drop, detail, fires


def _error_rise(rule: TriggerRule, perf: Performance, how: str, current: float, ref: float) -> Value:
    """Typical error against the training hold-out, as a relative rise; also fires when the model now does
    worse than always predicting the average."""
    level = rule.regression_level if rule.regression_level is not None else rule.level
    drop = (current - ref) / ref if ref > 0 else (math.inf if current > 0 else 0.0)
    where = "on this batch's labelled rows" if how == "Measured" else "on this batch (estimated)"
    said = f"from {number(ref)} when tested after training to {number(current)} {where} ({signed_percent(drop)})"
    if drop <= 0:
        detail = f"The {metric_phrase('mae')} went {said}: no rise."
    else:
        detail = f"The {metric_phrase('mae')} grew {said}, {_than(drop, level)} the {percent(level)} rise that {ASKS[rule.action]}."
    r2, r2_ref = perf.measured.get("r2"), perf.reference.get("r2")
    if drop < level and r2 is not None and r2 < 0 and r2_ref is not None and r2_ref > 0.1:
        # the misses grew less than the level, but the model now does worse than always answering the
        # average: it has stopped explaining anything (shuffled answers took R² from 0.11 to -0.07, MAE +18 %)
        return (
            drop,
            detail
            + f" It now does worse than always predicting the average (R² {r2:.2f}, {r2_ref:.2f} when tested after training).",
            True,
        )
    return drop, detail, drop >= level


def _metric_drop(rule: TriggerRule, b: Facts, measured: bool) -> Value:
    perf, task = b.perf, b.task
    if perf is None:
        return None, "No performance figures for this batch.", False
    if task == "classification":
        return _class_drop(rule, perf) if measured else _estimated_drop(rule, perf)
    if not measured:
        return None, "Estimating performance without labels is only possible for classifiers.", False
    current, ref = perf.measured.get("mae"), perf.reference.get("mae")
    if current is None:
        return None, f"Measured {metric_phrase('mae')} is not available for this batch (no labels).", False
    if ref is None:
        return None, f"The model has no training {metric_phrase('mae')} to compare with.", False
    return _error_rise(rule, perf, "Measured", current, ref)


def _estimated_drop(rule: TriggerRule, perf: Performance) -> Value:
    """The label-free estimate judged by its band: a drop only when even the band's top is below the training
    figure by the level. Its middle can be far off (estimated 77.6 %, measured 86.2 % on one table)."""
    est, ref = perf.estimated.get("accuracy"), perf.reference.get("accuracy")
    if est is None or est.value is None:
        return None, "Estimated accuracy is not available.", False
    if ref is None:
        return None, "The model has no training accuracy to compare with.", False
    top = est.high if est.high is not None else est.value
    low = est.low if est.low is not None else est.value
    drop = ref - top
    said = (
        f"Judging from the model's own confidence, {plain_metric('accuracy').lower()} are probably between "
        f"{percent(low, 1)} and {percent(top, 1)} on this batch (about {percent(est.value, 1)}), against "
        f"{percent(ref, 1)} when tested after training"
    )
    limit = f"the {_point_limit(rule.level)} drop that {ASKS[rule.action]}"
    if drop >= rule.level:
        return (
            drop,
            f"{said}: even the top of that range is {points(drop)} lower, {_than(drop, rule.level)} {limit}.",
            True,
        )
    where = f"{points(-drop)} above" if drop < 0 else f"only {points(drop)} below" if drop > 0 else "level with"
    return drop, f"{said}: the top of that range is {where} it, less than {limit}, so this is no clear drop.", False


#: What each rule measures, by the rule's name.
RULE_VALUES: dict[str, Callable[[TriggerRule, Facts], Value]] = {
    "drift_share": _drift_share,
    "important_feature_drift": _important_feature,
    "metric_drop_measured": lambda rule, b: _metric_drop(rule, b, measured=True),
    "metric_drop_estimated": lambda rule, b: _metric_drop(rule, b, measured=False),
    "model_age": _model_age,
    "volume_change": _volume_change,
}


def _cooling(rule: TriggerRule, value: float | None, history: Sequence[Mapping[str, Any]]) -> tuple[int, str | None]:
    """How many batches ago this rule last raised an alert on a value no better than this one (0: not
    cooling down), and when that batch was checked.

    Only while the problem lasts: a batch where the rule held no more ends the quiet spell, so a decay
    after a healthy batch is news even if an earlier one was worse."""
    for offset, past in enumerate(reversed(history[-rule.cooldown :]), start=1):
        result = past.get("result") or {}
        mine = [t for t in result.get("triggers", []) if t.get("rule") == rule.rule]
        if not mine or not held(mine[0]):
            return 0, None
        t = mine[0]
        if (
            alerted(t)
            and t.get("value") is not None
            and value is not None
            and value <= float(t["value"]) + rule.worse_by
        ):
            return offset, str(result.get("created_at") or past.get("created_at") or "") or None
    return 0, None


def evaluate_triggers(
    *,
    drift: DriftReport | None,
    performance: Performance | None,
    task: str,
    created_at: str | None,
    rows: int,
    history: Sequence[Mapping[str, Any]] = (),
    importance: Mapping[str, float] | None = None,
    rules: Sequence[TriggerRule] = DEFAULT_RULES,
    now: dt.datetime | None = None,
) -> tuple[list[TriggerResult], str]:
    """Run every rule; return the results and the overall action: the strongest action of the rules that
    hold, whether or not they are cooling down (the model's state, not whether this batch alerts).

    ``history`` is the earlier batches' stored results, oldest first (``store.list_batches``).
    """
    previous_rows = int(history[-1].get("rows") or 0) if history else None
    facts = Facts(drift, performance, task, created_at, now or dt.datetime.now(dt.UTC), rows, previous_rows, importance)
    results = []
    for rule in rules:
        if rule.action not in ACTIONS:
            raise InputError(f"Unknown action '{rule.action}' for rule '{rule.rule}'.", "Use none, review or retrain.")
        if rule.rule not in RULE_VALUES:
            raise InputError(f"Unknown trigger rule '{rule.rule}'.", "Use one of: " + ", ".join(RULE_VALUES))
        value, detail, fires = RULE_VALUES[rule.rule](rule, facts)
        finding = detail
        ago, when = _cooling(rule, value, history) if fires and rule.cooldown > 0 else (0, None)
        if ago:
            on = f" on {date(when)}" if when else ""
            detail += (
                f" Still true; already reported{on} ({count(ago, 'batch', 'batches')} ago) and not worse since, "
                f"so no new alert for up to {count(rule.cooldown, 'batch', 'batches')} unless it gets worse."
            )
        results.append(
            TriggerResult(
                rule.rule,
                bool(fires),
                rule.action if fires else "none",
                value,
                rule.level,
                detail,
                bool(ago),
                when,
                finding,
            )
        )
    fired_actions = [r.action for r in results if r.fired]
    action = max(fired_actions, key=ACTIONS.index) if fired_actions else "none"
    return results, action


def rules_table(triggers: Sequence[TriggerResult], rules: Sequence[TriggerRule] = DEFAULT_RULES) -> pd.DataFrame:
    """The rules checked on a batch, for specialists: each rule's plain title, whether it holds, what it
    recommends, the value it measured against its limit (in the rule's own units: shares, days, rows), and the
    rule's name as the command line and the alert log write it."""
    titles = {r.rule: r.title for r in rules}
    return pd.DataFrame(
        {
            "check": [titles.get(t.rule, t.rule.replace("_", " ")) for t in triggers],
            "holds": ["yes" if t.fired else "no" for t in triggers],
            "recommends": [t.action if t.fired else "—" for t in triggers],
            "measured": [number(t.value) for t in triggers],
            "limit": [number(t.level) for t in triggers],
            "rule": [t.rule for t in triggers],
        }
    )
