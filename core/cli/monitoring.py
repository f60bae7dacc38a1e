"""``drift`` and ``monitor``: compare two files, and record a model's new batch (exit 3 on ``--fail-on``)."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import AddCommand, read, read_or_sample

ACTION_ORDER = {"none": 0, "review": 1, "retrain": 2}
FAILED_ON = 3  # the exit status of `monitor --fail-on` when the model calls for at least that action


def cmd_drift(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import cluster
    from core.monitoring import compare

    cluster.choose(args.cluster)  # one column per task on a Dask cluster (--cluster, KEEL_DASK_SCHEDULER)

    (reference, ref_large), (current, cur_large) = read_or_sample(args.reference), read_or_sample(args.current)
    report = compare(reference.frame, current.frame)
    out = report.to_json()
    lines = [report.verdict]
    samples = {"reference": ref_large, "current": cur_large}
    if any(samples.values()):  # a file larger than memory: compared on its random sample, said so
        out["samples"] = {
            k: {"rows": v.rows, "sample_rows": v.sample_rows, "seed": v.seed} for k, v in samples.items() if v
        }
        lines += [v.note for v in samples.values() if v]
    lines += [f"  moved: {c.explain}" for c in report.columns if c.drifted]
    return out, "\n".join(lines)


def cmd_monitor(args: argparse.Namespace) -> tuple[dict[str, Any], str, int]:
    from core.monitoring import monitor_batch

    result = monitor_batch(args.model, read(args.file).frame, labels_column=args.labels)
    out = result.to_json()
    lines = [f"batch {out['batch_id']}: {result.headline}"]
    lines += [f"  {t.detail}" for t in result.triggers if t.fired]
    # the model's state decides, not whether this batch raised a new alert: a cool-down never hides it
    failed = args.fail_on != "never" and ACTION_ORDER.get(result.action, 0) >= ACTION_ORDER[args.fail_on]
    return out, "\n".join(lines), FAILED_ON if failed else 0


def add_drift(command: AddCommand) -> None:
    p = command("drift", cmd_drift, "Compare two files column by column.")
    p.add_argument("reference")
    p.add_argument("current")
    p.add_argument(
        "--cluster",
        default=None,
        metavar="tcp://HOST:PORT",
        help="compare the columns on this Dask scheduler's workers (default: KEEL_DASK_SCHEDULER, else here)",
    )


def add_monitor(command: AddCommand) -> None:
    p = command("monitor", cmd_monitor, "Record a new batch for a model: drift, performance, triggers.")
    p.add_argument("model")
    p.add_argument("file")
    p.add_argument("--labels", default=None, help="the column holding the true outcome, if known")
    p.add_argument(
        "--fail-on",
        choices=("never", "review", "retrain"),
        default="never",
        help="exit 3 whenever the model's state calls for at least this action, even while a repeated alert is "
        "silenced (for cron)",
    )
