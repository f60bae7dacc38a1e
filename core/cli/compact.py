"""``compact``: smaller, faster variants of a registered model, measured beside it; ``--keep`` registers one."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import AddCommand


def _measured(m: Any) -> dict[str, Any]:
    return {"size_bytes": m.size_bytes, "latency_ms": m.latency_ms, "metrics": dict(m.metrics)}


def compact_json(report: Any, kept: Any = None) -> dict[str, Any]:
    """The ``compact --json`` object: the model, the original's measures, each variant's beside them."""
    info = report.info
    return {
        "model": info.brief(),
        "primary_metric": report.primary,
        "proper_metric": report.proper,
        "holdout_rows": report.holdout_rows,
        "train_rows": report.train_rows,
        "original": _measured(report.original),
        "variants": [
            {
                "variant": v.key,
                "label": v.label,
                "algorithm": v.algorithm,
                "how": v.how,
                **_measured(v.measured),
                "agreement": v.agreement,
                "verdict": v.verdict,
            }
            for v in report.variants
        ],
        "kept": None if kept is None else kept.brief("stage"),
        "notes": list(report.notes),
    }


def _size(n: int) -> str:
    from core.vocab import number

    return f"{number(round(n / 1024, 1))} KB" if n < 1024 * 1024 else f"{number(round(n / 1024 / 1024, 2))} MB"


def _cell(key: str, value: Any) -> str:
    from core.vocab import format_metric, is_lower_better, percent

    return format_metric(key, value) if is_lower_better(key) else percent(value, 1)


def _table(report: Any) -> str:
    from core.vocab import metric_phrase

    p, q = report.primary, report.proper
    first = f"original ({report.info.algorithm})"
    names = [first, *(v.key for v in report.variants)]
    w, wp, wq = max(map(len, names)), len(metric_phrase(p)), len(metric_phrase(q))
    lines = [f"{'':<{w}}  {'size':>10}  {'one row':>9}  {metric_phrase(p):>{wp}}  {metric_phrase(q):>{wq}}"]

    def row(name: str, m: Any) -> str:
        return (
            f"{name:<{w}}  {_size(m.size_bytes):>10}  {m.latency_ms:>6.1f} ms  "
            f"{_cell(p, m.metrics.get(p)):>{wp}}  {_cell(q, m.metrics.get(q)):>{wq}}"
        )

    lines.append(row(first, report.original))
    for v in report.variants:
        lines.append(row(v.key, v.measured))
        lines.append(f"  {v.label}: {v.verdict}")
    return "\n".join(lines)


def cmd_compact(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.models import compact_variants, keep_variant
    from core.vocab import number

    if args.keep:
        report, kept = keep_variant(args.model, args.keep)
        v = report.variant(args.keep)
        text = (
            f"kept {v.key} of {report.info.label} as {kept.label} (stage {kept.stage}): {v.verdict}\n"
            f"The champion is unchanged. To serve {kept.label}, open it on the Models page and choose "
            "'Make this the one in use'."
        )
        return compact_json(report, kept), "\n".join([text, *report.notes])
    report = compact_variants(args.model)
    text = (
        f"{report.info.label} beside its smaller variants, on its {number(report.holdout_rows)} test rows "
        f"(one-row latency: median of {number(report.latency_calls)} calls):\n{_table(report)}"
    )
    if report.variants:
        text += f"\nKeep one with: python -m core compact {report.info.label} --keep VARIANT"
    return compact_json(report), "\n".join([text, *report.notes])


def add_compact(command: AddCommand) -> None:
    p = command(
        "compact",
        cmd_compact,
        "make smaller, faster variants of a model (fewer or shallower trees, distilled, float32) and measure them "
        "beside it; --keep registers one as a candidate version",
    )
    p.add_argument("model", help="id, name, name:version or name@champion")
    p.add_argument("--keep", metavar="VARIANT", help="register this variant as a new version (stage candidate)")
