"""``forecast``: the next H periods of each series in a file, with a prediction interval."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli.common import AddCommand, read


def cmd_forecast(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import cluster
    from core.forecasting import forecast, forecast_families, what_if

    targets = _targets(args)  # refused before any work: an existing file, a path inside KEEL_HOME
    if args.order_settings and "orders" not in targets:
        from core.errors import InputError

        raise InputError(
            "--order-settings says how each product is ordered, but no order list was asked for.",
            "Add --orders-out FILE to write the order list, or leave --order-settings out.",
        )
    cluster.choose(args.cluster)  # per-series work on a Dask cluster (--cluster or KEEL_DASK_SCHEDULER)
    table = read(args.file, args.sheet)
    events = read(args.events).frame if args.events else None
    settings_table = read(args.order_settings).frame if args.order_settings else None

    def columns(name: str) -> str | list[str]:  # 'store,item': several columns
        if name not in table.frame.columns and "," in name:
            return [c.strip() for c in name.split(",")]
        return name

    kw: dict[str, Any] = {
        "date": args.date,
        "value": columns(args.value),
        "id": columns(args.id) if args.id else None,
        "horizon": args.horizon,
        "level": args.level,
        "season": args.season,
        "fill": args.fill,
        "aggregate_to": args.aggregate,
        "progress": lambda done, total: print(f"[{done}/{total}] series done", file=sys.stderr),
        "holidays": args.holidays,
        "events": events,
        "drivers": [c.strip() for c in args.drivers.split(",") if c.strip()] if args.drivers else None,
        "stockout": args.stockout,
    }
    family = _family_kw(args, columns)  # {} without --family
    changed = what_if(table.frame, args.what_if, **kw, **family) if args.what_if else None
    both: list[dict[str, Any]] | None = None
    families = changed.families if changed is not None else None  # with --family: the what-if's baseline
    if family and changed is None:
        families = forecast_families(table.frame, **family, **kw)
    if families is not None:
        result = families.products
    else:
        result = changed.baseline if changed is not None else forecast(table.frame, **kw)
    out = result.to_json()
    labels = result.series_labels()
    lines = [f"frequency {out.get('frequency')}, {len(out.get('series', []))} series"]
    for label, s in list(zip(labels, result.series))[:20]:
        extra = f"; uses {', '.join(s.drivers_used)}" if s.drivers_used else ""
        extra += f"; {len([e for e in s.events if e.get('effect') is not None])} calendar effects" if s.events else ""
        lines.append(f"  {label}: {s.model_label} ({s.comparison()}{extra})")
        learnt = sorted((e for e in s.events if e.get("effect") is not None), key=lambda e: -abs(e["effect"]))
        shown = [e["sentence"] for e in learnt][:3]  # the largest effects
        shown += [f"{d['sentence']}; {d['moved']['sentence']}" for d in s.drivers][:3]
        lines += [f"    {text}" for text in shown + ([s.stockout["sentence"]] if s.stockout else [])]
    if len(labels) > 20:
        lines.append(f"  … and {len(labels) - 20} more (--json or --out for all)")
    if families is not None:
        out["families"] = families.to_json()
        lines += ["families:", f"  {families.sentence}", *[f"  {note}" for note in families.notes]]
    if changed is not None:
        lines.append("what if:")
        lines += [f"  {ln.sentence}" for ln in [*changed.lines[:20], *changed.totals]]
    if "out" in targets:
        _write(targets["out"], result.download_frame())
        lines.append(f"forecast → {targets['out']}")
    out["order_settings"] = None
    if "orders" in targets:
        out["order_settings"], told, both = _orders(
            args, targets["orders"], table.frame, settings_table, result, kw, changed
        )
        lines += told
    out["out"] = str(targets["out"]) if "out" in targets else None
    out["orders_out"] = str(targets["orders"]) if "orders" in targets else None
    if changed is not None:
        out["what_if"] = {**changed.to_json(), "orders": both}
    return out, "\n".join(lines)


def _family_kw(args: argparse.Namespace, columns: Any) -> dict[str, Any]:
    """With --family: the family column(s) and the --look-alike pairs for the families' forecast; else {}."""
    from core.errors import InputError

    if not args.family:
        if args.look_alike:
            raise InputError(
                "--look-alike lends a product's pattern within a family, but no --family was given.",
                "Add --family COL (the column grouping the products, e.g. category), or leave --look-alike out.",
            )
        return {}
    look = {}
    for pair in args.look_alike or []:
        new, sep, old = str(pair).partition("=")
        if not sep or not new.strip() or not old.strip():
            raise InputError(
                f"--look-alike takes NEW=OLD, a new product and one it sells like (got '{str(pair)[:80]}').",
                "Write e.g. --look-alike 'Oat latte=Chai latte mix 500g'.",
            )
        look[new.strip()] = old.strip()
    return {"family": columns(args.family), "look_alike": look}


