"""What if: the same forecast with one driver's future values changed (a promotion switched on, the price
10 % lower), side by side with the forecast as it is.

The forecast is deterministic, so the baseline is exactly :func:`core.forecasting.forecast` on the same
inputs; the changed forecast is the same call on a copy of the table whose *future rows* (after each series'
last observed value, with the value empty) carry the changed driver. The model choice and the learnt effects
come from the history alone, so only the driver's effect on the future moves: a product whose forecast did
not keep the driver (it did not help on its past) is forecast the same either way, and says so.

With product families (``family``), the baseline is :func:`core.forecasting.forecast_families`' reconciled
forecast. Only the products' own models know the drivers (the totals are forecast without them), so
reconciling the changed forecasts again would treat a promotion's lift as a disagreement with the totals and
shrink it. Instead each product's change in its own forecast is added to its reconciled forecast, and each
total moves by the sum of its products' changes: the changed forecasts still add up, family by family.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.forecasting.drivers import numeric_driver, split_future
from core.forecasting.engine import forecast
from core.forecasting.families import TOTAL, FamilyForecast, forecast_families, split_unsold
from core.forecasting.results import ForecastResult
from core.vocab import count, number, percent, signed_percent


@dataclass(frozen=True)
class Change:
    """A change to one driver's future values: set to ``value``, or multiplied by ``factor``."""

    column: str
    value: float | None = None
    factor: float | None = None

    def words(self) -> str:
        """ "'on_promotion' set to 1", "'price' 10% lower"."""
        if self.factor is None:
            return f"'{self.column}' set to {number(self.value)}"
        if self.factor == 1:
            return f"'{self.column}' unchanged"
        side = "lower" if self.factor < 1 else "higher"
        return f"'{self.column}' {percent(abs(1 - self.factor))} {side}"

    def to_json(self) -> dict[str, Any]:
        return {"column": self.column, "value": self.value, "factor": self.factor, "words": self.words()}


@dataclass(frozen=True)
class WhatIfLine:
    id: str | None
    label: str
    before: float  # the forecast's total over the horizon as it is
    after: float  # with the change
    uses_driver: bool  # the changed forecast kept the driver
    sentence: str

    @property
    def change(self) -> float | None:
        return (self.after - self.before) / self.before if self.before else None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "before": round(self.before, 6),
            "after": round(self.after, 6),
            "change": None if self.change is None else round(self.change, 6),
            "sentence": self.sentence,
        }


@dataclass(frozen=True)
class WhatIf:
    change: Change
    baseline: ForecastResult
    changed: ForecastResult
    lines: tuple[WhatIfLine, ...]
    rows_changed: int  # future rows whose driver value was changed
    families: FamilyForecast | None = None  # with families: the baseline's families (totals reconciled)
    totals: tuple[WhatIfLine, ...] = ()  # with families: each family's total and the grand total

    def sentences(self, order: Sequence[str | None] | None = None, limit: int | None = None) -> list[str]:
        """One sentence per product the change moves (in ``order`` of ids when given, else the biggest first),
        then one for all the products whose forecasts do not use the driver (at most ``limit`` of these), then
        one per family total."""
        rank = {sid: i for i, sid in enumerate(order or ())}
        lines = sorted(self.lines, key=lambda ln: (rank.get(ln.id, len(rank)), -ln.before))
        moved = [ln.sentence for ln in lines if ln.uses_driver]
        same = [ln for ln in lines if not ln.uses_driver]
        if len(same) == 1:
            moved.append(same[0].sentence)
        elif same:
            names = ", ".join(f"'{ln.label}'" for ln in same[:-1]) + f" and '{same[-1].label}'"
            moved.append(
                f"{names} would sell the same either way: their forecasts do not use '{self.change.column}' "
                "(it did not help on their past)."
            )
        return moved[:limit] + [ln.sentence for ln in self.totals]

    def to_json(self) -> dict[str, Any]:
        return {
            "change": self.change.to_json(),
            "rows_changed": self.rows_changed,
            "series": [
                {
                    "id": ln.id,
                    **ln.to_json(),
                    "uses_driver": ln.uses_driver,
                    "forecast": [
                        {"date": d.strftime("%Y-%m-%d"), "yhat": round(y, 6)}
                        for d, y in zip(self.changed.series[i].dates, self.changed.series[i].yhat)
                    ],
                }
                for i, ln in enumerate(self.lines)
            ],
            "totals": [{"level": ln.id, **ln.to_json()} for ln in self.totals],
        }


