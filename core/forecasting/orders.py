"""Turn a forecast into an order list (periodic review, order-up-to policy), as suppliers take orders.

For each product, over the *protection period* P = L + R (lead time + review period, in forecast periods):

- expected demand  D_P = sum of the forecast over the next P periods (a fractional period counts in part)
- its uncertainty  sigma_P, from two sources:

  * the forecast's own: each period's sigma is read from the upper half of the forecast interval,
    sigma_k = (hi_k - yhat_k) / z_level (the lower half may be cut at zero for sales), and the periods
    add up as independent: sum over k <= P of sigma_k^2;
  * the lead time's, when it varies (standard deviation sigma_L periods): the review period R is fixed, so
    only L is random, and with per-period demand d and per-period sigma_d the standard result for a random
    number of periods is Var = E[P] sigma_d^2 + d^2 sigma_L^2. The first term is the sum above (the
    forecast's sigma varies by period); d is the forecast's mean rate over the protection period, D_P / P:

        sigma_P = sqrt( sum_{k<=P} sigma_k^2 + (D_P / P)^2 * sigma_L^2 )

    which is the textbook sigma = sqrt(P sigma_d^2 + d^2 sigma_L^2) when the forecast is flat, and exactly the
    forecast's own sigma when the lead time does not vary.
- safety stock     SS = z_service * sigma_P
- order-up-to      S = D_P + SS
- the need         N = S - on hand - on order
- order now        Q = 0 when N <= 0; else N rounded up to whole units, raised to the supplier's minimum order
                   when below it, then rounded up to whole cases (:func:`round_order`)
- reorder point    ROP = D_L + z_service * sigma_L' over the lead time L alone (for continuous review), with
                   sigma_L' = sqrt(sum_{k<=L} sigma_k^2 + (D_L / L)^2 * sigma_L^2)

Per product, the case pack, minimum order, lead time and its variability, stock on hand and on order come
from :class:`core.forecasting.order_settings.OrderSettings` (a settings table or the forecast table's
columns: :func:`core.forecasting.order_settings.read_order_settings`); what a product does not set, the
values for all apply.

Everything is in the forecast's units and periods. When the forecast column is money (takings, revenue:
:func:`core.forecasting.timeseries.value_kind`), the list is money too: each line says so, and
``OrderPlan.warning`` says in one plain paragraph what that means and which column to forecast instead;
case packs and minimums are then not applied.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from core.errors import InputError
from core.forecasting.order_settings import OrderSettings
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
    need: float = 0.0  # order-up-to less stock on hand and on order, before rounding
    case_pack: int | None = None
    min_order: float | None = None
    lead_time: float | None = None  # this product's lead time, in periods
    lead_time_sd: float = 0.0
    cases: int | None = None  # whole cases ordered, when there is a case pack
    rounding: str | None = None  # None, 'cases', 'minimum' or 'minimum_cases': how the need became the order


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
                    "case_pack": ln.case_pack,
                    "min_order": ln.min_order,
                    "lead_time": ln.lead_time,
                    "lead_time_sd": ln.lead_time_sd,
                    "cases": ln.cases,
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
                "case_pack",
                "min_order",
                "lead_time",
                "lead_time_sd",
                "cases",
            ],
        )

    def to_csv(self) -> bytes:
        return self.to_frame().to_csv(index=False).encode("utf-8")


def _sum_over(s: SeriesForecast, periods: float, z_level: float) -> tuple[float, float, bool]:
    """(expected demand, sigma) over the first ``periods`` forecast steps (a fraction of a step counts in
    part); bool = extrapolated."""
    yhat = np.maximum(np.asarray(s.yhat, float), 0.0)
    # the upper half of the interval: the lower half may be cut at zero for sales
    sd = (np.asarray(s.hi, float) - np.asarray(s.yhat, float)) / z_level
    sd = np.maximum(sd, 0.0)
    whole = math.floor(periods + 1e-9)
    part = max(0.0, periods - whole)
    steps = whole + (1 if part > 1e-9 else 0)
    extra = False
    if steps > yhat.size:  # beyond the horizon: repeat the last forecast step
        k = steps - yhat.size
        yhat = np.r_[yhat, np.full(k, yhat[-1] if yhat.size else 0.0)]
        sd = np.r_[sd, np.full(k, sd[-1] if sd.size else 0.0)]
        extra = True
    weight = np.r_[np.ones(whole), [part] if steps > whole else []]
    return float(yhat[:steps] @ weight), float(math.sqrt(np.sum(weight * sd[:steps] ** 2))), extra


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
    on_order: dict[str | None, float] | float | None = None,
    frame: pd.DataFrame | None = None,
    settings: Mapping[str | None, OrderSettings] | OrderSettings | None = None,
) -> OrderPlan:
    """Safety stock, reorder point and order quantity for every series of a forecast.

    ``lead_time`` and ``review_period`` are in forecast periods (weeks for weekly data...).
    ``service_level`` is the chance of not running out before the next delivery (0.5-0.999).
    ``on_hand`` / ``on_order``: current stock and stock ordered but not arrived, per product id (or one number
    for all; default 0).
    ``settings``: per product id (or one for all) the case pack, minimum order, lead time and its variability,
    stock on hand and on order (:class:`OrderSettings`); a product's own setting wins over the values for all.
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
    notes = []
    lines = []
    for s in result.series:
        if not s.yhat:
            continue
        own = settings if isinstance(settings, OrderSettings) else (settings or {}).get(s.id, OrderSettings())
        lt = float(own.lead_time) if own.lead_time is not None else float(lead_time)
        sd_l = float(own.lead_time_sd or 0.0)
        have = own.on_hand if own.on_hand is not None else _for(on_hand, s.id)
        coming = own.on_order if own.on_order is not None else _for(on_order, s.id)
        p = lt + int(review_period)
        d_p, sig_p, extra = _sum_over(s, p, z_level)
        d_l, sig_l, _ = _sum_over(s, lt, z_level) if lt else (0.0, 0.0, False)
        # a lead time that varies: sigma^2 = sum of the periods' sigma^2 + (demand per period)^2 * sigma_L^2
        sig_p = math.sqrt(sig_p**2 + (d_p / p) ** 2 * sd_l**2)
        rate_l = d_l / lt if lt else d_p / p
        sig_l = math.sqrt(sig_l**2 + rate_l**2 * sd_l**2) if lt or sd_l else 0.0
        if extra:
            notes.append(
                f"Lead time plus review period ({_span(p, unit)}) is longer than the forecast; "
                f"the last forecast {unit} was repeated."
            )
        if money is not None and (own.case_pack or own.min_order):
            notes.append("Case packs and minimum orders were not applied: this list is in money, not pieces.")
            own = replace(own, case_pack=None, min_order=None)
        own = replace(own, lead_time=lt, lead_time_sd=sd_l)
        lines.append(
            _line(s.id, d_p, sig_p, d_l, sig_l, float(have), float(coming), sl, _span(p, unit), money, own, lead_time)
        )
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


