"""Make Keel's sample data sets (a development tool; Keel itself only reads the committed CSVs).

    .venv/bin/python data/make_samples.py               # rewrite the CSVs in data/
    .venv/bin/python data/make_samples.py --out /tmp/x  # write them somewhere else

Two tables are synthetic and made here from a fixed seed, so the same versions of numpy and
pandas always write the same bytes:

* ``shop_sales.csv``     - daily unit sales of 11 products in a small coffee shop, 2024-2025.
* ``customer_churn.csv`` - 4,000 subscription customers and whether they left, with data
  problems planted on purpose for Keel's checks to find.

The third, ``penguins.csv``, is real: the Palmer penguins data (CC0), copied from the CSV that
ships inside the ``palmerpenguins`` package from PyPI. That package is only needed here, when
you regenerate the file; if it is not installed the committed copy is left as it is.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240101
HERE = Path(__file__).resolve().parent

SHOP_FILE = "shop_sales.csv"
CHURN_FILE = "customer_churn.csv"
PENGUINS_FILE = "penguins.csv"
SYNTHETIC_FILES = (SHOP_FILE, CHURN_FILE)

SHOP_COLUMNS = ("date", "product", "category", "price", "on_promotion", "units_sold")
CHURN_COLUMNS = (
    "customer_id",
    "email",
    "signup_date",
    "tenure_months",
    "age",
    "region",
    "country",
    "plan",
    "contract",
    "payment_method",
    "monthly_fee",
    "support_calls",
    "satisfaction_score",
    "last_login_days",
    "cancellation_date",
    "churned",
)
PENGUINS_COLUMNS = (
    "species",
    "island",
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
    "sex",
    "year",
)
# sha256 of data/penguins.csv inside palmerpenguins 0.1.6 (the file this script copies).
PENGUINS_SOURCE_SHA256 = "f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93"

# --------------------------------------------------------------------------------------------
# Shop sales
# --------------------------------------------------------------------------------------------

SHOP_START = "2024-01-01"
SHOP_END = "2025-12-31"
PRICE_RISE = pd.Timestamp("2025-03-01")  # coffee got dearer: coffee prices go up 8% that day
CLOSED_DAYS = ("2024-12-25", "2025-12-25")  # the shop is shut on Christmas Day: zero sales
STOCK_OUT = ("Green tea 50 bags", "2025-08-11", "2025-08-24")  # supplier failed: nothing to sell
# Units sold relative to an average day, Monday..Sunday: the weekend is busiest.
WEEKDAY = np.array([0.82, 0.80, 0.85, 0.92, 1.08, 1.45, 1.28])

# name, category, price in 2024, mean units a day at the start, growth a year (x1.25 = +25%),
# yearly swing (0.7 = +-70%), day of year of the yearly peak, extra December gift lift,
# dispersion (smaller = noisier), launch date (None = sold from the start)
PRODUCTS: tuple[tuple, ...] = (
    ("House blend 250g", "coffee", 6.50, 20.0, 1.08, 0.08, 15, 0.5, 25.0, None),
    ("Espresso beans 1kg", "coffee", 24.00, 5.5, 1.00, 0.10, 15, 0.9, 12.0, None),
    ("Decaf beans 250g", "coffee", 6.90, 3.6, 0.70, 0.05, 15, 0.3, 8.0, None),
    ("Cold brew 1L", "coffee", 7.50, 5.0, 1.00, 0.45, 200, 0.0, 10.0, "2025-06-02"),
    ("Oat milk 1L", "milk", 2.20, 6.0, 1.70, 0.05, 15, 0.2, 15.0, None),
    ("Hot chocolate 500g", "drinks", 5.50, 4.5, 1.00, 0.70, 10, 0.6, 10.0, None),
    ("Iced tea 330ml", "drinks", 1.80, 8.0, 1.05, 0.75, 200, 0.0, 10.0, None),
    ("Green tea 50 bags", "tea", 4.20, 4.0, 1.00, 0.10, 30, 0.2, 10.0, None),
    ("Paper filters x100", "accessories", 3.00, 2.5, 1.00, 0.05, 15, 0.1, 6.0, None),
    ("Ceramic mug", "accessories", 12.00, 0.35, 1.00, 0.10, 15, 2.5, 1.0, None),
    ("Gift box", "gifts", 35.00, 0.5, 1.00, 0.0, 15, 8.0, 1.5, None),
)


def _december_lift(day_of_year: np.ndarray) -> np.ndarray:
    """0 most of the year, rising to 1 around 20 December (the gift-buying rush)."""
    return np.exp(-(((day_of_year - 354.0) / 9.0) ** 2))


def _promotion_days(rng: np.random.Generator, dates: pd.DatetimeIndex, weeks_a_year: int) -> np.ndarray:
    """Mark whole Monday-to-Sunday weeks as on promotion, a few a year, never in the last fortnight."""
    mondays = np.flatnonzero((dates.day_of_week == 0) & (dates <= dates[-1] - pd.Timedelta(days=14)))
    years = len(dates) / 365.0
    chosen = rng.choice(mondays, size=int(round(weeks_a_year * years)), replace=False)
    flag = np.zeros(len(dates), dtype=bool)
    for start in chosen:
        flag[start : start + 7] = True
    return flag


def make_shop_sales(seed: int = SEED) -> pd.DataFrame:
    """Daily unit sales per product for a small coffee shop (long format, one row a product-day)."""
    rng = np.random.default_rng([seed, 1])
    all_dates = pd.date_range(SHOP_START, SHOP_END, freq="D")
    frames = []
    for name, category, price, level, growth, swing, peak, xmas, dispersion, launch in PRODUCTS:
        dates = all_dates if launch is None else all_dates[all_dates >= pd.Timestamp(launch)]
        n = len(dates)
        years_in = np.asarray((dates - all_dates[0]).days, dtype=float) / 365.25
        day_of_year = np.asarray(dates.day_of_year, dtype=float)
        mean = level * growth**years_in
        mean = mean * WEEKDAY[np.asarray(dates.day_of_week)]
        mean = mean * (1.0 + swing * np.cos(2.0 * np.pi * (day_of_year - peak) / 365.25))
        mean = mean * (1.0 + xmas * _december_lift(day_of_year))
        if launch is not None:  # word gets round: sales build up over the first weeks
            days_on_sale = np.arange(n, dtype=float)
            mean = mean * (0.25 + 0.75 * (1.0 - np.exp(-days_on_sale / 35.0)))
        on_promotion = _promotion_days(rng, dates, weeks_a_year=3) if level >= 1.0 else np.zeros(n, bool)
        mean = mean * np.where(on_promotion, 1.6, 1.0)
        # Negative binomial counts: Poisson noise plus day-to-day variation in demand.
        units = rng.negative_binomial(dispersion, dispersion / (dispersion + mean))

        shelf_price = np.where(
            (category == "coffee") & (dates >= PRICE_RISE), round(price * 1.08, 1) - 0.01, price
        )
        shelf_price = np.where(on_promotion, np.round(shelf_price * 0.8, 2), shelf_price)

        closed = dates.isin(pd.to_datetime(CLOSED_DAYS))
        if name == STOCK_OUT[0]:
            closed = closed | ((dates >= STOCK_OUT[1]) & (dates <= STOCK_OUT[2]))
        units = np.where(closed, 0, units)
        frames.append(
            pd.DataFrame(
                {
                    "date": dates.strftime("%Y-%m-%d"),
                    "product": name,
                    "category": category,
                    "price": [f"{p:.2f}" for p in shelf_price],  # money: always 2 decimals
                    "on_promotion": on_promotion.astype(int),
                    "units_sold": units.astype(int),
                }
            )
        )
    order = {name: i for i, name in enumerate(p[0] for p in PRODUCTS)}
    sales = pd.concat(frames, ignore_index=True)
    sales = sales.sort_values(["date", "product"], key=lambda s: s.map(order) if s.name == "product" else s)
    return sales.reset_index(drop=True)[list(SHOP_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Customer churn
# --------------------------------------------------------------------------------------------

CHURN_ROWS = 4000
CHURN_DUPLICATES = 20
SNAPSHOT = pd.Timestamp("2025-09-30")  # features are as of this day; churn = left by 2025-12-31
FIRST_NAMES = (
    "alex", "sam", "jo", "chris", "maria", "li", "amir", "fatima", "olu", "nina", "tom", "ana",
    "raj", "mei", "sofia", "lucas", "emma", "noah", "ivy", "omar", "zoe", "kai", "leila", "ben",
)  # fmt: skip
LAST_NAMES = (
    "smith", "jones", "patel", "khan", "garcia", "chen", "nguyen", "okafor", "brown", "wilson",
    "silva", "murphy", "kowalski", "hansen", "rossi", "kim", "taylor", "evans", "ali", "novak",
)  # fmt: skip


def _months_between(start: pd.DatetimeIndex, end: pd.Timestamp) -> np.ndarray:
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return np.asarray(months - (start.day > end.day), dtype=int)


def make_customer_churn(seed: int = SEED) -> pd.DataFrame:
    """Subscription customers, whether they churned, and some deliberate data problems."""
    rng = np.random.default_rng([seed, 2])
    n = CHURN_ROWS

    codes = rng.choice(np.arange(1, 1_000_000), size=n, replace=False)
    customer_id = np.array([f"C-{c:06d}" for c in codes])

    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    domain = rng.choice(["example.com", "example.org"], n, p=[0.7, 0.3])
    style = rng.random(n)
    email = np.array(
        [
            f"{f}.{la}{c % 1000}@{d}" if s < 0.6 else f"{f[0]}{la}{c % 10000}@{d}"
            for f, la, d, s, c in zip(first, last, domain, style, codes, strict=True)
        ]
    )

    first_day, last_day = pd.Timestamp("2019-01-01"), pd.Timestamp("2025-08-31")
    span = (last_day - first_day).days
    # More recent sign-ups are more common (the business grew).
    offsets = np.floor(span * rng.beta(1.6, 1.0, n)).astype(int)
    signup = first_day + pd.to_timedelta(offsets, unit="D")
    tenure = _months_between(pd.DatetimeIndex(signup), SNAPSHOT)

    age = np.clip(np.round(rng.normal(43, 14, n)), 18, 88).astype(float)
    region = rng.choice(["North", "South", "East", "West", "Central"], n, p=[0.22, 0.26, 0.18, 0.2, 0.14])
    plan = rng.choice(["basic", "standard", "premium"], n, p=[0.45, 0.38, 0.17])
    # Long-standing customers are more likely to have moved to a longer contract.
    p_long = 1.0 / (1.0 + np.exp(-(tenure - 30) / 14.0))
    contract = np.where(
        rng.random(n) < 0.75 - 0.45 * p_long,
        "month-to-month",
        np.where(rng.random(n) < 0.55, "one year", "two year"),
    )
    payment = rng.choice(
        ["direct debit", "credit card", "bank transfer", "invoice"], n, p=[0.42, 0.3, 0.16, 0.12]
    )
    base_fee = pd.Series(plan).map({"basic": 19.0, "standard": 35.0, "premium": 59.0}).to_numpy()
    discount = pd.Series(contract).map({"month-to-month": 1.0, "one year": 0.9, "two year": 0.8}).to_numpy()
    monthly_fee = np.round(base_fee * discount + rng.normal(0, 3.0, n), 2)

    support_calls = rng.poisson(0.6 + 0.9 * (plan == "basic") + 0.02 * np.maximum(60 - age, 0), n)
    login_scale = np.where(contract == "month-to-month", 12.0, 7.0)
    last_login_days = np.round(rng.gamma(1.3, login_scale, n)).astype(int)
    # A 1-5 rating from the survey sent after each support call; fewer calls = happier, roughly.
    satisfaction = np.clip(np.round(rng.normal(3.9 - 0.35 * support_calls, 1.0, n)), 1, 5)

    logit = (
        -1.95
        + 1.25 * (contract == "month-to-month")
        - 0.6 * (contract == "two year")
        + 0.28 * support_calls
        - 0.018 * tenure
        + 0.022 * (monthly_fee - 35.0)
        + 0.035 * last_login_days
        + 0.45 * (payment == "invoice")
        - 0.25 * (payment == "direct debit")
        - 0.35 * (satisfaction - 3.0)
        - 0.012 * (age - 43.0)
        + 0.2 * (region == "Central")
    )
    churn = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))

    # The leak: a cancellation date exists only for customers who left (in the 3 months after
    # the snapshot) - a model that sees it "predicts" churn perfectly and is useless in practice.
    cancel_days = rng.integers(1, 93, n)
    cancellation = np.where(
        churn, (SNAPSHOT + pd.to_timedelta(cancel_days, unit="D")).strftime("%Y-%m-%d"), ""
    )

    table = pd.DataFrame(
        {
            "customer_id": customer_id,
            "email": email,
            "signup_date": pd.DatetimeIndex(signup).strftime("%Y-%m-%d"),
            "tenure_months": tenure,
            "age": age,
            "region": region,
            "country": "United Kingdom",  # constant column: tells a model nothing
            "plan": plan,
            "contract": contract,
            "payment_method": payment,
            "monthly_fee": monthly_fee,
            "support_calls": support_calls,
            "satisfaction_score": satisfaction,
            "last_login_days": last_login_days,
            "cancellation_date": cancellation,
            "churned": np.where(churn, "yes", "no"),
        }
    )
    # Missing values, depending on another column: only customers who called support got the
    # satisfaction survey, and only about 55% of those answered.
    answered = (support_calls > 0) & (rng.random(n) < 0.55)
    table.loc[~answered, "satisfaction_score"] = np.nan
    # Missing completely at random: age was optional on the sign-up form (about 6% left it out).
    table.loc[rng.random(n) < 0.06, "age"] = np.nan
    # Outliers: typing mistakes.
    table.loc[int(rng.integers(0, n)), "age"] = 999.0  # a placeholder someone typed for "unknown"
    table.loc[int(rng.integers(0, n)), "monthly_fee"] = 3500.0  # a decimal point dropped
    # Exact duplicate rows: the same export appended twice for a few customers.
    dupes = table.iloc[rng.choice(n, CHURN_DUPLICATES, replace=False)]
    table = pd.concat([table, dupes], ignore_index=True)
    table = table.iloc[rng.permutation(len(table))].reset_index(drop=True)
    table["monthly_fee"] = [f"{fee:.2f}" for fee in table["monthly_fee"]]
    table["age"] = table["age"].astype("Int64")
    table["satisfaction_score"] = table["satisfaction_score"].astype("Int64")
    return table[list(CHURN_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Palmer penguins (real data, CC0)
# --------------------------------------------------------------------------------------------


def penguins_source() -> bytes | None:
    """The penguins CSV shipped inside the palmerpenguins package, or None if it isn't installed."""
    try:
        from importlib.resources import files

        return (files("palmerpenguins") / "data" / "penguins.csv").read_bytes()
    except (ImportError, FileNotFoundError):
        return None