def parse_change(text: str) -> Change:
    """'on_promotion=1' (set to), 'price*0.9' (times), 'price-10%' / 'price+5%' (a percent change)."""
    raw = str(text or "").strip()
    m = re.fullmatch(r"(.+?)\s*(=|\*|[+-])\s*([0-9.eE+-]+)\s*(%?)", raw)
    if not m:
        raise InputError(
            f"'{raw}' is not a change Keel understands.",
            "Write COLUMN=VALUE to set a driver (on_promotion=1), COLUMN*0.9 to multiply it, or COLUMN-10% "
            "for a percent change.",
        )
    col, op, num, pct = m.group(1).strip(), m.group(2), m.group(3), m.group(4)
    try:
        x = float(num)
    except ValueError:
        raise InputError(f"'{num}' in '{raw}' is not a number.", "Write e.g. price*0.9 or on_promotion=1.") from None
    if op == "=" and not pct:
        return Change(col, value=x)
    if op == "*" and not pct:
        return Change(col, factor=x)
    if op in "+-" and pct:
        return Change(col, factor=1 + (x if op == "+" else -x) / 100)
    raise InputError(
        f"'{raw}' mixes a percent with '{op}'.",
        "Write COLUMN-10% or COLUMN+5% for a percent change, COLUMN*0.9 to multiply.",
    )


def what_if(
    frame: pd.DataFrame,
    change: Change | str,
    *,
    date: str,
    value: str,
    id: str | Sequence[str] | None = None,
    horizon: int = 12,
    drivers: Sequence[str] | None = None,
    family: str | Sequence[str] | None = None,
    look_alike: Mapping[str, str] | None = None,
    **options: Any,
) -> WhatIf:
    """The forecast as it is and with ``change`` applied to a driver's future values, and the difference
    per product over the horizon. ``options`` go to :func:`core.forecasting.forecast` unchanged (level,
    holidays, events, stockout, ...). With ``family`` (and ``look_alike``), the products' forecasts are
    reconciled with their family totals as :func:`core.forecasting.forecast_families` does, and the totals'
    changes are given too (see the module's docstring). InputError when the column is not one of ``drivers``
    or the table has no future rows."""
    ch = parse_change(change) if isinstance(change, str) else change
    used = [str(d) for d in (drivers or [])]
    if not used:
        raise InputError(
            "This forecast uses no drivers, so there is nothing to change.",
            "Choose drivers known ahead (price, a promotion) for the forecast first.",
        )
    if ch.column not in used:
        raise InputError(
            f"'{ch.column}' is not a driver of this forecast.",
            f"Change one of its drivers: {', '.join(repr(d) for d in used)}.",
        )
    if not isinstance(value, str) or value not in frame.columns:
        raise InputError(
            f"What if needs one column to forecast that is in the table (got {value!r}).",
            "Forecast one column, one row per date and product.",
        )
    _, ahead = split_future(frame, date, value, id)
    if ahead.empty:
        raise InputError(
            f"The table has no future rows, so '{ch.column}' has no future values to change.",
            f"Add rows after the last sale with '{value}' empty and '{ch.column}' filled in, one per date "
            "(and product) up to the forecast's last date.",
        )
    if ch.factor is None and ch.value is None:
        raise InputError("The change sets nothing.", "Give a value (on_promotion=1) or a factor (price*0.9).")
    changed = frame.copy()
    old = numeric_driver(changed.loc[ahead.index, ch.column], ch.column)
    new = old * ch.factor if ch.factor is not None else pd.Series(float(ch.value or 0.0), index=old.index)
    changed[ch.column] = numeric_driver(changed[ch.column], ch.column)
    changed.loc[ahead.index, ch.column] = new
    kw = {"date": date, "value": value, "id": id, "horizon": horizon, "drivers": list(used), **options}
    if family is not None:
        return _with_families(ch, frame, changed, kw, family, look_alike, len(ahead))
    base = forecast(frame, **kw)
    other = forecast(changed, **kw)
    return WhatIf(ch, base, other, _lines(ch, base, other), len(ahead))