def _orders(
    args: argparse.Namespace,
    path: Path,
    frame: Any,
    settings_table: Any,
    result: Any,
    kw: dict[str, Any],
    changed: Any,
) -> tuple[dict[str, Any], list[str], list[dict[str, Any]] | None]:
    """Write the order list; what the settings were (for the JSON), the summary's lines, and with --what-if
    both order lists side by side (product, order_now, with_change)."""
    from core.forecasting import order_plan

    settings, said = _order_settings(args, frame, settings_table, result, kw)
    told = [*said["sentences"], *said["notes"]]
    lines = ["order settings:", *[f"  {text}" for text in told]] if told else []
    how = {
        "lead_time": args.lead_time,
        "review_period": args.review_period,
        "service_level": args.service_level,
        "settings": settings,
    }
    plan = order_plan(result, **how)
    _write(path, plan.to_frame())
    lines.append(f"order list → {path}")
    if changed is None:
        return said, lines, None
    other = order_plan(changed.changed, **how)  # both order lists: as it is, and with the change
    names = dict(zip([s.id for s in result.series], result.series_labels()))
    both = [
        {"product": names.get(a.id, a.id), "order_now": a.order_quantity, "with_change": b.order_quantity}
        for a, b in zip(plan.lines, other.lines)
    ]
    lines.append(f"orders with {changed.change.words()}:")
    lines += [f"  {b['product']}: {b['with_change']:,} instead of {b['order_now']:,}" for b in both[:20]]
    return said, lines, both


def _order_settings(
    args: argparse.Namespace, frame: Any, settings_table: Any, result: Any, kw: dict[str, Any]
) -> tuple[dict[Any, Any], dict[str, Any]]:
    """Each product's order settings: the forecast file's own columns (case_pack, min_order, lead_time,
    lead_time_sd, on_hand, on_order), then --order-settings on top; what was read, for the JSON and the summary."""
    from core.forecasting import merge_settings, read_order_settings

    settings: dict[Any, Any] = {}
    said: dict[str, Any] = {"file": args.order_settings, "columns": [], "from_forecast_file": [], "sentences": [],
                            "notes": []}  # fmt: skip
    if isinstance(kw["value"], str):  # one column to forecast: the file's rows are per date and product
        own = read_order_settings(frame, result, id=kw["id"], where="the forecast file", history=True)
        settings = own.settings
        said["from_forecast_file"] = list(own.columns)
        said["sentences"] += [own.sentence("the forecast file's own columns")] if own.settings else []
    if settings_table is not None:
        name = f"'{Path(args.order_settings).name}'"
        given = read_order_settings(settings_table, result, where=name)
        settings = merge_settings(settings, given.settings)
        said["columns"] = list(given.columns)
        said["sentences"] += [given.sentence(name)] if given.settings else []
        said["notes"] += list(given.notes)
        if not given.columns:
            said["notes"].append(
                f"{name} has none of the columns case_pack, min_order, lead_time, lead_time_sd, on_hand, on_order; "
                "nothing was read from it."
            )
    said["products"] = len(settings)
    said["sentences"] = [t for t in said["sentences"] if t]
    return settings, said


