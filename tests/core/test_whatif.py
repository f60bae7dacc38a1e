"""What if (issue 17): the shop sample forecast with a promotion switched on or the price 10 % lower, side by
side with the forecast as it is; real fits on data/shop_calendar.csv, no mocks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.forecasting import Change, forecast, order_plan, parse_change, what_if

DATA = Path(__file__).resolve().parents[2] / "data"
SHOP = pd.read_csv(DATA / "shop_calendar.csv")
EVENTS = pd.read_csv(DATA / "shop_calendar_events.csv")
TWO = SHOP[SHOP["product"].isin(["House blend 250g", "Espresso beans 1kg"])].reset_index(drop=True)
KW = {"date": "date", "value": "units_sold", "id": "product", "horizon": 31, "holidays": "GB-ENG",
      "events": EVENTS, "stockout": "out_of_stock"}  # fmt: skip


@pytest.fixture(scope="module")
def promotion():
    return what_if(TWO, "on_promotion=1", drivers=["on_promotion"], **KW)


def test_the_baseline_is_exactly_the_plain_forecast(promotion) -> None:
    plain = forecast(TWO, drivers=["on_promotion"], **KW)
    for a, b in zip(promotion.baseline.series, plain.series):
        assert a.id == b.id and a.yhat == b.yhat and a.lo == b.lo and a.hi == b.hi and a.model == b.model
    assert [s.id for s in promotion.changed.series] == [s.id for s in plain.series]


def test_a_promotion_switched_on_lifts_the_products_that_use_it_and_says_so(promotion) -> None:
    assert promotion.rows_changed == 62  # 31 future days x 2 products
    lines = {ln.id: ln for ln in promotion.lines}
    house = lines["House blend 250g"]
    assert house.uses_driver and house.after > house.before * 1.1  # a promotion every day sells more
    base = promotion.baseline.series[[s.id for s in promotion.baseline.series].index("House blend 250g")]
    assert house.before == pytest.approx(float(np.sum(base.yhat)))
    assert house.sentence.startswith("With 'on_promotion' set to 1 for the next 31 days, 'House blend 250g' would "
                                     f"sell about {round(house.after):,} instead of {round(house.before):,} (+")  # fmt: skip
    espresso = lines["Espresso beans 1kg"]
    assert not espresso.uses_driver  # its backtest did not keep the promotion: the same forecast either way
    assert espresso.after == pytest.approx(espresso.before)
    assert espresso.sentence.endswith(
        f"would sell about {round(espresso.before):,} either way: its forecast does not use 'on_promotion' "
        "(it did not help on the past)."
    )
    # both order lists follow their forecasts
    before = order_plan(promotion.baseline, lead_time=7, review_period=7)
    after = order_plan(promotion.changed, lead_time=7, review_period=7)
    q = {ln.id: (a.order_quantity, ln.order_quantity) for a, ln in zip(before.lines, after.lines)}
    assert q["House blend 250g"][1] > q["House blend 250g"][0]
    js = promotion.to_json()
    assert js["change"] == {"column": "on_promotion", "value": 1.0, "factor": None,
                            "words": "'on_promotion' set to 1"}  # fmt: skip
    assert len(js["series"][0]["forecast"]) == 31 and js["series"][0]["sentence"] == promotion.lines[0].sentence


def test_products_the_change_does_not_move_are_said_together(promotion) -> None:
    said = promotion.sentences(["House blend 250g", "Espresso beans 1kg"])
    assert said == [promotion.lines[1].sentence, promotion.lines[0].sentence]  # moved first, then the rest
    three = replace(promotion, lines=(*promotion.lines, replace(promotion.lines[0], id="X", label="X")))
    assert three.sentences()[-1] == (
        "'Espresso beans 1kg' and 'X' would sell the same either way: their forecasts do not use 'on_promotion' "
        "(it did not help on their past)."
    )


def test_a_lower_price_as_a_percent_change() -> None:
    w = what_if(TWO, "price-10%", drivers=["on_promotion", "price"], **KW)
    assert w.change == Change("price", factor=pytest.approx(0.9))
    future = TWO[TWO["units_sold"].isna()]
    assert w.rows_changed == len(future)
    assert all(ln.sentence.startswith("With 'price' 10% lower for the next 31 days, ") for ln in w.lines)
    used = [ln for ln in w.lines if ln.uses_driver]
    assert used, "the shop sample's price moves sales of at least one of these products"
    assert all(ln.after > ln.before for ln in used)  # cheaper sells more


@pytest.mark.parametrize(
    ("text", "expected"),
    [("on_promotion=1", Change("on_promotion", value=1.0)), ("price*0.9", Change("price", factor=0.9)),
     ("price - 10%", Change("price", factor=0.9)), ("price+5%", Change("price", factor=1.05))],
    ids=["set", "times", "minus-percent", "plus-percent"],
)  # fmt: skip
def test_parse_change(text, expected) -> None:
    got = parse_change(text)
    assert got.column == expected.column and got.value == expected.value
    assert got.factor == pytest.approx(expected.factor) if expected.factor is not None else got.factor is None


@pytest.mark.parametrize("text", ["price", "price=cheap", "price*10%", ""], ids=["no-op", "word", "times-pct", "empty"])
def test_a_change_keel_cannot_read_is_refused(text) -> None:
    with pytest.raises(InputError) as err:
        parse_change(text)
    assert "COLUMN=VALUE" in err.value.hint or "COLUMN-10%" in err.value.hint


def test_a_column_that_is_not_a_driver_is_refused() -> None:
    with pytest.raises(InputError) as err:
        what_if(TWO, "case_pack=12", drivers=["on_promotion"], **KW)
    assert err.value.message == "'case_pack' is not a driver of this forecast."
    assert err.value.hint == "Change one of its drivers: 'on_promotion'."
    with pytest.raises(InputError) as err:
        what_if(TWO, "price*0.9", drivers=[], **KW)
    assert err.value.message == "This forecast uses no drivers, so there is nothing to change."


def test_a_table_without_future_rows_is_refused() -> None:
    history = TWO[TWO["units_sold"].notna()]
    with pytest.raises(InputError) as err:
        what_if(history, "on_promotion=1", drivers=["on_promotion"], **KW)
    assert err.value.message == "The table has no future rows, so 'on_promotion' has no future values to change."
    assert err.value.hint.startswith("Add rows after the last sale with 'units_sold' empty and 'on_promotion'")


def test_with_families_the_change_is_added_to_the_reconciled_forecasts_and_the_totals_still_add_up() -> None:
    from core.forecasting import forecast_families

    w = what_if(SHOP, "on_promotion=1", drivers=["on_promotion"], family="category", **KW)
    fams = forecast_families(SHOP, family="category", drivers=["on_promotion"], **KW)
    # the baseline is the families' reconciled forecast, exactly
    assert [(s.id, s.yhat, s.lo, s.hi) for s in w.baseline.series] == [(s.id, s.yhat, s.lo, s.hi) for s in fams.products.series]
    assert w.families is not None and w.families.method == fams.method
    # each product moves by exactly its own forecast's change (reconciling again would shrink a lift the totals cannot see)
    own = {s.id: s for s in forecast(SHOP.assign(on_promotion=np.where(SHOP["units_sold"].isna(), 1, SHOP["on_promotion"])),
                                     drivers=["on_promotion"], **KW).series}  # fmt: skip
    moved = 0
    for b, c in zip(w.baseline.series, w.changed.series):
        step = np.asarray(own[b.id].yhat) - np.asarray(next(s for s in fams.own.series if s.id == b.id).yhat)
        if "on_promotion" in b.drivers_used:
            moved += 1
            np.testing.assert_allclose(np.asarray(c.yhat) - np.asarray(b.yhat), step, atol=1e-9)
        else:
            assert c.yhat == b.yhat
    assert moved >= 1
    # every total's change is the sum of its products' changes: the changed forecasts still add up
    after = {s.id: float(np.sum(s.yhat)) for s in w.changed.series}
    nodes = [n for n in fams.nodes if n.level != "product"]
    assert [ln.label for ln in w.totals] == [n.key for n in nodes] and len(nodes) == 3  # all, coffee, tea
    for ln, n in zip(w.totals, nodes):
        assert ln.before == pytest.approx(float(np.sum(n.yhat)))
        assert ln.after == pytest.approx(sum(after[p] for p in n.products))
    total = w.totals[0]
    assert total.after > total.before and total.sentence.startswith(
        "With 'on_promotion' set to 1 for the next 31 days, all products together would sell about "
    )
    assert w.totals[1].sentence.startswith("With 'on_promotion' set to 1 for the next 31 days, the 'coffee' category in total")
    assert w.sentences()[-3:] == [ln.sentence for ln in w.totals]
    js = w.to_json()["totals"]
    assert [t["label"] for t in js] == ["All products", "coffee", "tea"] and js[0]["level"] == "total"