def _with_families(
    ch: Change,
    frame: pd.DataFrame,
    changed: pd.DataFrame,
    kw: dict[str, Any],
    family: str | Sequence[str],
    look_alike: Mapping[str, str] | None,
    rows: int,
) -> WhatIf:
    """What if for reconciled families: the products' own changes added to the reconciled forecasts, and
    each total moved by the sum of its products' changes."""
    fams = forecast_families(frame, family=family, look_alike=look_alike, **kw)
    history, _ = split_unsold(changed, kw["value"], kw["id"])  # the products forecast_families forecast
    own = {str(s.id): s for s in forecast(history, **kw).series}
    before = {str(s.id): s for s in fams.own.series}
    delta: dict[str, np.ndarray] = {}
    series = []
    for s in fams.products.series:
        o, b = own.get(str(s.id)), before.get(str(s.id))
        d = np.zeros(len(s.yhat))
        if o is not None and b is not None and ch.column in o.drivers_used:
            d = np.asarray(o.yhat, float) - np.asarray(b.yhat, float)
        low = 0.0 if min(s.lo, default=0.0) >= 0 else -np.inf  # sales stay at zero or above
        yhat = np.maximum(np.asarray(s.yhat, float) + d, low)
        delta[str(s.id)] = yhat - np.asarray(s.yhat, float)  # what the totals move by
        lo, hi = (tuple(np.maximum(np.asarray(v, float) + d, low).tolist()) for v in (s.lo, s.hi))
        series.append(replace(s, yhat=tuple(yhat.tolist()), lo=lo, hi=hi))
    other = replace(fams.products, series=tuple(series))
    base = fams.products
    span, totals = _span(base), []
    for n in fams.nodes:
        if n.level == fams.id:
            continue
        was = float(np.sum(n.yhat))
        moved = float(sum(np.sum(delta.get(p, 0.0)) for p in n.products))
        name = "all products together" if n.level == TOTAL else f"the '{n.key}' {n.level} in total"
        totals.append(_line(ch, n.level, n.key, name, (was, was + moved), True, span))
    lines = _lines(ch, base, other)
    return WhatIf(ch, base, other, lines, rows, families=fams, totals=tuple(totals))


def _lines(ch: Change, base: ForecastResult, other: ForecastResult) -> tuple[WhatIfLine, ...]:
    span = _span(base)
    return tuple(
        _line(
            ch,
            s.id,
            label,
            f"'{label}'",
            (float(np.sum(s.yhat)), float(np.sum(t.yhat))),
            ch.column in t.drivers_used,
            span,
        )
        for s, t, label in zip(base.series, other.series, base.series_labels())
    )


def _span(result: ForecastResult) -> str:
    return count(result.horizon, result.freq.unit if result.freq else "period")


def _line(
    ch: Change, id: str | None, label: str, name: str, sums: tuple[float, float], uses: bool, span: str
) -> WhatIfLine:
    """What ``name`` (a product, a family's total) would sell over the horizon with the change, against without."""
    before, after = sums
    head = f"With {ch.words()} for the next {span}, {name}"
    if not uses:
        sentence = (
            f"{head} would sell about {number(round(before))} either way: its forecast does not use "
            f"'{ch.column}' (it did not help on the past)."
        )
    elif round(after) == round(before):
        sentence = f"{head} would sell about {number(round(after))}, the same as without."
    else:
        rel = (after - before) / before if before else None
        sentence = f"{head} would sell about {number(round(after))} instead of {number(round(before))}" + (
            f" ({signed_percent(rel)})." if rel is not None else "."
        )
    return WhatIfLine(id, label, before, after, uses, sentence)


__all__ = ["Change", "WhatIf", "WhatIfLine", "parse_change", "what_if"]
