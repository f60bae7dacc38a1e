"""The model card's small charts as geometry: where each bar, line, point and label goes. The template
(``templates/model_card.html``) draws them as inline SVG and escapes every label."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from core.vocab import number

COLOURS = ("#2f5fb3", "#c0392b", "#2e8b57")


def bars(
    items: Sequence[tuple[str, float, float | None, float | None]],
    *,
    vmax: float | None = None,
    width: int = 620,
    fmt: Callable[[Any], str] | None = None,
) -> dict[str, Any] | None:
    """Horizontal bars with optional interval whiskers. items: (label, value, low, high)."""
    if not items:
        return None
    fmt = fmt or number
    row, left, right = 22, 210, 70
    vals = [abs(v) for _, v, _, _ in items] + [abs(h) for *_, h in items if h is not None]
    vmax = vmax or (max(vals) if vals and max(vals) > 0 else 1.0)
    plot = width - left - right

    def x(v: float) -> float:
        return left + max(0.0, min(1.0, v / vmax)) * plot

    rows = []
    for i, (label, v, lo, hi) in enumerate(items):
        y = 4 + i * row
        rows.append(
            {
                "y": y,
                "label": label if len(label) <= 32 else label[:31] + "…",
                "w": max(0.0, min(1.0, max(v, 0) / vmax)) * plot,
                "value": fmt(v),
                "whisker": None if lo is None or hi is None else {"x1": x(lo), "x2": x(hi), "ym": y + row / 2 - 1},
            }
        )
    return {"width": width, "height": row * len(items) + 8, "left": left, "plot": plot, "bar": row - 8, "rows": rows}


def lines(
    series: Sequence[tuple[Sequence[float], Sequence[float]]],
    *,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    width: int = 320,
    height: int = 240,
    points: bool = False,
) -> dict[str, Any] | None:
    """Lines (and optionally their points) on a frame with the ends of each axis labelled."""
    xs = [x for s in series for x in s[0]]
    ys = [y for s in series for y in s[1]]
    if not xs:
        return None
    x0, x1 = x_range or (min(xs), max(xs))
    y0, y1 = y_range or (min(ys), max(ys))
    x1 = x1 if x1 != x0 else x0 + 1
    y1 = y1 if y1 != y0 else y0 + 1
    L, B, T, R = 46, 34, 10, 10
    pw, ph = width - L - R, height - T - B

    def px(x: float) -> float:
        return L + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return T + ph - (y - y0) / (y1 - y0) * ph

    ticks = [{"x": px(v), "y": T + ph + 13, "anchor": a, "text": number(v)} for v, a in ((x0, "start"), (x1, "end"))]
    ticks += [{"x": L - 4, "y": py(v) + 4, "anchor": "end", "text": number(v)} for v in (y0, y1)]
    drawn = []
    for i, (sx, sy) in enumerate(series):
        pts = [(px(a), py(b)) for a, b in zip(sx, sy)]
        drawn.append(
            {
                "points": " ".join(f"{a:.1f},{b:.1f}" for a, b in pts),
                "colour": COLOURS[i % len(COLOURS)],
                "circles": pts if points else [],
            }
        )
    return {
        "width": width,
        "height": height,
        "frame": {"x": L, "y": T, "w": pw, "h": ph},
        "diagonal": {"x1": px(x0), "y1": py(y0), "x2": px(x1), "y2": py(y1)} if diagonal else None,
        "ticks": ticks,
        "x_label": {"x": L + pw / 2, "y": height - 4, "text": x_label},
        "y_label": {"y": T + ph / 2, "text": y_label},
        "series": drawn,
    }
