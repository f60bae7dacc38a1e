"""How each product is ordered: case pack, minimum order, lead time and its variability, stock on hand and on
order, read from a small settings table or from columns of the forecast's own table.

Two sources, one function (:func:`read_order_settings`):

- a **settings table**: a ``product`` column naming the forecast's series (its id, or for a table with one
  series the forecast column's name) and any of the columns in :data:`SETTING_COLUMNS`; a product given twice
  must have the same values;
- the **forecast's table** (``id`` given: the column(s) naming each product): each product's last non-empty
  value of each of those columns (the shop sample's ``case_pack``; a ``on_hand`` column read on the last day).

Column names are matched loosely ('Case pack', 'case-pack', 'MOQ', 'in stock now'). Empty cells mean "not
set": the order list then uses the page's (or the command line's) value for all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import pandas as pd

from core.errors import InputError
from core.forecasting.results import ForecastResult
from core.forecasting.timeseries import series_key
from core.vocab import number

#: The settings a product can have, as columns of a settings table or of the forecast's table.
SETTING_COLUMNS = ("case_pack", "min_order", "lead_time", "lead_time_sd", "on_hand", "on_order")

#: Other names people give these columns (after lower-casing, spaces and dashes as underscores).
ALIASES = {
    "pack_size": "case_pack",
    "units_per_case": "case_pack",
    "case_size": "case_pack",
    "moq": "min_order",
    "minimum_order": "min_order",
    "min_order_quantity": "min_order",
    "minimum_order_quantity": "min_order",
    "lead_time_variability": "lead_time_sd",
    "lead_time_std": "lead_time_sd",
    "in_stock": "on_hand",
    "in_stock_now": "on_hand",
    "stock_on_hand": "on_hand",
    "stock_on_order": "on_order",
}

#: What each setting is called in messages.
WORDS = {
    "case_pack": "case pack",
    "min_order": "minimum order",
    "lead_time": "lead time",
    "lead_time_sd": "lead-time variability",
    "on_hand": "stock on hand",
    "on_order": "stock on order",
}


@dataclass(frozen=True)
class OrderSettings:
    """One product's order settings; None = not set (the order list's value for all applies)."""

    case_pack: int | None = None  # units per case: orders are whole cases
    min_order: float | None = None  # the supplier's minimum order, in units
    lead_time: float | None = None  # periods a delivery takes (overrides the one for all)
    lead_time_sd: float | None = None  # its standard deviation, in periods
    on_hand: float | None = None  # in stock now
    on_order: float | None = None  # ordered, not yet arrived

    def given(self) -> dict[str, Any]:
        """The settings that are set, by column name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class SettingsRead:
    """What :func:`read_order_settings` found: settings per series id, the columns it read, and notes."""

    settings: dict[str | None, OrderSettings]
    columns: tuple[str, ...]  # the setting columns found, in SETTING_COLUMNS order
    notes: tuple[str, ...] = ()

    def sentence(self, where: str) -> str | None:
        """'Case pack and lead time per product from <where> (6 products).' or None when nothing was read."""
        if not self.columns or not self.settings:
            return None
        names = [WORDS[c] for c in self.columns]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        n = len(self.settings)
        return f"{listed[0].upper()}{listed[1:]} per product from {where} ({n} product{'' if n == 1 else 's'})."


def setting_columns(table: pd.DataFrame) -> dict[str, str]:
    """The table's columns that hold order settings: {setting: the table's column name}."""
    found: dict[str, str] = {}
    for col in table.columns:
        key = re.sub(r"[\s\-]+", "_", str(col).strip().lower())
        key = ALIASES.get(key, key)
        if key in SETTING_COLUMNS and key not in found:
            found[key] = str(col)
    return {k: found[k] for k in SETTING_COLUMNS if k in found}


def read_order_settings(
    table: pd.DataFrame,
    result: ForecastResult,
    id: str | Sequence[str] | None = None,
    where: str = "the order settings",
    history: bool = False,
) -> SettingsRead:
    """Per-product order settings for the series of ``result``.

    ``id`` None: ``table`` is a settings table (a ``product`` column, any of :data:`SETTING_COLUMNS`).
    ``id`` given, or ``history``: ``table`` is the forecast's own table and ``id`` its product column(s); each
    product's last non-empty value of each setting column is used (a table with one series: the column's last
    value).
    ``where`` names the table in messages. InputError for values that cannot be a setting (a case pack of 0,
    a negative lead time, text where a number belongs), naming the product and the column.
    """
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{where.capitalize()} is not a table.", "Give a CSV or Excel file with a product column.")
    cols = setting_columns(table)
    labels = {
        (str(s.id) if s.id is not None else label): s.id for s, label in zip(result.series, result.series_labels())
    }
    if not cols:
        return SettingsRead({}, ())
    if history or id is not None or _product_column(table) is None:
        return _from_history(table, result, id, cols, labels, where)
    return _from_settings(table, cols, labels, where)


def _product_column(table: pd.DataFrame) -> str | None:
    for col in table.columns:
        if str(col).strip().lower() in ("product", "products", "item", "sku", "series"):
            return str(col)
    return None