def _for(value: Mapping[str | None, float] | float | None, sid: str | None) -> float:
    """A product's number from a per-product dict, or the one number for all (default 0)."""
    if isinstance(value, Mapping):
        return float(value.get(sid, 0.0))
    return float(value or 0.0)


def _span(periods: float, unit: str) -> str:
    """'14 days', '2.5 weeks'."""
    if float(periods).is_integer():
        return count(int(periods), unit)
    return f"{number(periods)} {unit}s"


def round_order(need: float, case_pack: int | None = None, min_order: float | None = None) -> tuple[int, str | None]:
    """The order for a ``need`` (units short of the order-up-to level), as a supplier takes it.

    No order when nothing is needed; else the need rounded up to whole units, raised to ``min_order`` when
    below it, then rounded up to whole cases of ``case_pack``. Returns (quantity, how): how is None (whole
    units only), 'cases' (rounded up to whole cases), 'minimum' (raised to the minimum) or 'minimum_cases'
    (raised to the minimum, then to whole cases)."""
    if not need > 1e-9:
        return 0, None
    q = math.ceil(need - 1e-9)
    how = None
    if min_order and q < min_order:
        q, how = math.ceil(min_order - 1e-9), "minimum"
    if case_pack and case_pack > 1 and q % case_pack:
        q = math.ceil(q / case_pack) * case_pack
        how = "minimum_cases" if how else "cases"
    return int(q), how


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
    own: OrderSettings | None = None,
    lead_for_all: float | None = None,
) -> OrderLine:
    """One product's order: up to demand over the protection period plus safety stock, less what it has,
    rounded as the supplier takes it (``own``: its case pack, minimum, lead time). ``money``: the forecast
    column when it is money; the sentence then speaks of an amount, not pieces."""
    own = own or OrderSettings()
    z_sl = float(norm.ppf(sl))
    ss = z_sl * sig_p
    up_to = d_p + ss
    rop = d_l + z_sl * sig_l
    need = up_to - have - coming
    q, how = round_order(need, own.case_pack, own.min_order)
    name = f"'{sid}'" if sid is not None else "this item"
    conf = f"{number(sl * 100)}%"
    cases = q // own.case_pack if own.case_pack else None
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
        packed = f" ({count(int(cases or 0), 'case')} of {number(own.case_pack)})" if own.case_pack else ""
        if how is None:
            sentence = f"Order {q:,} of {name} now{packed}: covers the next {protection} with {conf} confidence."
        else:
            why = {
                "cases": "the supplier sells whole cases",
                "minimum": f"raised to the supplier's minimum of {number(own.min_order)}",
                "minimum_cases": f"raised to the supplier's minimum of {number(own.min_order)}, then to whole cases",
            }[how]
            sentence = (
                f"Order {q:,} of {name} now{packed}: you need about {number(max(1, round(need)))} more to "
                f"cover the next {protection} with {conf} confidence; {why}."
            )
    else:
        sentence = (
            f"No need to order {name} now: the {number(have + coming)} in stock or on order "
            f"cover the next {protection} with {conf} confidence."
        )
    sentence += _delivery(own, lead_for_all, protection.split(" ", 1)[-1])
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
        need=need,
        case_pack=own.case_pack,
        min_order=own.min_order,
        lead_time=own.lead_time,
        lead_time_sd=float(own.lead_time_sd or 0.0),
        cases=cases,
        rounding=how,
    )


def _delivery(own: OrderSettings, lead_for_all: float | None, units: str) -> str:
    """A product's own delivery time, said when it differs from the one for all or varies."""
    lt, sd = own.lead_time, float(own.lead_time_sd or 0.0)
    if lt is None:
        return ""
    unit = units.rstrip("s") or "period"
    if sd > 0:
        return (
            f" Its delivery takes about {_span(lt, unit)}, give or take {number(sd)}; the extra stock allows for that."
        )
    if lead_for_all is not None and lt != float(lead_for_all):
        return f" Its delivery takes {_span(lt, unit)}."
    return ""
