"""The ``class_imbalance`` check. Checks whether some outcomes of the target are much rarer than others."""

from __future__ import annotations

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

IMBALANCE_WARNING = 0.25  # smallest/largest class < 1:4 (binary: minority < 20%): accuracy misleads
IMBALANCE_CRITICAL = 1 / 19  # < 1:19 (binary: minority < 5%): "always the majority" scores > 95%
MIN_CLASS_ROWS = 10  # fewer examples than this: can't learn the class nor test on it


def run(ctx: Context, threshold: float) -> list[Finding]:
    t = ctx.target
    if t is None or not ctx.target_is_classes:
        return []
    f = ctx.facts[t]
    if f.n_unique < 2:
        return []
    top = f.top(f.n_unique)
    (imax, cmax), (imin, cmin) = top[0], top[-1]
    ratio = cmin / cmax
    min_share, max_share = cmin / f.n_valid, cmax / f.n_valid
    small, large = f.label(imin), f.label(imax)
    if ratio >= threshold and cmin >= MIN_CLASS_ROWS:
        return []
    if f.n_unique == 2:
        msg = (
            f"{quote(t)} is unbalanced: '{small}' is only {vocab.percent(min_share)} of rows ({cmin:,} of "
            f"{f.n_valid:,}); '{large}' is {vocab.percent(max_share)}."
        )
    else:
        msg = (
            f"{quote(t)} is unbalanced: the rarest value '{small}' has {vocab.count(cmin, 'row')} ({vocab.percent(min_share)}), "
            f"the most common '{large}' has {cmax:,} ({vocab.percent(max_share)})."
        )
    if cmin < MIN_CLASS_ROWS:
        sev = "critical"
        advice = (
            f"With fewer than {MIN_CLASS_ROWS} examples of '{small}', a model can't learn it and the test "
            "set may not contain it at all. Collect more examples, or merge rare values."
        )
    else:
        sev = "critical" if ratio < IMBALANCE_CRITICAL else "warning"
        advice = (
            f"Accuracy looks good even for a model that always answers '{large}'. Judge models by balanced "
            f"accuracy or F1 and consider class weights; more '{small}' examples help most."
        )
    return [
        make_finding(
            "class_imbalance",
            sev,
            t,
            msg,
            advice,
            None,
            classes=f.n_unique,
            minority=small,
            minority_count=cmin,
            minority_share=min_share,
            ratio=ratio,
        )
    ]


CHECK = Check(
    code="class_imbalance",
    title="Unbalanced target",
    kinds=(),
    threshold=IMBALANCE_WARNING,
    reason="Under 1:4 (binary: a minority under 20%) accuracy misleads; under 1:19 (a minority under 5%) always answering the majority scores over 95%; with fewer than 10 rows a class can't be learned or tested.",
    rule=(
        f"smallest/largest class < 1:{1 / IMBALANCE_WARNING:.0f} warning, < 1:{1 / IMBALANCE_CRITICAL:.0f} or "
        f"< {MIN_CLASS_ROWS} rows critical."
    ),
    help="Checks whether some outcomes of the target are much rarer than others.",
    run=run,
    needs_target=True,
)
