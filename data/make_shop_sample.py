"""Make ``shop_calendar.csv``: a coffee-and-tea shop's daily sales that hold what a calendar, a planned
promotion and stock-outs do to a forecast (issue 17). A development tool; Keel only reads the CSV.

    .venv/bin/python data/make_shop_sample.py               # rewrite data/shop_calendar.csv
    .venv/bin/python data/make_shop_sample.py --out /tmp/x  # write it somewhere else

Synthetic, from a fixed seed: the same numpy and pandas versions write the same bytes.

* Six products in two categories (``coffee``, ``tea``), one row per product and day, 2024-01-01 to
  2025-12-31, then 31 rows per product for January 2026 with ``units_sold`` empty and the known columns
  (``price``, ``on_promotion``) filled in: the future a forecast with drivers reads.
* English public holidays: the shop is closed on Christmas Day and New Year's Day (every product sells
  0); on the other bank holidays it sells about 60 % of a usual day.
* Espresso beans sell about 2.2 x as much in December (presents and coffee at home over the holidays)
  and less in January: the month a forecast made on 31 December gets wrong unless it knows the year.
* House blend and Earl Grey run week-long promotions at 20 % off (about +70 % units); House blend has one
  planned for 12-18 January 2026.
* Green tea ran out of stock three times (``out_of_stock`` = 1): nothing sold, although people asked.
* ``case_pack``: how many units the supplier packs in a case (constant per product).
* A summer fair in the street on one Saturday each July: about +80 % for every product that day.

It also writes ``shop_calendar_events.csv``, the shop's own events in the format the Forecast page's
upload and ``forecast --events`` read (``date, event, before, after``): the fairs and the Christmas
shopping weeks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20260117
HERE = Path(__file__).resolve().parent
FILE = "shop_calendar.csv"
EVENTS_FILE = "shop_calendar_events.csv"
FAIRS = ("2024-07-13", "2025-07-12")  # the street's summer fair: +80 % that day
FAIR_LIFT = 1.8
EVENTS = (  # date, event, days before, days after
    ("2024-07-13", "Summer fair", 0, 0),
    ("2025-07-12", "Summer fair", 0, 0),
    ("2024-12-24", "Christmas shopping", 23, 7),
    ("2025-12-24", "Christmas shopping", 23, 7),
)
COLUMNS = ("date", "product", "category", "price", "on_promotion", "out_of_stock", "case_pack", "units_sold")
START, END, FUTURE_END = "2024-01-01", "2025-12-31", "2026-01-31"
CLOSED = ("12-25", "01-01")  # month-day: Christmas Day, New Year's Day
BANK_HOLIDAYS = (  # England's other bank holidays in the data (gov.uk), where sales are about 60 %
    "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-26",
    "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-26",
)  # fmt: skip
WEEKDAY = np.array([0.85, 0.82, 0.88, 0.95, 1.10, 1.35, 1.05])  # Monday..Sunday
# product, category, price, units a day, December lift, January dip, dispersion, case pack
PRODUCTS = (
    ("House blend 250g", "coffee", 6.50, 18.0, 0.25, 0.0, 30.0, 12),
    ("Espresso beans 1kg", "coffee", 24.00, 6.0, 1.2, 0.25, 25.0, 6),
    ("Decaf beans 250g", "coffee", 6.90, 4.0, 0.2, 0.0, 12.0, 12),
    ("Earl Grey 100 bags", "tea", 4.50, 9.0, 0.15, 0.0, 20.0, 24),
    ("Green tea 50 bags", "tea", 4.20, 6.0, 0.1, 0.0, 15.0, 24),
    ("Chai latte mix 500g", "tea", 7.80, 3.5, 0.4, 0.1, 10.0, 8),
)
PROMOTED = {"House blend 250g": 4, "Earl Grey 100 bags": 3}  # week-long promotions a year
PLANNED = ("House blend 250g", "2026-01-12", "2026-01-18")  # the promotion a forecast should know about
PROMO_LIFT = 1.7
STOCK_OUTS = (("Green tea 50 bags", "2024-09-09", "2024-09-14"), ("Green tea 50 bags", "2025-05-19", "2025-05-24"),
              ("Green tea 50 bags", "2025-10-27", "2025-10-30"))  # fmt: skip


def december(dates: pd.DatetimeIndex) -> np.ndarray:
    """0 before December, rising through it to 1 around the 20th and staying high to New Year's Eve."""
    day = np.asarray(dates.day, dtype=float)
    return np.where(dates.month == 12, np.clip((day + 4.0) / 24.0, 0.0, 1.0), 0.0)


