"""What the Forecast page offers about what the shop knows (issue 17), so that it asks only questions
:func:`core.forecasting.forecast` can answer: the countries and regions the ``holidays`` package knows,
the columns that can be drivers or a stock-out mark, and how far ahead each driver is filled in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from core.forecasting.drivers import FALSE_WORDS, TRUE_WORDS, numeric_driver, split_future
from core.forecasting.timeseries import parse_dates, series_key


@lru_cache(maxsize=1)
def holiday_countries() -> tuple[tuple[str, str], ...]:
    """(ISO code, name) of every country with public holidays, by name: ('GB', 'United Kingdom')."""
    import importlib

    from holidays.registry import COUNTRIES

    out = {}
    for module, (class_name, code, *_) in COUNTRIES.items():
        cls = getattr(importlib.import_module(f"holidays.countries.{module}"), class_name, None)
        doc = (getattr(cls, "__doc__", None) or "").strip().splitlines()
        name = doc[0].removesuffix(".").removesuffix(" holidays").removesuffix(" (the)").strip() if doc else ""
        out[code] = name or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)
    return tuple(sorted(out.items(), key=lambda item: _plain(item[1])))


def _plain(name: str) -> str:
    """A name as it sorts in a list: 'Åland Islands' with the A's."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


@lru_cache(maxsize=64)
def holiday_regions(country: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of a country's regions with their own holidays ('ENG', 'England'); none: ()."""
    import holidays

    try:
        cal = holidays.country_holidays(country.upper())
    except NotImplementedError:
        return ()
    names = {code: name for name, code in (getattr(cal, "subdivisions_aliases", None) or {}).items()}
    return tuple((code, names.get(code, code)) for code in cal.subdivisions)


@dataclass(frozen=True)
class KnownColumns:
    """The columns of a table that can tell a forecast what is known: ``drivers`` (numbers or yes/no that
    change within a series), ``stock_marks`` (0/1 columns, for the days without stock) and ``families``
    (columns of words that group the products: each product in one group, fewer groups than products)."""

    drivers: tuple[str, ...]
    stock_marks: tuple[str, ...]
    families: tuple[str, ...] = ()


def known_columns(frame: pd.DataFrame, date: str, value: str, id: str | Sequence[str] | None) -> KnownColumns:
    """The columns other than the date, the value and the ids that could be drivers or a stock-out mark."""
    ids = [] if id is None else [id] if isinstance(id, str) else list(id)
    taken = {date, value, *ids}
    keyed, key = series_key(frame, ids or None)
    groups = keyed[key].astype("string").fillna("") if key else pd.Series("", index=frame.index)
    drivers, marks, families = [], [], []
    for col in frame.columns:
        if col in taken:
            continue
        raw = frame[col]
        text = raw.dropna().astype("string").str.strip().str.lower()
        if len(text) and text.isin(TRUE_WORDS | FALSE_WORDS).all():
            marks.append(str(col))
        try:
            num = numeric_driver(raw, str(col))
        except ValueError:  # words: not a driver, perhaps a family
            if len(ids) == 1 and _groups_products(raw, groups):
                families.append(str(col))
            continue
        if num.notna().any() and (num.groupby(groups.to_numpy()).nunique() > 1).any():
            drivers.append(str(col))
    return KnownColumns(tuple(drivers), tuple(marks), tuple(families))


def _groups_products(column: pd.Series, products: pd.Series) -> bool:
    """Does a column of words put every product in one group, with at least two groups and fewer groups
    than products (a category, a store)?"""
    pairs = pd.DataFrame({"p": products.to_numpy(), "f": column.astype("string").to_numpy()}).dropna()
    per_product = pairs.groupby("p")["f"].nunique()
    n_groups = pairs["f"].nunique()
    return bool(len(per_product) and (per_product == 1).all() and 2 <= n_groups < len(per_product))


def driver_days_ahead(
    frame: pd.DataFrame, date: str, value: str, id: str | Sequence[str] | None, drivers: Sequence[str]
) -> dict[str, int]:
    """For each driver, on how many dates after the last sale it is filled in (the fewest over the series;
    0: no future values). The rows after a series' last value, with the value empty, are the future."""
    history, future = split_future(frame, date, value, id)
    if future.empty:
        return {d: 0 for d in drivers}
    past, key = series_key(history, id)
    everyone = set(past[key].astype("string").fillna("(blank)")) if key else {""}
    ahead, key = series_key(future, id)
    groups = ahead[key].astype("string").fillna("(blank)").to_numpy() if key else pd.Series("", index=ahead.index)
    dates, _ = parse_dates(ahead[date], date)
    out = {}
    for d in drivers:
        filled = (ahead[d].notna() & (ahead[d].astype("string").str.strip() != "")).to_numpy()
        per = dates[filled].groupby(pd.Series(groups)[filled].to_numpy()).nunique()
        out[d] = int(min(per.get(g, 0) for g in everyone)) if everyone else 0
    return out