def _targets(args: argparse.Namespace) -> dict[str, Path]:
    """The files to write, checked first (both refused if either is)."""
    from core.errors import InputError
    from core.paths import output_path

    found: dict[str, Path] = {}
    if args.out:
        found["out"] = output_path(args.out, overwrite=args.overwrite, what="forecast file")
    if args.orders_out:
        found["orders"] = output_path(args.orders_out, overwrite=args.overwrite, what="order list file")
    paths = [p.expanduser().resolve() for p in found.values()]
    if Path(args.file).expanduser().resolve() in paths:
        raise InputError(
            "An output file is the input file; Keel will not overwrite your data.",
            "Choose another name for the output, e.g. forecast.csv.",
        )
    if len(paths) == 2 and paths[0] == paths[1]:
        raise InputError("--out and --orders-out name the same file.", "Give each its own name.")
    return found


def _write(path: Path, frame: Any) -> None:
    from core.models import to_safe_csv
    from core.paths import write_output

    write_output(path, to_safe_csv(frame))


def add_forecast(command: AddCommand) -> None:
    p = command("forecast", cmd_forecast, "Forecast the next H periods of each series.")
    p.add_argument("file")
    p.add_argument(
        "--cluster",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run the per-series work on this Dask scheduler's workers (default: KEEL_DASK_SCHEDULER, else here)",
    )
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
    p.add_argument(
        "--holidays",
        default=None,
        metavar="CC[-REGION],…",
        help="public holidays of a country and optionally a region (US, GB, AU-VIC); several joined by commas",
    )
    p.add_argument(
        "--events",
        default=None,
        metavar="FILE",
        help="your own events: a table with columns date, event and optionally before, after (days around it)",
    )
    p.add_argument(
        "--drivers",
        default=None,
        metavar="COL,…",
        help="columns known in advance (price, promotion); their future values are rows after the last "
        "observed value with the value empty",
    )
    p.add_argument(
        "--stockout",
        default=None,
        metavar="COL",
        help="a 0/1 column: 1 on days without stock (their sales are not demand; the lost demand is estimated)",
    )
    p.add_argument(
        "--out", default=None, metavar="FILE", help="write the forecast as CSV (series, date, forecast, lower, upper)"
    )
    _add_order_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace --out / --orders-out if they exist")


def _add_order_options(p: argparse.ArgumentParser) -> None:
    """The order list's options: --orders-out and how products are ordered; --what-if."""
    p.add_argument(
        "--family",
        default=None,
        metavar="COL[,COL]",
        help="a column grouping the products (category, store; several joined by commas): its totals are "
        "forecast too and reconciled so they equal the sum of their products",
    )
    p.add_argument(
        "--look-alike",
        action="append",
        default=None,
        metavar="NEW=OLD",
        help="with --family: a new product follows this older product's pattern (repeat for several)",
    )
    p.add_argument("--orders-out", default=None, metavar="FILE", help="write the order list as CSV")
    p.add_argument(
        "--order-settings",
        default=None,
        metavar="FILE",
        help="per product, for --orders-out: a table with a product column and any of case_pack, min_order, "
        "lead_time, lead_time_sd (periods), on_hand, on_order; the forecast file's own columns of those names are "
        "used too (each product's last non-empty value), this file wins",
    )
    p.add_argument("--lead-time", type=int, default=1, help="periods a delivery takes, for --orders-out (default 1)")
    p.add_argument("--review-period", type=int, default=1, help="periods between orders, for --orders-out (default 1)")
    p.add_argument(
        "--service-level", type=float, default=95.0, help="chance of not running out, in percent (default 95)"
    )
    p.add_argument(
        "--what-if",
        default=None,
        metavar="COL=VALUE|COL*F|COL-P%",
        help="also forecast with one driver's future values changed (on_promotion=1, price*0.9, price-10%%): "
        "adds 'what_if' to the JSON (with --family, each total's change too)",
    )
