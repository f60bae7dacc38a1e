"""The words findings use: quoted column names, lists, counts, shares and numbers."""

from __future__ import annotations

import math

import numpy as np


def whole(x: int) -> str:
    return f"{int(x):,}"


def count_of(x: int, word: str, plural: str | None = None) -> str:
    return f"{whole(x)} {word if x == 1 else (plural or word + 's')}"


def pct(share: float) -> str:
    if share <= 0:
        return "0%"
    if share < 0.001:
        return "<0.1%"
    if share >= 1:
        return "100%"
    if share > 0.999:
        return ">99.9%"
    return f"{share * 100:.1f}%"


def num(x: float) -> str:
    if x is None or not math.isfinite(x):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def plain(x: object) -> object:
    """A plain JSON value: numpy scalars to Python, NaN/inf to None."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def quote(name: str) -> str:
    return f"'{name}'"


def and_join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def json_value(v: object) -> object:
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [json_value(x) for x in v]
    return plain(v)
