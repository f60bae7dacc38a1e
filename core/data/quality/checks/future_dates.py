"""The ``future_dates`` check. Finds dates after today, which are usually typos or placeholders like 2099-12-31."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

FUTURE_DATES = 0.0  # any date after tomorrow (one day of slack for time zones)
FUTURE_MOSTLY = 0.5  # if most dates are in the future it's a planned date (due, expiry): info


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("datetime",)):
        f = ctx.facts[col]
        if f.family != "datetime" or not f.n_valid:
            continue
        limit = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)).tz_localize(None)
        limit_ticks = limit.to_datetime64().astype(f"datetime64[{f.unit}]").astype("int64")
        u = np.asarray(f.uniques.asi8)
        future = u > limit_ticks  # naive dates compared as UTC wall time; a day of slack covers zones
        count = int(f.counts[future].sum())
        if count == 0 or count / f.n_valid <= threshold:
            continue
        share = count / f.n_valid
        latest = pd.Timestamp(f.instant(int(u[future].max())))
        if f.tz is not None:
            latest = latest.tz_localize("UTC").tz_convert(f.tz)
        msg = (
            f"{quote(col)} has {vocab.count(count, 'date')} after today ({vocab.percent(share)}), the latest "
            f"{latest.date().isoformat()}."
        )
        if share >= FUTURE_MOSTLY:
            sev = "info"
            advice = "If this is a planned date (a due date, an expiry date), that's fine; otherwise check the values."
        else:
            sev = "warning"
            advice = (
                "Dates in the future are usually typos (a wrong year) or placeholders like 2099-12-31. "
                "Fix them in the file, or clear them so they count as missing."
            )
        out.append(
            make_finding(
                "future_dates", sev, col, msg, advice, None, count=count, share=share, latest=latest.isoformat()
            )
        )
    return out


CHECK = Check(
    code="future_dates",
    title="Dates in the future",
    kinds=("datetime",),
    threshold=FUTURE_DATES,
    reason="Any date after tomorrow (a day of slack for time zones); when most dates are in the future they are planned dates (due, expiry) and only worth knowing.",
    rule="dates after tomorrow -> warning (info when most dates are in the future).",
    help="Finds dates after today, which are usually typos or placeholders like 2099-12-31.",
    run=run,
)
