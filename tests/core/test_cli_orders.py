"""The forecast command's order settings and what if (issue 17): --order-settings FILE, the forecast file's own
case_pack column used by itself, --what-if; existing keys unchanged; bad settings exit 2 with a hint. Real
data (data/shop_calendar.csv), real fits."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHOP = pd.read_csv(ROOT / "data" / "shop_calendar.csv")
TWO = SHOP[SHOP["product"].isin(["House blend 250g", "Espresso beans 1kg"])]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    got = capsys.readouterr()
    return code, got.out, got.err


def base(data: Path, *extra: str) -> list[str]:
    return ["forecast", str(data), "--date", "date", "--value", "units_sold", "--id", "product", "--horizon", "14",
            "--lead-time", "7", "--review-period", "7", *extra]  # fmt: skip


def test_the_files_case_pack_column_is_used_and_said(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data, orders = tmp_path / "shop.csv", tmp_path / "orders.csv"
    TWO.to_csv(data, index=False)
    code, stdout, err = run(capsys, *base(data, "--orders-out", str(orders)))
    assert code == 0, err
    assert "order settings:\n  Case pack per product from the forecast file's own columns (2 products)." in stdout
    plan = pd.read_csv(orders)
    assert list(plan.columns[:9]) == ["product", "order_now", "on_hand", "on_order", "expected_demand",
                                      "safety_stock", "reorder_point", "order_up_to", "explanation"]  # fmt: skip
    assert {"case_pack", "min_order", "lead_time", "lead_time_sd", "cases"} <= set(plan.columns)
    packs = dict(zip(plan["product"], plan["case_pack"]))
    assert packs == {"Espresso beans 1kg": 6, "House blend 250g": 12}
    assert (plan["order_now"] % plan["case_pack"] == 0).all() and (plan["order_now"] == plan["cases"] * plan["case_pack"]).all()
    assert plan["explanation"].str.contains(r"\(\d+ cases of (?:6|12)\)").all()


def test_an_order_settings_file_wins_and_json_says_what_was_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data, orders, settings = tmp_path / "shop.csv", tmp_path / "orders.csv", tmp_path / "settings.csv"
    TWO.to_csv(data, index=False)
    settings.write_text("product,case_pack,min_order,lead_time,lead_time_sd,on_hand,on_order\n"
                        "Espresso beans 1kg,10,200,3,1.5,4,2\nMatcha 30g,5,,,,,\n")  # fmt: skip
    code, stdout, err = run(capsys, *base(data, "--orders-out", str(orders), "--order-settings", str(settings),
                                          "--json"))  # fmt: skip
    assert code == 0, err
    out = json.loads(stdout)
    assert out["orders_out"] == str(orders) and out["out"] is None and out["series"]  # the old keys
    said = out["order_settings"]
    assert said["file"] == str(settings) and said["from_forecast_file"] == ["case_pack"]
    assert said["columns"] == ["case_pack", "min_order", "lead_time", "lead_time_sd", "on_hand", "on_order"]
    assert said["products"] == 2
    assert said["notes"] == ["1 product(s) in 'settings.csv' are not in this forecast, so their settings were not "
                             "used: 'Matcha 30g'."]  # fmt: skip
    plan = pd.read_csv(orders).set_index("product")
    espresso = plan.loc["Espresso beans 1kg"]
    assert espresso["case_pack"] == 10 and espresso["min_order"] == 200 and espresso["order_now"] == 200
    assert (espresso["lead_time"], espresso["lead_time_sd"], espresso["on_hand"], espresso["on_order"]) == (3, 1.5, 4, 2)
    assert "raised to the supplier's minimum of 200" in espresso["explanation"]
    assert "Its delivery takes about 3 days, give or take 1.5" in espresso["explanation"]
    assert plan.loc["House blend 250g", "case_pack"] == 12  # from the forecast file's own column


def test_without_orders_out_the_key_is_null(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "shop.csv"
    TWO.to_csv(data, index=False)
    code, stdout, err = run(capsys, *base(data, "--json"))
    assert code == 0, err
    out = json.loads(stdout)
    assert out["order_settings"] is None and out["orders_out"] is None and "what_if" not in out


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Espresso beans 1kg,0", "error: The case pack of 'Espresso beans 1kg' is 0: a case holds at least 1 unit."),
        ("Espresso beans 1kg,half", "error: The case pack of 'Espresso beans 1kg' in 'bad.csv' is 'half', not a number."),
    ],
    ids=["case-pack-0", "not-a-number"],
)
def test_bad_order_settings_exit_2_with_a_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, row: str, message: str
) -> None:
    data, settings = tmp_path / "shop.csv", tmp_path / "bad.csv"
    TWO.to_csv(data, index=False)
    settings.write_text(f"product,case_pack\n{row}\n")
    code, stdout, err = run(capsys, *base(data, "--orders-out", str(tmp_path / "o.csv"), "--order-settings",
                                          str(settings), "--json"))  # fmt: skip
    assert code == 2 and stdout == ""
    assert message in err and "\nhint: " in err and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


def with_and_without_what_if(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, frame: pd.DataFrame, common: list[str]
) -> tuple[Path, Path, dict, dict]:
    """The table written as CSV, forecast as it is and with the promotion on every day (and an order list):
    the data and order list's paths, both JSON outputs; the forecast itself must be the same in both."""
    data, orders = tmp_path / "shop.csv", tmp_path / "orders.csv"
    frame.to_csv(data, index=False)
    code, plain, err = run(capsys, *base(data, *common))
    assert code == 0, err
    code, stdout, err = run(capsys, *base(data, *common, "--what-if", "on_promotion=1", "--orders-out", str(orders)))
    assert code == 0, err
    out, before = json.loads(stdout), json.loads(plain)
    assert [s["forecast"] for s in out["series"]] == [s["forecast"] for s in before["series"]]
    return data, orders, out, before


