"""The model card's limits and its risk section, organised by the NIST AI RMF functions (Govern, Map,
Measure, Manage) and filled from the model's own results. Plain sentences; `column` marks a name the
card shows as code."""

from __future__ import annotations

from core.models import evaluate as E
from core.vocab import count


def auto_limits(ev: E.Evaluation, findings: list[dict], x: dict) -> list[str]:
    """What the results say the model cannot be trusted with."""
    out: list[str] = []
    if ev.n_rows < 200:
        out.append(f"It was checked on only {count(ev.n_rows, 'row')}, so every figure here has a wide margin.")
    g = ev.gap
    if g is not None and g.low is not None and g.low <= 0:
        out.append(f"It is not clearly better than {ev.baseline_name}.")
    cal = ev.calibration
    if cal is not None and cal.ece is not None and cal.ece >= 0.08:
        out.append("Its stated chances are not reliable probabilities.")
    sl: E.SliceReport | None = x.get("slices")
    worse = [s for s in sl.slices if s.worse] if sl is not None else []
    if worse:
        out.append(
            f"It does clearly worse on {len(worse)} group(s) of rows, e.g. `{worse[0].column}` = {worse[0].label}."
        )
    rb: E.RobustnessReport | None = x.get("robustness")
    if rb is not None:
        if any(p.failed for p in rb.results):
            out.append("It cannot score rows with blank cells; fill them in before scoring.")
        if any(p.flip_share is not None and p.flip_share >= 0.15 for p in rb.results):
            out.append("Small disturbances to the inputs change many of its answers.")
    crit = [f for f in findings if f.get("severity") == "critical"]
    if crit:
        out.append(f"The training data had {len(crit)} critical finding(s) (e.g. {crit[0].get('code')}).")
    out.append(
        "It learned from past data; if the people, products or processes behind the data change, its accuracy will drift."
    )
    return out


def _govern(info: dict, x: dict) -> list[str]:
    owner = x.get("owner") or info.get("owner")
    stage = info.get("stage")
    out = [
        f"Owner: {owner}."
        if owner
        else "No owner is recorded: name the person accountable for this model before it is used.",
        f"Registry: {info.get('name', 'model')} version {info.get('version', '?')}, stage {stage or 'unknown'}, "
        f"created {info.get('created_at') or 'unknown'}; every version and stage change is kept in Keel's audit log.",
        "Promote to champion only after a person has read this card; retire it when monitoring says it has drifted.",
    ]
    if stage == "champion" and not (x.get("intended_use") or info.get("intended_use")):
        out.append("It is the champion but has no written intended use: write one now.")
    return out


def _map(info: dict, ev: E.Evaluation, findings: list[dict], x: dict) -> list[str]:
    use = x.get("intended_use") or info.get("intended_use")
    target = info.get("target") or ev.target or "the target"
    rows = f", {count(info['rows'], 'row')}" if isinstance(info.get("rows"), int) else ""
    critical = sum(1 for f in findings if f.get("severity") == "critical")
    out = [
        f"Use: {use}"
        if use
        else f"Use is not written down: it predicts `{target}` ({info.get('task') or ev.task}); "
        "say for which decision.",
        f"Data: {info.get('dataset_name') or 'unknown dataset'}{rows}; {len(findings)} data finding(s), {critical} critical.",
    ]
    codes = {str(f.get("code")) for f in findings}
    if "pii" in codes:
        out.append(
            "The data held personal information (PII): check that using it is allowed and that it was masked where it "
            "should be."
        )
    used = {f.get("name") if isinstance(f, dict) else f for f in info.get("features") or []}
    leaks = {f.get("column") for f in findings if f.get("code") == "target_leakage"}
    if leaks & used or (leaks and not used):
        out.append(
            "A column the model uses looked like it leaks the answer: results may be too good to be true until that "
            "is resolved."
        )
    elif leaks:
        out.append("A column looked like it leaks the answer; the model was trained without it.")
    if "class_imbalance" in codes:
        out.append("One answer is rare: watch recall for it, not just overall accuracy.")
    fa = x.get("fairness")
    if fa is not None:
        out.append(f"People-related groups were reviewed through `{fa.column}`.")
    else:
        out.append(
            "No sensitive column was reviewed for fairness; if decisions affect people, pick one (e.g. age band, sex, "
            "region) and run the fairness view."
        )
    return out


def _measure(ev: E.Evaluation, x: dict) -> list[str]:
    out = list(E.explain_evaluation(ev)[:2])
    if ev.calibration is not None:
        out.append(ev.calibration.sentence)
    for key, n in (("slices", 2), ("fairness", 2), ("robustness", 2), ("drivers", 1)):
        if x.get(key) is not None:
            out += list(x[key].sentences[:n])
    return out


def _manage(ev: E.Evaluation, x: dict, limits: list[str]) -> list[str]:
    out = [r.sentence for r in (x.get("threshold"), x.get("recalibration")) if r is not None]
    sl: E.SliceReport | None = x.get("slices")
    worst = next((s for s in sl.slices if s.worse), None) if sl is not None else None
    if worst is not None:
        out.append(
            f"Route rows where `{worst.column}` is {worst.label} to a person, or collect more such rows and retrain."
        )
    rb: E.RobustnessReport | None = x.get("robustness")
    if rb is not None and any(p.failed for p in rb.results):
        out.append("Check inputs for blanks before scoring; the model cannot take them.")
    if ev.gap is not None and ev.gap.low is not None and ev.gap.low <= 0:
        out.append("Do not deploy: it is not clearly better than a trivial rule.")
    out += [
        "Monitor every new batch for drift and, where answers arrive later, for accuracy; retrain when the triggers fire.",
        "Keep a person in the loop for decisions with serious consequences; the model gives a best guess, not a verdict.",
    ]
    if limits:
        out.append(f"Known limits are listed above ({len(limits)}).")
    return out


def risk_blocks(info: dict, ev: E.Evaluation, findings: list[dict], x: dict, limits: list[str]) -> list[dict]:
    """The four NIST AI RMF blocks: title, what it covers, and the sentences."""
    return [
        {
            "title": "Govern",
            "what": "Who is accountable and how changes are controlled.",
            "sentences": _govern(info, x),
        },
        {
            "title": "Map",
            "what": "The context: what it is for, on what data, who may be affected.",
            "sentences": _map(info, ev, findings, x),
        },
        {"title": "Measure", "what": "What was measured on held-out rows.", "sentences": _measure(ev, x)},
        {"title": "Manage", "what": "What to do about the risks found.", "sentences": _manage(ev, x, limits)},
    ]
