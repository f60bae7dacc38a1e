"""The sample data in data/: present, readable, as documented, and reproducible from its seed."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
MAX_BYTES = 1_500_000


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", DATA / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def shop() -> pd.DataFrame:
    return pd.read_csv(DATA / gen.SHOP_FILE, parse_dates=["date"])


@pytest.fixture(scope="module")
def churn() -> pd.DataFrame:
    return pd.read_csv(DATA / gen.CHURN_FILE)


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    return pd.read_csv(DATA / gen.PENGUINS_FILE)


@pytest.mark.parametrize(
    ("name", "shape", "columns"),
    [
        pytest.param(gen.SHOP_FILE, (7523, 6), gen.SHOP_COLUMNS, id="shop_sales"),
        pytest.param(gen.CHURN_FILE, (4020, 16), gen.CHURN_COLUMNS, id="customer_churn"),
        pytest.param(gen.PENGUINS_FILE, (344, 8), gen.PENGUINS_COLUMNS, id="penguins"),
        pytest.param(
            "shop_calendar.csv",
            (4572, 8),
            ("date", "product", "category", "price", "on_promotion", "out_of_stock", "case_pack", "units_sold"),
            id="shop_calendar",
        ),
    ],
)
def test_committed_csv_is_small_and_has_documented_shape(name: str, shape: tuple, columns: tuple) -> None:
    path = DATA / name
    assert path.stat().st_size < MAX_BYTES
    table = pd.read_csv(path)
    assert table.shape == shape
    assert tuple(table.columns) == columns
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert f"`{name}`" in readme
    for column in columns:
        assert f"`{column}`" in readme, f"{name}: column {column!r} is not described in data/README.md"


def test_generator_reproduces_synthetic_files_byte_for_byte(tmp_path: Path) -> None:
    assert gen.main(["--out", str(tmp_path)]) == 0
    for name in gen.SYNTHETIC_FILES:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), f"{name} differs from its generator"
    if gen.penguins_source() is not None:  # only where palmerpenguins is installed
        assert (tmp_path / gen.PENGUINS_FILE).read_bytes() == (DATA / gen.PENGUINS_FILE).read_bytes()


def test_another_seed_gives_other_data() -> None:
    a = gen.make_shop_sales(seed=1)
    b = gen.make_shop_sales(seed=2)
    assert list(a.columns) == list(b.columns)
    assert not a["units_sold"].equals(b["units_sold"])


# ---- shop_sales ---------------------------------------------------------------------------


def test_shop_sales_covers_two_years_of_eleven_products(shop: pd.DataFrame) -> None:
    assert shop["date"].min() == pd.Timestamp("2024-01-01")
    assert shop["date"].max() == pd.Timestamp("2025-12-31")
    assert shop["product"].nunique() == 11
    assert not shop.duplicated(["date", "product"]).any()
    assert shop["units_sold"].dtype.kind == "i" and (shop["units_sold"] >= 0).all()
    assert set(shop["on_promotion"].unique()) == {0, 1}
    assert shop.notna().all().all()


def test_shop_sales_has_a_late_launch_with_short_history(shop: pd.DataFrame) -> None:
    first = shop.groupby("product")["date"].min()
    assert first["Cold brew 1L"] == pd.Timestamp("2025-06-02")
    assert (first.drop("Cold brew 1L") == pd.Timestamp("2024-01-01")).all()
    assert (shop["product"] == "Cold brew 1L").sum() == 213


def test_shop_sales_weekends_are_busiest(shop: pd.DataFrame) -> None:
    by_day = shop.groupby(shop["date"].dt.day_of_week)["units_sold"].mean()
    assert by_day[5] > 1.3 * by_day[[0, 1, 2, 3]].mean()  # Saturday vs Monday-Thursday


def test_shop_sales_yearly_patterns_and_trends(shop: pd.DataFrame) -> None:
    month = shop["date"].dt.month
    year = shop["date"].dt.year

    def mean_units(product: str, mask: pd.Series) -> float:
        return float(shop.loc[(shop["product"] == product) & mask, "units_sold"].mean())

    winter, summer = month.isin([12, 1, 2]), month.isin([6, 7, 8])
    assert mean_units("Hot chocolate 500g", winter) > 3 * mean_units("Hot chocolate 500g", summer)
    assert mean_units("Iced tea 330ml", summer) > 3 * mean_units("Iced tea 330ml", winter)
    assert mean_units("Gift box", month == 12) > 3 * mean_units("Gift box", month != 12)
    assert mean_units("Oat milk 1L", year == 2025) > 1.3 * mean_units("Oat milk 1L", year == 2024)
    assert mean_units("Decaf beans 250g", year == 2025) < 0.85 * mean_units("Decaf beans 250g", year == 2024)


def test_shop_sales_zeros_stock_out_and_closed_days(shop: pd.DataFrame) -> None:
    zero_share = shop.assign(zero=shop["units_sold"] == 0).groupby("product")["zero"].mean()
    assert zero_share["Ceramic mug"] > 0.5
    assert zero_share["House blend 250g"] < 0.02
    green_tea = shop[shop["product"] == "Green tea 50 bags"].set_index("date")["units_sold"]
    assert (green_tea["2025-08-11":"2025-08-24"] == 0).all()
    assert len(green_tea["2025-08-11":"2025-08-24"]) == 14
    assert (shop.loc[shop["date"].isin(["2024-12-25", "2025-12-25"]), "units_sold"] == 0).all()


def test_shop_sales_promotions_cut_the_price(shop: pd.DataFrame) -> None:
    blend = shop[shop["product"] == "House blend 250g"]
    assert blend.loc[blend["on_promotion"] == 1, "price"].max() < blend.loc[blend["on_promotion"] == 0, "price"].min()
    assert set(blend.loc[blend["on_promotion"] == 0, "price"]) == {6.50, 6.99}


# ---- customer_churn -----------------------------------------------------------------------


def test_churn_target_is_yes_no_with_a_quarter_yes(churn: pd.DataFrame) -> None:
    assert set(churn["churned"]) == {"yes", "no"}
    assert 0.20 <= (churn["churned"] == "yes").mean() <= 0.27


def test_churn_planted_problems_are_there(churn: pd.DataFrame) -> None:
    # exact duplicates, and otherwise one row per customer with a C-123456 style code
    assert churn.duplicated().sum() == gen.CHURN_DUPLICATES
    assert churn["customer_id"].nunique() == gen.CHURN_ROWS
    assert churn["customer_id"].str.fullmatch(r"C-\d{6}").all()
    # fake e-mail addresses on reserved example domains only
    domains = churn["email"].str.extract(r"@(.+)$")[0]
    assert set(domains) == {"example.com", "example.org"}
    # the leak: a cancellation date exactly when churned
    assert (churn["cancellation_date"].notna() == (churn["churned"] == "yes")).all()
    # missing values: satisfaction depends on support calls, age at random
    satisfaction_missing = churn["satisfaction_score"].isna()
    assert satisfaction_missing[churn["support_calls"] == 0].all()
    assert 0.3 < satisfaction_missing[churn["support_calls"] > 0].mean() < 0.6
    assert 0.04 < churn["age"].isna().mean() < 0.09
    # a constant column and two impossible values
    assert churn["country"].nunique() == 1
    assert (churn["age"] == 999).sum() >= 1 and churn["age"].drop_duplicates().nlargest(2).iloc[1] < 100
    assert churn["monthly_fee"].max() == 3500.0 and churn["monthly_fee"].drop_duplicates().nlargest(2).iloc[1] < 100


def test_churn_dates_and_counts_are_consistent(churn: pd.DataFrame) -> None:
    signup = pd.to_datetime(churn["signup_date"], format="%Y-%m-%d")
    assert signup.max() < gen.SNAPSHOT
    months = (gen.SNAPSHOT.year - signup.dt.year) * 12 + (gen.SNAPSHOT.month - signup.dt.month)
    assert ((months - churn["tenure_months"]).isin([0, 1])).all()
    cancelled = pd.to_datetime(churn["cancellation_date"].dropna(), format="%Y-%m-%d")
    assert cancelled.min() > gen.SNAPSHOT and cancelled.max() <= pd.Timestamp("2025-12-31")
    for column in ("tenure_months", "support_calls", "last_login_days"):
        assert churn[column].dtype.kind == "i" and (churn[column] >= 0).all()
    assert set(churn["satisfaction_score"].dropna()) <= {1, 2, 3, 4, 5}


def test_churn_features_carry_signal_without_the_leak(churn: pd.DataFrame) -> None:
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = churn.drop(columns=["churned", "cancellation_date", "customer_id", "email", "signup_date", "country"])
    target = (churn["churned"] == "yes").astype(int)
    prepare = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), make_column_selector(dtype_include="number")),
        (
            make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
            make_column_selector(dtype_exclude="number"),
        ),
    )
    model = make_pipeline(prepare, LogisticRegression(max_iter=1000))
    auc = cross_val_score(model, features, target, cv=StratifiedKFold(3, shuffle=True, random_state=0), scoring="roc_auc")
    assert 0.75 <= float(np.mean(auc)) <= 0.85


# ---- penguins -----------------------------------------------------------------------------


def test_penguins_has_three_readable_species_and_real_gaps(penguins: pd.DataFrame) -> None:
    assert penguins["species"].value_counts().to_dict() == {"Adelie": 152, "Gentoo": 124, "Chinstrap": 68}
    assert set(penguins["island"]) == {"Biscoe", "Dream", "Torgersen"}
    assert penguins["sex"].isna().sum() == 11
    assert penguins["body_mass_g"].isna().sum() == 2
    assert set(penguins["year"]) == {2007, 2008, 2009}
    assert penguins["body_mass_g"].dropna().between(2500, 6500).all()


def test_penguins_tidy_step_keeps_rows_and_writes_whole_numbers() -> None:
    raw = (
        b"species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\n"
        b"Adelie,Torgersen,39.1,18.7,181,3750,male,2007\n"
        b"Adelie,Torgersen,NA,NA,NA,NA,NA,2007\n"
    )
    text = gen.make_penguins(raw).to_csv(index=False, lineterminator="\n")
    assert text.splitlines()[1:] == ["Adelie,Torgersen,39.1,18.7,181,3750,male,2007", "Adelie,Torgersen,,,,,,2007"]
