"""AppTests for the Forecast page's order settings and What if (issue 17), on the shop sample with real fits:
the settings editor prefilled from the data's case_pack column, orders in whole cases with their sentence, a
minimum order typed in, a bad setting shown as core's message; What if with the planned promotion switched on
for every day, both forecasts on one chart and both order lists."""

from __future__ import annotations

import json
import re

from tests.app.helpers import texts
from tests.app.test_forecast_calendar_page import press_forecast, shop_page, widget


def forecast_shop(products: list[str], drivers: list[str] | None = None, family: str | None = None):
    at = shop_page(products, 14)
    if drivers:  # England's holidays and the stock-out mark too: then the promotion earns its place on the past
        widget(at, "selectbox", "Public holidays of").set_value("GB").run()
        widget(at, "selectbox", "Region").set_value("ENG").run()
        widget(at, "selectbox", "Days without stock are marked in").set_value("out_of_stock").run()
        widget(at, "multiselect", "Known ahead (drivers)").set_value(drivers).run()
    if family:
        widget(at, "selectbox", "Also forecast the totals per").set_value(family).run()
    status = press_forecast(at)
    assert status == "done" and not at.exception and not at.error, [e.value for e in at.error]
    return at


def edit(at, editor, row: int, changes: dict) -> None:
    """Type into the settings editor: AppTest takes an editor's edits through its session-state key."""
    at.session_state[editor.key] = {"edited_rows": {row: changes}, "added_rows": [], "deleted_rows": []}
    at.run()


def order_lines(at) -> list[str]:
    return [m for m in texts(at).splitlines() if m.startswith("- Order ") or m.startswith("- No need to order ")]


def test_order_settings_prefilled_from_the_case_pack_column_and_used() -> None:
    at = forecast_shop(["Espresso beans 1kg", "Green tea 50 bags"])
    assert "What to order" in texts(at)
    assert "Prefilled from your data's own columns: case_pack." in texts(at)
    editor = at.data_editor[0]
    table = editor.value
    assert list(table.columns) == ["product", "on_hand", "case_pack", "on_order", "min_order", "lead_time",
                                   "lead_time_sd"]  # fmt: skip
    assert dict(zip(table["product"], table["case_pack"])) == {"Espresso beans 1kg": 6, "Green tea 50 bags": 24}
    assert table["lead_time"].tolist() == [7.0, 7.0] and table["min_order"].tolist() == [0.0, 0.0]  # none empty
    lines = order_lines(at)
    assert len(lines) == 2
    assert all(re.search(r"\(\d+ cases? of (6|24)\)", ln) for ln in lines), lines
    espresso = next(ln for ln in lines if "'Espresso beans 1kg'" in ln)
    q = int(re.search(r"Order (\d+) of", espresso).group(1))
    assert q % 6 == 0
    # a supplier's minimum typed in raises the order, and the sentence says so
    row = list(table["product"]).index("Espresso beans 1kg")
    edit(at, editor, row, {"min_order": 500.0})
    assert not at.exception
    espresso = next(ln for ln in order_lines(at) if "'Espresso beans 1kg'" in ln)
    assert espresso.startswith("- Order 504 of 'Espresso beans 1kg' now (84 cases of 6): you need about ")
    assert espresso.endswith("raised to the supplier's minimum of 500, then to whole cases.")
    # stock that covers everything: no order, whatever the minimum
    edit(at, editor, row, {"min_order": 500.0, "on_hand": 10_000.0})
    espresso = next(ln for ln in order_lines(at) if "'Espresso beans 1kg'" in ln)
    assert espresso.startswith("- No need to order 'Espresso beans 1kg' now: the 10,000 in stock or on order")
    # a longer delivery for all: the editor follows, the stock typed in stays
    widget(at, "number_input", "Delivery takes (days)").set_value(10).run()
    assert not at.exception and not at.error
    assert at.data_editor[0].value["lead_time"].tolist() == [10.0, 10.0]
    assert any("the next 17 days" in ln for ln in order_lines(at))
    espresso = next(ln for ln in order_lines(at) if "'Espresso beans 1kg'" in ln)
    assert espresso.startswith("- No need to order 'Espresso beans 1kg' now: the 10,000 in stock or on order")
    assert "What if" not in [h.value for h in at.header]  # no drivers: no what-if section


def test_a_bad_setting_shows_cores_message_not_a_traceback() -> None:
    at = forecast_shop(["Espresso beans 1kg"])
    editor = at.data_editor[0]
    edit(at, editor, 0, {"case_pack": 2.5})
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "The case pack of 'Espresso beans 1kg' is 2.5: a case holds a whole number of units." in errors


def what_if_on(at) -> str:
    """Switch What if on (the promotion on every day, the page's default); the page's text."""
    widget(at, "toggle", "Show the forecast with this change").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return texts(at)


def sold(body: str, who: str) -> tuple[int, int]:
    """What ``who`` would sell over the 14 days with the promotion on, and without it (as the page says)."""
    said = re.search(
        rf"With 'on_promotion' set to 1 for the next 14 days, {re.escape(who)} would sell about ([\d,]+) instead of "
        r"([\d,]+) \(\+\d+%\)\.",
        body,
    )
    assert said, body
    after, before = (int(g.replace(",", "")) for g in said.groups())
    return after, before


def test_what_if_the_promotion_runs_every_day_or_the_price_is_lower() -> None:
    at = forecast_shop(["House blend 250g", "Espresso beans 1kg"], drivers=["on_promotion", "price"])
    assert "What if" in [h.value for h in at.header]
    assert widget(at, "selectbox", "Driver to change").options == ["on_promotion", "price"]
    charts_before = len(at.get("plotly_chart"))
    body = what_if_on(at)
    after, before = sold(body, "'House blend 250g'")
    assert after > before
    assert (
        "With 'on_promotion' set to 1 for the next 14 days, 'Espresso beans 1kg' would sell about" in body
        and "its forecast does not use 'on_promotion' (it did not help on the past)." in body
    )
    figures = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    assert len(figures) == charts_before + 1
    names = [t.get("name") for t in figures[-1]["data"]]
    assert "with 'on_promotion' set to 1" in names and "what happened" in names
    both = at.dataframe[-1].value
    assert list(both.columns) == ["product", "order as it is", "order with the change"]
    row = both.set_index("product").loc["House blend 250g"]
    assert row["order with the change"] > row["order as it is"]  # more sold, more to order
    labels = [b.label for b in at.get("download_button")]
    assert "Download the order list with the change (CSV)" in labels
    # the price 10% lower, as a percent change
    widget(at, "selectbox", "Driver to change").set_value("price").run()
    widget(at, "radio", "Change it by").set_value("a percent change").run()
    assert not at.exception and not at.error
    assert re.search(r"With 'price' 10% lower for the next 14 days, 'House blend 250g' would sell about [\d,]+ "
                     r"instead of [\d,]+ \(\+\d+%\)\.", texts(at))  # fmt: skip


def test_what_if_with_family_totals_says_how_each_total_moves() -> None:
    four = ["House blend 250g", "Espresso beans 1kg", "Earl Grey 100 bags", "Green tea 50 bags"]
    at = forecast_shop(four, drivers=["on_promotion"], family="category")
    body = what_if_on(at)
    after, before = sold(body, "all products together")
    assert after > before
    assert "With 'on_promotion' set to 1 for the next 14 days, the 'coffee' category in total would sell about" in body
    assert "the 'tea' category in total would sell about" in body