def january(dates: pd.DatetimeIndex) -> np.ndarray:
    """1 in January, fading out over February (the after-Christmas slump)."""
    day = np.asarray(dates.day, dtype=float)
    return np.where(dates.month == 1, 1.0, np.where(dates.month == 2, np.clip(1.0 - day / 20.0, 0.0, 1.0), 0.0))


def promotions(rng: np.random.Generator, dates: pd.DatetimeIndex, weeks_a_year: int) -> np.ndarray:
    """Whole Monday-to-Sunday weeks on promotion, a few a year, never in December (the busy month)."""
    mondays = np.flatnonzero((dates.day_of_week == 0) & (dates.month != 12) & (dates.month != 11))
    chosen = rng.choice(mondays, size=2 * weeks_a_year, replace=False)
    flag = np.zeros(len(dates), dtype=bool)
    for start in chosen:
        flag[start : start + 7] = True
    return flag


def make_shop_calendar(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    past = pd.date_range(START, END, freq="D")
    future = pd.date_range(pd.Timestamp(END) + pd.Timedelta(days=1), FUTURE_END, freq="D")
    closed = past.strftime("%m-%d").isin(CLOSED)
    bank = past.isin(pd.to_datetime(BANK_HOLIDAYS))
    fair = past.isin(pd.to_datetime(FAIRS))
    frames = []
    for name, category, price, level, lift, dip, dispersion, pack in PRODUCTS:
        t = np.arange(len(past)) / 365.25
        mean = level * (1.0 + 0.06 * t) * WEEKDAY[np.asarray(past.day_of_week)]
        mean = mean * (1.0 + lift * december(past)) * (1.0 - dip * january(past))
        promo = promotions(rng, past, PROMOTED[name]) if name in PROMOTED else np.zeros(len(past), bool)
        mean = mean * np.where(promo, PROMO_LIFT, 1.0) * np.where(bank, 0.6, 1.0) * np.where(fair, FAIR_LIFT, 1.0)
        units = rng.negative_binomial(dispersion, dispersion / (dispersion + mean)).astype(float)
        units[closed] = 0
        out = np.zeros(len(past), dtype=int)
        for product, first, last in STOCK_OUTS:
            if product == name:
                out[(past >= first) & (past <= last)] = 1
        units[out == 1] = 0
        planned = (name == PLANNED[0]) & (future >= PLANNED[1]) & (future <= PLANNED[2])
        on_promo = np.r_[promo, planned].astype(int)
        frames.append(
            pd.DataFrame(
                {
                    "date": past.append(future).strftime("%Y-%m-%d"),
                    "product": name,
                    "category": category,
                    "price": [f"{p:.2f}" for p in np.where(on_promo == 1, round(price * 0.8, 2), price)],
                    "on_promotion": on_promo,
                    "out_of_stock": np.r_[out, np.zeros(len(future), dtype=int)],
                    "case_pack": pack,
                    "units_sold": pd.array(np.r_[units, np.full(len(future), np.nan)], dtype="Int64"),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["date", "product"], kind="stable").reset_index(drop=True)[list(COLUMNS)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write to (default: data/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / FILE
    make_shop_calendar().to_csv(path, index=False, lineterminator="\n")
    events = pd.DataFrame(list(EVENTS), columns=["date", "event", "before", "after"])
    events.to_csv(args.out / EVENTS_FILE, index=False, lineterminator="\n")
    print(f"{path}: {path.stat().st_size:,} bytes; {args.out / EVENTS_FILE}: {len(events)} events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
