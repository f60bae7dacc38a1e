"""A model's recorded batches over time: a table for charts, the table a person reads, and the alert log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core import store
from core.monitoring.triggers import alerted
from core.vocab import metric_label, minutes


def timeline(
    model_id: int, home: Path | None = None, batches: Sequence[Mapping[str, Any]] | None = None
) -> pd.DataFrame:
    """One row per recorded batch: when, rows, drift share, performance and action, for charts.

    ``batches``: the model's batches when the caller has already read them (``store.list_batches``)."""
    rows = []
    for b in store.list_batches(model_id, home) if batches is None else batches:
        res = b.get("result") or {}
        perf = res.get("performance") or {}
        est = (perf.get("estimated") or {}).get("accuracy") or {}
        drift = res.get("drift") or {}
        row = {
            "batch_id": b["id"],
            "created_at": b["created_at"],
            "rows": b["rows"],
            "drift_share": drift.get("drift_share"),
            "action": res.get("action"),
            "estimated_accuracy": est.get("value"),
            "estimated_low": est.get("low"),
            "estimated_high": est.get("high"),
        }
        for key, value in (perf.get("measured") or {}).items():
            row[f"measured_{key}"] = value
        for col in drift.get("columns", []):
            row[f"drift:{col['column']}"] = col.get("statistic")
        rows.append(row)
    return pd.DataFrame(rows)


ACTION_WORDS = {"none": "No action needed", "review": "Worth a review", "retrain": "Retrain recommended"}


def history_table(model_id: int, batches: Sequence[Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """The batches as a person reads them: when, rows, share of columns drifted, measured scores, advice."""
    raw = timeline(model_id, batches=batches)
    if raw.empty:
        return raw
    plain = pd.DataFrame(
        {
            "batch": raw["batch_id"],
            "checked": minutes(raw["created_at"]),
            "rows": raw["rows"],
            "columns drifted (%)": (100 * raw["drift_share"].astype(float)).round(0),
        }
    )
    for key in ("accuracy", "balanced_accuracy", "mae", "r2"):
        if f"measured_{key}" in raw:
            plain[metric_label(key)] = raw[f"measured_{key}"].astype(float).round(3)
    plain["advice"] = raw["action"].map(lambda a: ACTION_WORDS.get(a, a))
    return plain


@dataclass(frozen=True)
class Alert:
    batch_id: int
    created_at: str
    rule: str
    action: str
    detail: str
    acknowledged: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def alerts(model_id: int, home: Path | None = None, include_acknowledged: bool = True) -> list[Alert]:
    """Every alert raised for a model, newest first (the alert log): a rule that held and was not cooling down.

    A batch's stored result may carry ``"acknowledged": {rule: {...}}``; writing that needs a store
    function (see the note in the report), reading it is done here.
    """
    out = []
    for b in reversed(store.list_batches(model_id, home)):
        res = b.get("result") or {}
        acked = res.get("acknowledged") or {}
        for t in res.get("triggers", []):
            if not alerted(t):  # a rule that held during its cool-down raised no new alert
                continue
            alert = Alert(
                int(b["id"]),
                str(b["created_at"]),
                str(t.get("rule")),
                str(t.get("action")),
                str(t.get("detail", "")),
                bool(acked.get(t.get("rule"))),
            )
            if include_acknowledged or not alert.acknowledged:
                out.append(alert)
    return out