def _from_settings(table: pd.DataFrame, cols: dict[str, str], labels: dict[str, Any], where: str) -> SettingsRead:
    pcol = _product_column(table)
    assert pcol is not None
    lower = {k.lower(): k for k in labels}
    out: dict[str | None, OrderSettings] = {}
    seen: dict[str, OrderSettings] = {}
    unknown: list[str] = []
    for i in range(len(table)):
        raw = table[pcol].iloc[i]
        if pd.isna(raw) or not str(raw).strip():
            continue
        name = str(raw).strip()
        name = name[:-2] if name.endswith(".0") and name[:-2] in labels else name  # ids read as numbers
        key = name if name in labels else lower.get(name.lower())
        values = {k: table[c].iloc[i] for k, c in cols.items()}
        got = _settings(name, values, where)
        if key is None:
            unknown.append(name)
            continue
        if key in seen and seen[key] != got:
            diff = next(k for k in SETTING_COLUMNS if getattr(seen[key], k) != getattr(got, k))
            raise InputError(
                f"'{name}' is in {where} twice with different values of '{cols[diff]}' "
                f"({_show(getattr(seen[key], diff))} and {_show(getattr(got, diff))}).",
                "Keep one row per product, or give both rows the same values.",
            )
        seen[key] = got
        out[labels[key]] = got
    notes = []
    if unknown:
        shown = ", ".join(f"'{u}'" for u in list(dict.fromkeys(unknown))[:5])
        more = len(set(unknown)) - 5
        notes.append(
            f"{len(set(unknown))} product(s) in {where} are not in this forecast, so their settings were not used: "
            f"{shown}{f' and {more} more' if more > 0 else ''}."
        )
    return SettingsRead(out, tuple(cols), tuple(notes))


def _from_history(
    table: pd.DataFrame,
    result: ForecastResult,
    id: str | Sequence[str] | None,
    cols: dict[str, str],
    labels: dict[str, Any],
    where: str,
) -> SettingsRead:
    keyed, key = series_key(table, id)
    if key is None:
        if len(result.series) != 1:
            raise InputError(
                f"{where.capitalize()} has no product column, so Keel cannot tell which product each setting is for.",
                "Add a 'product' column naming each forecast's product.",
            )
        groups: list[tuple[Any, pd.DataFrame]] = [(result.series[0].id, keyed)]
    else:
        ids = keyed[key].astype("string").fillna("(blank)").str.strip()
        groups = [(labels[str(k)], part) for k, part in keyed.groupby(ids.to_numpy(), sort=False) if str(k) in labels]
    out: dict[str | None, OrderSettings] = {}
    for sid, part in groups:
        values = {}
        for k, c in cols.items():
            filled = part[c][part[c].notna() & (part[c].astype("string").str.strip() != "")]
            values[k] = filled.iloc[-1] if len(filled) else None
        got = _settings(str(sid) if sid is not None else (result.value_name or "the series"), values, where)
        if got.given():
            out[sid] = got
    return SettingsRead(out, tuple(cols))


def _settings(product: str, values: dict[str, Any], where: str) -> OrderSettings:
    """One product's raw values checked and made numbers."""
    got: dict[str, Any] = {}
    for k, raw in values.items():
        if raw is None or (not isinstance(raw, str) and pd.isna(raw)) or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            v = float(str(raw).strip().replace(",", "")) if isinstance(raw, str) else float(raw)
        except (TypeError, ValueError):
            v = float("nan")
        if not math.isfinite(v):
            raise InputError(
                f"The {WORDS[k]} of '{product}' in {where} is '{raw}', not a number.",
                f"Enter a number in the '{k}' column for '{product}', or leave it empty.",
            )
        _check(product, k, v)
        got[k] = int(v) if k == "case_pack" else v
    return replace(OrderSettings(), **got)


def _check(product: str, k: str, v: float) -> None:
    if k == "case_pack" and (v < 1 or not float(v).is_integer()):
        reason = "a case holds at least 1 unit" if v < 1 else "a case holds a whole number of units"
        raise InputError(
            f"The case pack of '{product}' is {_show(v)}: {reason}.",
            "Enter how many units come in one case (e.g. 6), or leave it empty if the supplier sells single units.",
        )
    if v < 0:
        hints = {
            "lead_time": "Enter how many periods a delivery takes to arrive after you order (0 or more).",
            "lead_time_sd": "Enter by how many periods deliveries typically vary (0 if they always arrive on time).",
            "min_order": "Enter the smallest order the supplier takes, in units (0 or empty for none).",
        }
        raise InputError(
            f"The {WORDS[k]} of '{product}' is {_show(v)}; it cannot be negative.",
            hints.get(k, f"Enter the {WORDS[k]} in units, 0 or more."),
        )


def _show(v: Any) -> str:
    return "empty" if v is None else number(v)


def merge_settings(
    base: dict[str | None, OrderSettings], over: dict[str | None, OrderSettings]
) -> dict[str | None, OrderSettings]:
    """``base`` with each product's settings in ``over`` laid on top (a setting ``over`` leaves empty keeps
    ``base``'s): the forecast table's columns, then a settings table."""
    out = dict(base)
    for sid, own in over.items():
        out[sid] = replace(out.get(sid, OrderSettings()), **own.given())
    return out
