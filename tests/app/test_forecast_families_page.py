"""AppTest: the Forecast page offers the shop sample's 'category' as families, forecasts the category totals
with the products, and shows the families section (sentence, totals chart, table) before the order list; the
order list is made from the reconciled products. Real fits."""

from __future__ import annotations

import numpy as np

from core.data import load_sample
from tests.app.helpers import open_page, texts
from tests.app.test_forecast_calendar_page import press_forecast, widget
from ui import state


def test_family_totals_on_the_page() -> None:
    info = load_sample("shop_calendar")
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    assert not at.exception
    picker = widget(at, "selectbox", "Also forecast the totals per")
    assert picker.options == ["no totals", "category"]
    picker.set_value("category").run()
    at.number_input[0].set_value(14).run()
    assert press_forecast(at) == "done" and not at.exception and not at.error, [e.value for e in at.error]
    body = texts(at)
    assert "Product families" in body and "Category totals now equal the sum of their products" in body
    assert body.index("Product families") < body.index("What to order")
    shown = at.session_state[state.FORECAST_RESULT]
    families, products = shown["families"], shown["result"]
    assert products is families.products  # the order list is made from the reconciled products
    by_id = {s.id: np.array(s.yhat) for s in products.series}
    coffee = next(n for n in families.nodes if n.level == "category" and n.key == "coffee")
    assert np.allclose(coffee.yhat, sum(by_id[p] for p in coffee.products))
