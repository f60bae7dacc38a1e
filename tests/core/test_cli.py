"""The CLI contract (../shared/DESIGN.md), driven as a script or cron job would: a real subprocess."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "KEEL_HOME": str(home)},
    )


def as_json(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, f"stdout must hold exactly one JSON object, got: {proc.stdout[:500]}"
    return json.loads(lines[0])


def test_profile_json_has_the_contract_keys(keel_home: Path) -> None:
    out = as_json(cli("profile", str(DATA / "customer_churn.csv"), "--target", "churned", "--json", home=keel_home))
    assert out["rows"] == 4020
    assert {"name", "kind", "missing_share"} <= set(out["columns"][0])
    kinds = {c["name"]: c["kind"] for c in out["columns"]}
    assert kinds["customer_id"] == "id_like" and kinds["monthly_fee"] == "numeric"
    codes = {(f["code"], f["column"]) for f in out["findings"]}
    assert {("target_leakage", "cancellation_date"), ("pii", "email"), ("duplicate_rows", None)} <= codes
    for finding in out["findings"]:
        assert set(finding) >= {"code", "severity", "column", "message", "advice"}
        assert finding["severity"] in ("info", "warning", "critical")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("profile", "no/such/file.csv"), "There is no file at"),
        (("profile", "{data}/penguins.csv", "--target", "wings"), "has no column named 'wings'"),
        (("train", "{data}/penguins.csv"), "the following arguments are required: --target"),
        (("predict", "nope", "{data}/penguins.csv", "--out", "{tmp}/o.csv"), "No model matches 'nope'"),
        (("forecast", "{data}/shop_sales.csv", "--date", "date", "--value", "units_sold", "--horizon", "0"), "horizon"),
    ],
    ids=["missing-file", "unknown-target", "missing-option", "unknown-model", "bad-horizon"],
)
def test_user_errors_exit_2_with_error_and_hint(keel_home: Path, tmp_path: Path, args: tuple, message: str) -> None:
    args = tuple(a.format(data=DATA, tmp=tmp_path) for a in args)
    proc = cli(*args, "--json", home=keel_home)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ") and message in proc.stderr
    assert "\nhint: " in proc.stderr and "Traceback" not in proc.stderr


def test_a_refused_file_exits_2(keel_home: Path, tmp_path: Path) -> None:
    fake = tmp_path / "data.csv"
    fake.write_bytes(b"PK\x03\x04" + os.urandom(300))
    proc = cli("profile", str(fake), home=keel_home)
    assert proc.returncode == 2 and "error:" in proc.stderr and "Traceback" not in proc.stderr


def test_train_predict_models_monitor_journey(keel_home: Path, tmp_path: Path) -> None:
    trained = as_json(cli("train", str(DATA / "penguins.csv"), "--target", "species", "--time-budget", "60", "--json",
                          home=keel_home))
    model = trained["model"]
    assert (model["name"], model["version"], model["task"]) == ("penguins-species", 1, "classification")
    assert trained["metrics"]["accuracy"] > 0.9
    assert {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss", "brier", "ece"} <= set(trained["metrics"])
    assert {r["algorithm"] for r in trained["leaderboard"]} >= {"baseline"}

    out_csv = tmp_path / "scored.csv"
    scored = as_json(cli("predict", "penguins-species:1", str(DATA / "penguins.csv"), "--out", str(out_csv), "--json",
                         home=keel_home))
    assert scored["rows"] == 344
    header = next(csv.reader(out_csv.open(encoding="utf-8")))
    assert header[:8] == ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                          "body_mass_g", "sex", "year"]
    assert {"prediction", "proba_Adelie", "proba_Chinstrap", "proba_Gentoo"} <= set(header)

    listed = as_json(cli("models", "--json", home=keel_home))
    assert [(m["name"], m["version"], m["stage"]) for m in listed["models"]] == [("penguins-species", 1, "champion")]
    assert {"id", "task", "created_at", "metrics"} <= set(listed["models"][0])

    monitored = as_json(cli("monitor", "penguins-species", str(DATA / "penguins.csv"), "--labels", "species", "--json",
                            home=keel_home))
    assert set(monitored) >= {"batch_id", "drift", "performance", "triggers", "action"}
    assert monitored["action"] in ("none", "review", "retrain")
    assert monitored["drift"]["dataset_drift"] is False  # the training data itself cannot drift


def test_drift_json(keel_home: Path, tmp_path: Path) -> None:
    lines = (DATA / "penguins.csv").read_text().splitlines()
    (tmp_path / "a.csv").write_text("\n".join(lines[:200]) + "\n")
    (tmp_path / "b.csv").write_text("\n".join([lines[0], *lines[200:]]) + "\n")  # later rows: other species mix
    out = as_json(cli("drift", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--json", home=keel_home))
    assert isinstance(out["dataset_drift"], bool) and 0 <= out["drift_share"] <= 1
    cols = {c["column"]: c for c in out["columns"]}
    assert set(cols["species"]) >= {"column", "kind", "method", "statistic", "p_value", "threshold", "drifted"}
    assert cols["species"]["drifted"] is True  # the file is sorted by species


def test_forecast_json(keel_home: Path) -> None:
    out = as_json(cli("forecast", str(DATA / "shop_sales.csv"), "--date", "date", "--value", "units_sold", "--id",
                      "product", "--horizon", "14", "--json", home=keel_home))
    assert out["frequency"].startswith("D")
    assert len(out["series"]) == 11
    series = out["series"][0]
    assert set(series) >= {"id", "model", "backtest", "forecast"}
    assert set(series["backtest"]) >= {"mae", "smape", "mase"}
    assert len(series["forecast"]) == 14
    first = series["forecast"][0]
    assert first["date"] == "2026-01-01" and first["lo"] <= first["yhat"] <= first["hi"]


def test_forecast_gap_handling_and_aggregation_flags(keel_home: Path, tmp_path: Path) -> None:
    days = pd.date_range("2024-01-01", periods=200, freq="D")
    sales = pd.DataFrame({"day": days, "units": np.arange(200) % 7 + 3}).drop(index=range(100, 110))
    path = tmp_path / "gappy.csv"
    sales.to_csv(path, index=False)
    zero = as_json(cli("forecast", str(path), "--date", "day", "--value", "units", "--horizon", "7", "--fill", "zero",
                       "--json", home=keel_home))
    missing = as_json(cli("forecast", str(path), "--date", "day", "--value", "units", "--horizon", "7", "--fill",
                          "missing", "--json", home=keel_home))
    said = {f["message"] for s in (zero, missing) for f in s["series"][0]["findings"] if f["code"] == "missing_periods"}
    assert any("counted as zero" in m for m in said) and any("left missing" in m for m in said)
    weekly = as_json(cli("forecast", str(path), "--date", "day", "--value", "units", "--horizon", "4", "--aggregate", "W",
                         "--json", home=keel_home))
    assert weekly["frequency"].startswith("W") and len(weekly["series"][0]["forecast"]) == 4


def test_forecast_one_series_per_pair_of_id_columns(keel_home: Path) -> None:
    out = as_json(cli("forecast", str(DATA / "shop_sales.csv"), "--date", "date", "--value", "units_sold", "--id",
                      "category,product", "--horizon", "3", "--json", home=keel_home))
    assert len(out["series"]) == 11 and "tea · Green tea 50 bags" in {s["id"] for s in out["series"]}


def test_forecast_a_wide_table_one_series_per_value_column(keel_home: Path, tmp_path: Path) -> None:
    months = pd.date_range("2020-01-01", periods=36, freq="MS")
    path = tmp_path / "wide.csv"
    pd.DataFrame({"month": months, "Apples": np.arange(36) % 12 + 40, "Pears": 7}).to_csv(path, index=False)
    out = as_json(cli("forecast", str(path), "--date", "month", "--value", "Apples,Pears", "--horizon", "6", "--json",
                      home=keel_home))
    assert [s["id"] for s in out["series"]] == ["Apples", "Pears"]
    assert out["series"][1]["forecast"][0]["yhat"] == 7


def test_a_yes_no_target_is_answered_in_the_files_own_words(keel_home: Path, tmp_path: Path) -> None:
    # Telco-style 'Churn: Yes/No': the model answers 'Yes'/'No', one proba_<class> per class as written,
    # and the output keeps the input's cells as they were (not true/false)
    rng = np.random.default_rng(3)
    n = 300
    tenure = rng.integers(1, 72, n)
    frame = pd.DataFrame({"customer": np.arange(5000, 5000 + n), "tenure": tenure,
                          "Partner": rng.choice(["Yes", "No"], n),
                          "Churn": np.where(tenure + rng.normal(0, 10, n) < 25, "Yes", "No")})
    path = tmp_path / "telco.csv"
    frame.to_csv(path, index=False)
    trained = as_json(cli("train", str(path), "--target", "Churn", "--exclude", "Partner", "--include", "customer",
                          "--time-budget", "30", "--json", home=keel_home))
    excluded = {x["column"] for x in trained["excluded"]}
    assert "Partner" in excluded and "customer" not in excluded
    out_csv = tmp_path / "scored.csv"
    as_json(cli("predict", str(trained["model"]["id"]), str(path), "--out", str(out_csv), "--json", home=keel_home))
    scored = pd.read_csv(out_csv, keep_default_na=False)
    assert list(scored.columns) == [*frame.columns, "prediction", "proba_No", "proba_Yes"]
    assert scored["Partner"].tolist() == frame["Partner"].tolist()
    assert scored["Churn"].tolist() == frame["Churn"].tolist()
    assert set(scored["prediction"]) <= {"Yes", "No"}
