"""``forecast``: the next H periods of each series in a file, with a prediction interval."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.common import AddCommand, read


def cmd_forecast(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.forecasting import forecast

    table = read(args.file, args.sheet)

    def columns(name: str) -> str | list[str]:  # 'store,item': several columns
        if name not in table.frame.columns and "," in name:
            return [c.strip() for c in name.split(",")]
        return name

    result = forecast(
        table.frame,
        date=args.date,
        value=columns(args.value),
        id=columns(args.id) if args.id else None,
        horizon=args.horizon,
        level=args.level,
        season=args.season,
        fill=args.fill,
        aggregate_to=args.aggregate,
        progress=lambda done, total: print(f"[{done}/{total}] series done", file=sys.stderr),
    )
    out = result.to_json()
    lines = [f"frequency {out.get('frequency')}, {len(out.get('series', []))} series"]
    for s in out.get("series", [])[:20]:
        lines.append(f"  {s.get('id')}: {s.get('model')} (MASE {s.get('backtest', {}).get('mase')})")
    return out, "\n".join(lines)


def add_forecast(command: AddCommand) -> None:
    p = command("forecast", cmd_forecast, "Forecast the next H periods of each series.")
    p.add_argument("file")
    p.add_argument("--date", required=True)
    p.add_argument(
        "--value",
        required=True,
        help="the column to forecast; several joined by commas (a wide table, one column per product) make one series each",
    )
    p.add_argument(
        "--id",
        default=None,
        help="the column naming each series (a product); several joined by commas (store,item) make one series per pair",
    )
    p.add_argument("--horizon", type=int, required=True)
    p.add_argument("--level", type=float, default=90.0)
    p.add_argument("--season", type=int, default=None)
    p.add_argument(
        "--fill",
        choices=("auto", "zero", "missing"),
        default="auto",
        help="a period with no row: 'zero' (nothing sold), 'missing' (not recorded), or 'auto' (Keel suggests)",
    )
    p.add_argument(
        "--aggregate",
        choices=("D", "W", "M", "Q", "Y"),
        default=None,
        help="add the values up to days, weeks, months, quarters or years first",
    )
    p.add_argument("--sheet", default=None)
