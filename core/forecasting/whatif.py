"""What if: the same forecast with one driver's future values changed (a promotion switched on, the price
10 % lower), side by side with the forecast as it is.

The forecast is deterministic, so the baseline is exactly :func:`core.forecasting.forecast` on the same
inputs; the changed forecast is the same call on a copy of the table whose *future rows* (after each series'
last observed value, with the value empty) carry the changed driver. The model choice and the learnt effects
come from the history alone, so only the driver's effect on the future moves: a product whose forecast did
not keep the driver (it did not help on its past) is forecast the same either way, and says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.forecasting.drivers import numeric_driver, split_future
from core.forecasting.engine import forecast
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


@dataclass(frozen=True)
class WhatIf:
    change: Change
    baseline: ForecastResult
    changed: ForecastResult
    lines: tuple[WhatIfLine, ...]
    rows_changed: int  # future rows whose driver value was changed

    def sentences(self, order: Sequence[str | None] | None = None) -> list[str]:
        """One sentence per product the change moves (in ``order`` of ids when given, else the biggest first),
        then one for all the products whose forecasts do not use the driver."""
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
        return moved

    def to_json(self) -> dict[str, Any]:
        return {
            "change": self.change.to_json(),
            "rows_changed": self.rows_changed,
            "series": [
                {
                    "id": ln.id,
                    "label": ln.label,
                    "before": round(ln.before, 6),
                    "after": round(ln.after, 6),
                    "change": None if ln.change is None else round(ln.change, 6),
                    "uses_driver": ln.uses_driver,
                    "sentence": ln.sentence,
                    "forecast": [
                        {"date": d.strftime("%Y-%m-%d"), "yhat": round(y, 6)}
                        for d, y in zip(self.changed.series[i].dates, self.changed.series[i].yhat)
                    ],
                }
                for i, ln in enumerate(self.lines)
            ],
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
    **options: Any,
) -> WhatIf:
    """The forecast as it is and with ``change`` applied to a driver's future values, and the difference
    per product over the horizon. ``options`` go to :func:`core.forecasting.forecast` unchanged (level,
    holidays, events, stockout, ...). InputError when the column is not one of ``drivers`` or the table has
    no future rows."""
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
    base = forecast(frame, **kw)
    other = forecast(changed, **kw)
    return WhatIf(ch, base, other, _lines(ch, base, other), len(ahead))


def _lines(ch: Change, base: ForecastResult, other: ForecastResult) -> tuple[WhatIfLine, ...]:
    unit = base.freq.unit if base.freq else "period"
    span = count(base.horizon, unit)
    out = []
    for s, t, label in zip(base.series, other.series, base.series_labels()):
        before, after = float(np.sum(s.yhat)), float(np.sum(t.yhat))
        uses = ch.column in t.drivers_used
        head = f"With {ch.words()} for the next {span}, '{label}'"
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
        out.append(WhatIfLine(s.id, label, before, after, uses, sentence))
    return tuple(out)


__all__ = ["Change", "WhatIf", "WhatIfLine", "parse_change", "what_if"]
