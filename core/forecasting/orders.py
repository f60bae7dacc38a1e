"""Turn a forecast into an order list (periodic review, order-up-to policy).

For each product, over the *protection period* P = lead time + review period (in forecast periods):

- expected demand  D_P = sum of the forecast over the next P periods
- its uncertainty  sigma_P = sqrt(sum of per-period sigma^2), where each period's sigma is read
  from the upper half of the forecast interval: sigma_k = (hi_k - yhat_k) / z_level (the lower half
  may be cut at zero for sales)
- safety stock     SS = z_service * sigma_P
- order-up-to      S = D_P + SS
- order now        Q = max(0, S - on hand - on order), rounded up to whole units
- reorder point    ROP = D_L + z_service * sigma_L over the lead time L alone (for continuous review)

Everything is in the forecast's units and periods. When the forecast column is money (takings, revenue:
:func:`core.forecasting.timeseries.value_kind`), the list is money too: each line says so, and
``OrderPlan.warning`` says in one plain paragraph what that means and which column to forecast instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from core.errors import InputError
from core.forecasting.results import ForecastResult, SeriesForecast
from core.forecasting.timeseries import value_kind
from core.vocab import count, number


@dataclass(frozen=True)
class OrderLine:
    id: str | None
    demand: float  # expected demand over lead time + review period
    sigma: float  # its standard deviation
    safety_stock: float
    reorder_point: float
    order_up_to: float
    on_hand: float
    on_order: float
    order_quantity: int
    sentence: str


@dataclass(frozen=True)
class OrderPlan:
    lines: tuple[OrderLine, ...]
    lead_time: int
    review_period: int
    service_level: float
    unit: str  # "week", "day", ...
    notes: tuple[str, ...] = ()
    value_name: str | None = None  # names the product of a table with one series
    warning: str | None = None  # when the forecast column is money: the list is in money, not things to order

    def to_frame(self) -> pd.DataFrame:
        """One row per product, for the CSV download."""
        return pd.DataFrame(
            [
                {
                    "product": ln.id if ln.id is not None else (self.value_name or "all"),
                    "order_now": ln.order_quantity,
                    "on_hand": ln.on_hand,
                    "on_order": ln.on_order,
                    "expected_demand": round(ln.demand, 2),
                    "safety_stock": round(ln.safety_stock, 2),
                    "reorder_point": round(ln.reorder_point, 2),
                    "order_up_to": round(ln.order_up_to, 2),
                    "explanation": ln.sentence,
                }
                for ln in self.lines
            ],
            columns=[
                "product",
                "order_now",
                "on_hand",
                "on_order",
                "expected_demand",
                "safety_stock",
                "reorder_point",
                "order_up_to",
                "explanation",
            ],
        )

    def to_csv(self) -> bytes:
        return self.to_frame().to_csv(index=False).encode("utf-8")


def _sum_over(s: SeriesForecast, periods: int, z_level: float) -> tuple[float, float, bool]:
    """(expected demand, sigma) over the first ``periods`` forecast steps; bool = extrapolated."""
    yhat = np.maximum(np.asarray(s.yhat, float), 0.0)
    # the upper half of the interval: the lower half may be cut at zero for sales
    sd = (np.asarray(s.hi, float) - np.asarray(s.yhat, float)) / z_level
    sd = np.maximum(sd, 0.0)
    extra = False
    if periods > yhat.size:  # beyond the horizon: repeat the last forecast step
        k = periods - yhat.size
        yhat = np.r_[yhat, np.full(k, yhat[-1] if yhat.size else 0.0)]
        sd = np.r_[sd, np.full(k, sd[-1] if sd.size else 0.0)]
        extra = True
    return float(yhat[:periods].sum()), float(math.sqrt(np.sum(sd[:periods] ** 2))), extra


def _is_money(column: str | None, frame: pd.DataFrame | None) -> bool:
    if not column:
        return False
    table = frame if frame is not None and column in frame.columns else pd.DataFrame({column: []})
    return value_kind(table, column) == "money"


def money_warning(column: str | None, frame: pd.DataFrame | None = None) -> str | None:
    """When the forecast column ``column`` holds money (takings, revenue), the order list's warning in plain
    words: the list is in money, not in things to order, and which column to forecast instead (the columns of
    ``frame`` that count what is sold, when it is given and has some). None for any other column."""
    if not _is_money(column, frame):
        return None
    table = frame if frame is not None else pd.DataFrame()
    counts = [
        str(c)
        for c in table.columns
        if c != column and pd.api.types.is_numeric_dtype(table[c]) and value_kind(table, str(c)) == "quantity"
    ]
    if counts:
        names = " or ".join(f"'{c}'" for c in counts[:3])
        instead = f"To get how many to order, forecast {names} instead."
    else:
        instead = (
            "To get how many to order, forecast a column that counts what you sell (pieces, packs, kilos) instead; "
            "this table has none, so add one."
        )
    return (
        f"'{column}' is money, not a count of things, so this list is in money too: 'order 900' means about 900 "
        f"worth at the prices in '{column}', not 900 pieces. Use it to plan a budget. {instead}"
    )


def order_plan(
    result: ForecastResult,
    lead_time: int,
    review_period: int = 1,
    service_level: float = 0.95,
    on_hand: dict[str | None, float] | float | None = None,
    on_order: dict[str | None, float] | None = None,
    frame: pd.DataFrame | None = None,
) -> OrderPlan:
    """Safety stock, reorder point and order quantity for every series of a forecast.

    ``lead_time`` and ``review_period`` are in forecast periods (weeks for weekly data...).
    ``service_level`` is the chance of not running out before the next delivery (0.5-0.999).
    ``on_hand``: current stock per product id (or one number for all; default 0).
    ``frame``: the table forecast, when at hand: a money column is judged on its values too, and the warning
    (:func:`money_warning`) names the columns to forecast instead.
    """
    if not isinstance(lead_time, (int, np.integer)) or lead_time < 0:
        raise InputError(
            f"The lead time must be a whole number of periods, 0 or more (got {lead_time}).",
            "Enter how many periods a delivery takes to arrive after you order, e.g. 1.",
        )
    if not isinstance(review_period, (int, np.integer)) or review_period < 1:
        raise InputError(
            f"The review period must be a whole number of periods, 1 or more (got {review_period}).",
            "Enter how often you place orders, e.g. 1 for every period.",
        )
    sl = _service_level(service_level)
    z_level = float(norm.ppf(0.5 + result.level / 200.0))
    unit = result.freq.unit if result.freq else "period"
    money = result.value_name if _is_money(result.value_name, frame) else None
    p = int(lead_time) + int(review_period)
    notes = []
    lines = []
    for s in result.series:
        if not s.yhat:
            continue
        have = on_hand.get(s.id, 0.0) if isinstance(on_hand, dict) else float(on_hand or 0.0)
        coming = (on_order or {}).get(s.id, 0.0)
        d_p, sig_p, extra = _sum_over(s, p, z_level)
        d_l, sig_l, _ = _sum_over(s, int(lead_time), z_level) if lead_time else (0.0, 0.0, False)
        if extra:
            notes.append(
                f"Lead time plus review period ({count(p, unit)}) is longer than the forecast; "
                f"the last forecast {unit} was repeated."
            )
        lines.append(_line(s.id, d_p, sig_p, d_l, sig_l, float(have), float(coming), sl, count(p, unit), money))
    return OrderPlan(
        lines=tuple(lines),
        lead_time=int(lead_time),
        review_period=int(review_period),
        service_level=sl,
        unit=unit,
        notes=tuple(dict.fromkeys(notes)),
        value_name=result.value_name,
        warning=money_warning(result.value_name, frame),
    )


def _service_level(service_level: float) -> float:
    """The service level as a share (95 is read as 95%); InputError outside 50% to 99.9%."""
    try:
        sl = float(service_level)
    except (TypeError, ValueError):
        sl = float("nan")
    if sl > 1 and sl < 100:
        sl = sl / 100.0  # accept 95 as 95 %
    if not (0.5 <= sl < 1):
        raise InputError(
            f"The service level must be between 50% and 99.9% (got {service_level}).",
            "Use e.g. 0.95 for a 95% chance of not running out.",
        )
    return sl


def _line(
    sid: str | None,
    d_p: float,
    sig_p: float,
    d_l: float,
    sig_l: float,
    have: float,
    coming: float,
    sl: float,
    protection: str,
    money: str | None = None,
) -> OrderLine:
    """One product's order: up to demand over the protection period plus safety stock, less what it has.
    ``money``: the forecast column when it is money; the sentence then speaks of an amount, not pieces."""
    z_sl = float(norm.ppf(sl))
    ss = z_sl * sig_p
    up_to = d_p + ss
    rop = d_l + z_sl * sig_l
    q = max(0, math.ceil(up_to - have - coming - 1e-9))
    name = f"'{sid}'" if sid is not None else "this item"
    conf = f"{number(sl * 100)}%"
    if money is not None and q > 0:
        sentence = (
            f"Order about {q:,} worth of {name} now (money, as in '{money}', not pieces): covers the next "
            f"{protection} with {conf} confidence."
        )
    elif money is not None:
        sentence = (
            f"No need to order {name} now: the {number(have + coming)} worth in stock or on order (money, as in "
            f"'{money}') cover the next {protection} with {conf} confidence."
        )
    elif q > 0:
        sentence = f"Order {q:,} of {name} now: covers the next {protection} with {conf} confidence."
    else:
        sentence = (
            f"No need to order {name} now: the {number(have + coming)} in stock or on order "
            f"cover the next {protection} with {conf} confidence."
        )
    return OrderLine(
        id=sid,
        demand=d_p,
        sigma=sig_p,
        safety_stock=ss,
        reorder_point=rop,
        order_up_to=up_to,
        on_hand=have,
        on_order=coming,
        order_quantity=int(q),
        sentence=sentence,
    )
