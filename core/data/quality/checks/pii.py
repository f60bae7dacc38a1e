"""The ``pii`` check. Finds personal data: emails, phone numbers, card numbers, IBANs, IP addresses, national ID numbers and people's names."""

from __future__ import annotations

from core import vocab
from core.data import pii
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import and_join, quote


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("categorical", "text", "id_like", "numeric")):
        f = ctx.facts[col]
        if f.n_valid == 0 or (f.family == "numeric" and not f.is_integer):
            continue
        scan = ctx.pii_scan(col)
        hits = [h for h in scan.hits if h.share > threshold]
        if not hits and f.family == "string" and pii.masked_share(ctx.frame[col]) >= 0.5:
            # masked values still come from people: a model must not learn from them either
            example = next(str(v) for v in ctx.frame[col].dropna() if "*" in str(v))
            out.append(
                make_finding(
                    "pii",
                    "info",
                    col,
                    f"{quote(col)} holds masked personal data (e.g. {pii.redact(example, 40)}).",
                    "Masked values still come from people's details and tell a model little, so Keel leaves "
                    "this column out of training. Put it back on the Train page only if you are sure.",
                    masked=True,
                )
            )
            continue
        if not hits:
            continue
        labels = [pii.LABELS[h.pii_type] for h in hits]
        shares = and_join([vocab.percent(h.share) for h in hits])
        sampled = "" if scan.scanned == scan.total else " sampled"
        msg = (
            f"{quote(col)} contains {and_join(labels)} (in {shares} of {scan.scanned:,}{sampled} values), "
            f"e.g. {hits[0].example}."
        )
        sev = "critical" if any(h.pii_type in pii.SENSITIVE for h in hits) else "warning"
        advice = (
            "Personal data rarely helps a model and is risky to keep (privacy law, leaks). Mask it, replace "
            "it with pseudonyms (equal values stay equal, so joins still work), or drop the column."
        )
        out.append(
            make_finding(
                "pii",
                sev,
                col,
                msg,
                advice,
                "mask_pii",
                ("pseudonymise_pii", "drop_column"),
                types={h.pii_type: {"count": h.count, "share": h.share} for h in hits},
                scanned=scan.scanned,
            )
        )
    return out


CHECK = Check(
    code="pii",
    title="Personal data",
    kinds=("categorical", "text", "id_like", "numeric"),
    threshold=0.0,
    reason="Any personal data found is reported, whatever its share: keeping it is a risk on its own.",
    rule="emails, phones, IPs, names -> warning; cards, IBANs, SSNs, UK NI -> critical.",
    help="Finds personal data: emails, phone numbers, card numbers, IBANs, IP addresses, national ID "
    "numbers and people's names.",
    run=run,
)
