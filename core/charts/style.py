"""What every Keel chart shares: colours, the layout, escaping of user text, the legend and subtitle, the
empty figure that says why, and the axis of a measure (from ``core.vocab``).

Conventions: titles and axis titles are passed *raw* to ``layout`` (which escapes them once); tick labels,
legend names and hover text are escaped by the chart with ``safe``/``unique_labels``/``hover_text``.
Results may be the frozen dataclasses of ``core`` or their ``to_dict()`` form (turned back with ``load``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any, TypeGuard, TypeVar

import numpy as np
import plotly.graph_objects as go

from core.vocab import METRICS, is_lower_better, metric_phrase

Stored = Mapping[str, Any]  # a result's to_dict() / to_json() form
T = TypeVar("T")

PALETTE = ("#1f6f8b", "#e07a5f", "#81b29a", "#f2cc8f", "#3d405b", "#99a1a6")
OK = PALETTE[0]
WARN = PALETTE[1]  # drifted / worse / "look here"
MUTED = PALETTE[5]

MAX_SCATTER = 2000  # points in a scatter
MAX_LINE = 2000  # points in a line (history, timelines)
MAX_ROWS = 40  # bars/rows in a horizontal chart


def safe(text: object) -> str:
    """User text for a figure: plotly renders a subset of HTML, so tags are shown as text."""
    return html.escape(str(text), quote=False)


def hover_text(text: object) -> str:
    """User text for inside a hovertemplate: escaped, and '%' kept from being read as a placeholder."""
    return safe(text).replace("%", "&#37;")


def unique_labels(values: Any, width: int = 40) -> list[str]:
    """Escaped, shortened, *unique* tick labels (plotly merges equal category labels)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for v in values:
        text = str(v)
        if len(text) > width:
            text = text[: width - 1] + "…"
        text = safe(text)
        if text in seen:
            seen[text] += 1
            text = f"{text} ({seen[text]})"
        else:
            seen[text] = 1
        out.append(text)
    return out


def layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    """Keel's look: the title and axis titles (escaped here), white template, palette, fixed height."""
    fig.update_layout(
        title={"text": safe(title)},
        xaxis_title=safe(x),
        yaxis_title=safe(y),
        template="plotly_white",
        margin={"l": 50, "r": 20, "t": 50, "b": 50},
        height=320,
        showlegend=False,
        colorway=list(PALETTE),
    )
    return fig


def load(cls: type[T], obj: T | Stored) -> T:
    """A result dataclass, from itself or from its ``to_dict()`` form."""
    if isinstance(obj, Mapping) and hasattr(cls, "from_dict"):
        return cls.from_dict(obj)  # type: ignore[attr-defined]
    return obj  # type: ignore[return-value]


def finite(x: object) -> TypeGuard[float]:
    """A real, finite number (not None, NaN or infinity); numpy numbers count."""
    return x is not None and isinstance(x, (int, float, np.integer, np.floating)) and bool(np.isfinite(x))


def empty(title: str, message: str, x: str = "", y: str = "") -> go.Figure:
    """A figure that says why there is nothing to draw (never an exception in a page)."""
    fig = go.Figure()
    fig.add_annotation(
        text=safe(message),
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 14, "color": PALETTE[4]},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, title, x, y)


def thin(n: int, limit: int) -> np.ndarray:
    """Indices that keep at most ``limit`` of ``n`` points, evenly spread, first and last kept."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def legend(fig: go.Figure, width: int = 480) -> go.Figure:
    """A horizontal legend between the title (and subtitle, if any) and the plot. The top margin
    and height grow with the rows the legend will likely wrap to on a ``width``-pixel figure."""
    fig.update_layout(
        showlegend=True, legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"}
    )
    names = [html.unescape(str(t.name)) for t in fig.data if t.name and t.showlegend is not False]
    rows, used = 1, 0.0
    for name in names:
        item = 45 + 6.5 * len(name)
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    extra = 22 * (rows - 1)
    fig.update_layout(
        margin={"t": (105 if fig.layout.title.subtitle.text else 80) + extra}, height=(fig.layout.height or 320) + extra
    )
    return fig


def subtitle(fig: go.Figure, text: str) -> go.Figure:
    """A plain second line under the title (escaped here); room is made for it."""
    fig.update_layout(title={"subtitle": {"text": safe(text)}, "y": 0.97, "yanchor": "top", "yref": "container"})
    top = fig.layout.margin.t or 50
    fig.update_layout(margin={"t": top + 25}, height=(fig.layout.height or 320) + 25)
    return fig


_TAG = re.compile(r"<[^>]*>")


def plain_text(text: object) -> str:
    """A figure's text as a reader sees it: Keel's tags (``<br>``, ``<b>``…) gone, entities turned back into
    characters. For drawing the text outside the figure, where it is escaped again for that place."""
    if text is None:
        return ""
    return " ".join(html.unescape(_TAG.sub(" ", str(text))).split())


TITLE_SPACE = 40  # of the top margin, what :func:`layout` keeps for the title
SUBTITLE_SPACE = 25  # and what :func:`subtitle` adds for its line


def split_title(fig: go.Figure) -> tuple[str, str, go.Figure]:
    """The title and subtitle as plain text, and the figure without them (its top margin and height shrunk
    by the room they took). A page writes the title as text above the chart, where it wraps at any width
    and no chart toolbar covers it; the figure keeps only the legend, the axes and the data."""
    title = plain_text(fig.layout.title.text)
    sub = plain_text(fig.layout.title.subtitle.text)
    if not title and not sub:
        return title, sub, fig
    room = (TITLE_SPACE if title else 0) + (SUBTITLE_SPACE if sub else 0)
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 50
    height = fig.layout.height or 320
    out = go.Figure(fig)
    out.update_layout(title={"text": None, "subtitle": {"text": None}})
    least = ANNOTATION_SPACE if _annotated_above(out) else 10
    out.update_layout(margin={"t": max(top - room, least)}, height=max(height - room, 160))
    return title, sub, out


ANNOTATION_SPACE = 30  # the top margin kept for a label written above the plot (e.g. 'alarm level' on a line)


def _annotated_above(fig: go.Figure) -> bool:
    """Whether a label sits on the plot's top edge or above it (drawn in the top margin)."""
    for a in fig.layout.annotations or ():
        ref = str(a.yref or "")
        if ("paper" in ref or "domain" in ref) and a.y is not None and float(a.y) >= 0.99:
            return True
    return False


def metric_axis(key: str) -> tuple[str, bool, str]:
    """How a measure is drawn: its phrase (``core.vocab``), whether it is shown in percent (a 0–1 measure
    where higher is better) and its axis title."""
    word = metric_phrase(key)
    m = METRICS.get(key)
    share = m is not None and m.scale in ("share", "score") and not m.lower_is_better
    return word, share, word + (" (%)" if share else "") + (", lower is better" if is_lower_better(key) else "")


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
