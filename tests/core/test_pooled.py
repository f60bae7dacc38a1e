"""The model learnt across all products (core.forecasting.pooled): real fits on made-up shops.

It must win its place: chosen where products share what each is too short to show, left out where it
cannot help, the same answer twice, and a small table untouched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.forecasting import forecast
from core.forecasting.pooled import MIN_SERIES

WEEK = np.array([0.5, 0.6, 0.8, 1.0, 1.3, 2.2, 1.6])  # quiet Mondays, busy Saturdays: the shop's week
H = 14


def shop(n_series: int = 30, seed: int = 1, short: int = 42, long: int = 300) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """Products of one shop: the same weekly pattern and a promotion that triples sales, Poisson counts.
    Every other product is new (six weeks of history), too short to learn the promotion or the week
    alone. The last H days are held out (units empty, the promotion planned)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=long + H, freq="D")
    rows, held = [], []
    for k in range(n_series):
        promo = (rng.random(long + H) < 0.06).astype(int)
        mu = rng.lognormal(np.log(4.0), 0.4) * WEEK[dates.day_of_week] * np.where(promo == 1, 3.0, 1.0)
        units = rng.poisson(mu).astype(float)
        shown = units.copy()
        shown[-H:] = np.nan
        part = pd.DataFrame({"date": dates, "product": f"p{k:02d}", "units": shown, "promo": promo})
        rows.append(part.iloc[-(short + H) :] if k % 2 else part)
        held.append(units[-H:])
    return pd.concat(rows, ignore_index=True), held


def run(frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, pooled: bool, **kw):
    monkeypatch.setenv("KEEL_POOLED", "1" if pooled else "0")
    return forecast(frame, "date", "units", "product", horizon=H, workers=1, **kw)


def held_out_error(result, held: list[np.ndarray]) -> float:
    return float(np.mean([np.mean(np.abs(np.array(s.yhat) - a)) for s, a in zip(result.series, held)]))


def test_chosen_where_products_share_what_each_is_too_short_to_show(monkeypatch):
    frame, held = shop()
    without = run(frame, monkeypatch, False, drivers=["promo"])
    with_pooled = run(frame, monkeypatch, True, drivers=["promo"])

    chosen = [s for s in with_pooled.series if s.model == "pooled"]
    assert len(chosen) >= 6
    assert sum(s.id is not None and int(s.id[1:]) % 2 == 1 for s in chosen) >= 4  # the new products
    # and it pays on the days nobody had seen: the held-out fortnight
    assert held_out_error(with_pooled, held) < 0.97 * held_out_error(without, held)
    s = chosen[0]
    assert s.model_label == "average of its own model and one learnt across all products (gradient boosting)"
    assert s.components  # the series' own model(s), averaged with the pooled one
    assert [m.model for m in s.leaderboard if m.chosen] == ["pooled"]
    assert any(
        n.startswith("Averaged with one model learnt across all 30 products of this table")
        and n.endswith("so Keel uses the average.")
        for n in s.notes
    )
    assert s.drivers_used == ("promo",)
    assert s.drivers and "'promo' on: about +" in s.drivers[0]["sentence"]
    # its interval is calibrated on its own backtest, as every model's
    assert s.backtest.windows == 3 and s.backtest.coverage is not None
    assert all(lo <= y <= hi for lo, y, hi in zip(s.lo, s.yhat, s.hi))
    # the others tried it and say why they kept their own
    kept = [s for s in with_pooled.series if s.model != "pooled"]
    assert kept and all(any(m.model == "pooled" and not m.chosen for m in s.leaderboard) for s in kept)
    assert all(any("Keel also tried averaging this forecast with one model learnt" in n for n in s.notes) for s in kept)


def own_weeks(n_series: int = 12, days: int = 300, seed: int = 1) -> pd.DataFrame:
    """Unrelated products, each with its own steady weekly pattern and little noise: each series shows all
    there is to learn, and nothing is shared."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    parts = []
    for k in range(n_series):
        week = rng.uniform(0.7, 1.3, 7)
        units = rng.uniform(100, 400) * week[dates.day_of_week] + rng.normal(0, 1, days)
        parts.append(pd.DataFrame({"date": dates, "product": f"w{k:02d}", "units": units}))
    return pd.concat(parts, ignore_index=True)


def test_not_chosen_where_nothing_is_shared(monkeypatch):
    result = run(own_weeks(), monkeypatch, True)

    assert [s.model for s in result.series if s.model == "pooled"] == []
    tried = [s for s in result.series if any(m.model == "pooled" for m in s.leaderboard)]
    assert len(tried) == 12  # it was tried on every series, and lost
    assert all(any("the forecast above does not use it" in n for n in s.notes) for s in tried)


def test_the_same_answer_twice(monkeypatch):
    frame, _ = shop(n_series=20, seed=3)
    first = run(frame, monkeypatch, True, drivers=["promo"])
    second = run(frame, monkeypatch, True, drivers=["promo"])

    assert all(any(m.model == "pooled" for m in s.leaderboard) for s in first.series)  # it was tried
    assert [(s.model, s.yhat, s.lo, s.hi) for s in first.series] == [
        (s.model, s.yhat, s.lo, s.hi) for s in second.series
    ]


def test_a_small_table_is_untouched(monkeypatch):
    frame, _ = shop(n_series=MIN_SERIES - 4, seed=2)  # six products
    on = run(frame, monkeypatch, True, drivers=["promo"])
    off = run(frame, monkeypatch, False, drivers=["promo"])

    assert [(s.model, s.yhat, s.lo, s.hi, s.notes) for s in on.series] == [
        (s.model, s.yhat, s.lo, s.hi, s.notes) for s in off.series
    ]
    assert not any(m.model == "pooled" for s in on.series for m in s.leaderboard)


def test_a_single_series_is_untouched(monkeypatch):
    frame, _ = shop(n_series=1, seed=4)
    one = frame.drop(columns=["product", "promo"])
    monkeypatch.setenv("KEEL_POOLED", "1")
    on = forecast(one, "date", "units", horizon=H)
    monkeypatch.setenv("KEEL_POOLED", "0")
    off = forecast(one, "date", "units", horizon=H)
    assert on.series[0].yhat == off.series[0].yhat and on.series[0].notes == off.series[0].notes
    assert on.series[0].model != "pooled"