def make_penguins(raw: bytes) -> pd.DataFrame:
    """Tidy the package's CSV: same columns and rows, whole numbers written as whole numbers."""
    table = pd.read_csv(StringIO(raw.decode("utf-8")), na_values=["NA"], keep_default_na=False)
    for column in ("flipper_length_mm", "body_mass_g", "year"):
        table[column] = table[column].astype("Int64")
    return table[list(PENGUINS_COLUMNS)]


# --------------------------------------------------------------------------------------------


def write_csv(table: pd.DataFrame, path: Path) -> None:
    path.write_text(table.to_csv(index=False, lineterminator="\n"), encoding="utf-8", newline="")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write the CSVs into (default: data/)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED}; change it only on purpose)")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    write_csv(make_shop_sales(args.seed), out / SHOP_FILE)
    write_csv(make_customer_churn(args.seed), out / CHURN_FILE)
    print(f"wrote {out / SHOP_FILE}\nwrote {out / CHURN_FILE}")

    raw = penguins_source()
    if raw is None:
        print(f"skipped {PENGUINS_FILE}: the palmerpenguins package is not installed", file=sys.stderr)
        return 0
    digest = hashlib.sha256(raw).hexdigest()
    if digest != PENGUINS_SOURCE_SHA256:
        print(
            f"note: palmerpenguins ships a different penguins.csv (sha256 {digest[:12]}...) than 0.1.6;"
            " check the differences before committing",
            file=sys.stderr,
        )
    write_csv(make_penguins(raw), out / PENGUINS_FILE)
    print(f"wrote {out / PENGUINS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