def test_what_if_adds_its_key_and_the_forecast_is_unchanged(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    common = ["--drivers", "on_promotion", "--holidays", "GB-ENG", "--json"]
    data, orders, out, _ = with_and_without_what_if(capsys, tmp_path, TWO, common)
    w = out["what_if"]
    assert w["change"]["words"] == "'on_promotion' set to 1" and w["rows_changed"] == 62
    house = next(s for s in w["series"] if s["id"] == "House blend 250g")
    assert house["uses_driver"] and house["after"] > house["before"]
    assert house["sentence"].startswith("With 'on_promotion' set to 1 for the next 14 days, 'House blend 250g' would")
    both = {b["product"]: b for b in w["orders"]}  # both order lists
    plan = pd.read_csv(orders).set_index("product")
    assert both["House blend 250g"]["order_now"] == plan.loc["House blend 250g", "order_now"]
    assert both["House blend 250g"]["with_change"] > both["House blend 250g"]["order_now"]
    assert both["Espresso beans 1kg"]["with_change"] == both["Espresso beans 1kg"]["order_now"]
    code, _, err = run(capsys, *base(data, *common, "--what-if", "price*0.9", "--overwrite"))
    assert code == 2 and "error: 'price' is not a driver of this forecast." in err
    assert "hint: Change one of its drivers: 'on_promotion'." in err


def test_what_if_with_families_keeps_the_families_forecast_and_says_how_the_totals_move(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    common = ["--drivers", "on_promotion", "--holidays", "GB-ENG", "--family", "category", "--json"]
    data, orders, out, before = with_and_without_what_if(capsys, tmp_path, SHOP, common)
    assert out["families"] == before["families"]
    totals = {t["label"]: t for t in out["what_if"]["totals"]}
    assert set(totals) == {"All products", "coffee", "tea"}
    moved = {s["id"]: s["after"] - s["before"] for s in out["what_if"]["series"]}
    assert totals["All products"]["after"] - totals["All products"]["before"] == pytest.approx(sum(moved.values()))
    assert totals["All products"]["after"] > totals["All products"]["before"]
    assert out["what_if"]["orders"] is not None and orders.exists()
    code, stdout, err = run(capsys, *base(data, "--family", "category", "--drivers", "on_promotion", "--holidays", "GB-ENG",
                                          "--what-if", "on_promotion=1"))  # fmt: skip
    assert code == 0, err
    assert "what if:" in stdout and "all products together would sell about" in stdout


def test_order_settings_without_an_order_list_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data, settings = tmp_path / "shop.csv", tmp_path / "settings.csv"
    TWO.to_csv(data, index=False)
    settings.write_text("product,case_pack\nEspresso beans 1kg,6\n")
    code, stdout, err = run(capsys, *base(data, "--order-settings", str(settings), "--json"))
    assert code == 2 and stdout == ""
    assert "error: --order-settings says how each product is ordered, but no order list was asked for." in err
    assert "hint: Add --orders-out FILE to write the order list, or leave --order-settings out." in err
