"""The forecast command's product families (issue 17): --family COL forecasts the category totals with the
products and reconciles them (the JSON's 'families'; 'series' are the reconciled products), --look-alike lends a
new product a pattern, and misuse exits 2 with a hint. Real data (data/shop_calendar.csv), real fits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.core.test_cli_orders import run

ROOT = Path(__file__).resolve().parents[2]
SHOP = pd.read_csv(ROOT / "data" / "shop_calendar.csv")


def base(data: Path, *extra: str) -> list[str]:
    return ["forecast", str(data), "--date", "date", "--value", "units_sold", "--id", "product", "--horizon", "14",
            *extra]  # fmt: skip


def test_family_totals_equal_their_products_in_the_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "shop.csv"
    SHOP.to_csv(data, index=False)
    code, stdout, err = run(capsys, *base(data, "--family", "category", "--json"))
    assert code == 0, err
    out = json.loads(stdout)
    fam = out["families"]
    assert fam["method"] in ("mint", "bottom_up", "none") and fam["sentence"]
    products = {s["id"]: np.array([p["yhat"] for p in s["forecast"]]) for s in out["series"]}
    assert len(products) == 6
    members = SHOP.groupby("category")["product"].unique()
    totals = {(n["level"], n["family"]): n for n in fam["totals"]}
    checked = 0
    for category, names in members.items():
        node = totals[("category", category)]
        assert sorted(node["products"]) == sorted(names)
        yhat = np.array([p["yhat"] for p in node["forecast"]])
        assert np.allclose(yhat, sum(products[n] for n in names), atol=1e-6)
        checked += 1
    assert checked == 2


def test_family_sentence_in_the_summary_and_misuse(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "shop.csv"
    SHOP[SHOP["product"].isin(["House blend 250g", "Espresso beans 1kg", "Green tea 50 bags"])].to_csv(data, index=False)
    code, stdout, err = run(capsys, *base(data, "--family", "category"))
    assert code == 0, err
    assert "families:\n  Category totals" in stdout
    code, stdout, err = run(capsys, *base(data, "--look-alike", "a=b"))
    assert code == 2 and "no --family was given" in err and "hint: Add --family COL" in err
    code, stdout, err = run(capsys, *base(data, "--family", "category", "--look-alike", "nothing-here"))
    assert code == 2 and "--look-alike takes NEW=OLD" in err
    code, stdout, err = run(capsys, *base(data, "--family", "aisle"))
    assert code == 2 and "There is no column 'aisle' in the table to group the products by." in err
    split = SHOP.copy()
    split.loc[split.index[-1], "category"] = "snacks"  # one row puts a product in another family
    split.to_csv(data, index=False)
    code, stdout, err = run(capsys, *base(data, "--family", "category"))
    assert code == 2 and "belongs to two families in 'category'" in err and "Traceback" not in err
