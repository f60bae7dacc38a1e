"""``train``, ``predict``, ``retrain``, ``rollback`` and ``models``: the model registry's commands."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import AddCommand, input_path, progress, read, seconds, seed
from core.errors import InputError


def cmd_train(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import workflows
    from core.vocab import explain_stage

    outcome = workflows.train_and_register(
        read(args.file, args.sheet),
        target=args.target,
        task=args.task,
        name=args.name,
        time_budget_s=args.time_budget,
        seed=args.seed,
        split=args.split,
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        pii=args.pii,
        progress=progress,
    )
    info = outcome.model
    out = {
        "model": info.brief("stage"),
        "metrics": info.metrics,
        "baseline_metrics": outcome.result.baseline_metrics,
        "leaderboard": [
            {
                "algorithm": r.algorithm,
                "metrics": r.metrics,
                "fit_seconds": r.fit_seconds,
                "predict_ms_per_1000": r.predict_ms_per_1000,
                "size_bytes": r.size_bytes,
                "note": r.note,
            }
            for r in outcome.result.leaderboard
        ],
        "excluded": [
            {"column": x.column, "code": x.code, "reason": x.reason} for x in outcome.result.feature_plan.left_out
        ],
        "warnings": list(outcome.result.warnings),
        "dataset_id": outcome.dataset.id,
    }
    primary = ", ".join(f"{k}={v:.3f}" for k, v in info.metrics.items() if isinstance(v, (int, float)))
    text = f"trained {info.label} ({info.task}, {info.algorithm}); hold-out: {primary}\n{explain_stage(info.stage, info.name)}"
    return out, text


def cmd_predict(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import cluster
    from core.models import predict_command

    cluster.choose(args.cluster)  # chunks of a big table scored on a Dask cluster (--cluster, KEEL_DASK_SCHEDULER)

    if args.out is None and not args.json:
        raise InputError(
            "Say where the predictions should go.", "Add --out scored.csv to write a file, or --json to print the rows."
        )
    out = predict_command(args.model, input_path(args.file), args.out, overwrite=args.overwrite, explain=args.explain)
    count = len(out["rows"]) if isinstance(out["rows"], list) else out["rows"]
    return out, f"scored {count:,} rows → {out['out']}"


def cmd_retrain(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import workflows

    outcome = workflows.retrain_with_gate(
        args.model,
        read(args.file).frame,
        labels_column=args.labels,
        margin=args.margin,
        time_budget_s=args.time_budget,
        progress=progress,
    )
    c = outcome.challenger
    out = {
        "decision": outcome.decision.to_json(),
        "champion": None
        if outcome.champion is None
        else {"id": outcome.champion.id, "version": outcome.champion.version},
        "challenger": {"id": c.id, "name": c.name, "version": c.version, "stage": c.stage, "algorithm": c.algorithm},
        "holdout_rows": outcome.holdout_rows,
        "dataset_id": outcome.dataset.id,
    }
    return out, outcome.decision.reason


def cmd_rollback(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import workflows

    info = workflows.rollback(args.name)
    return {"model": {"id": info.id, "name": info.name, "version": info.version, "stage": info.stage}}, (
        f"{info.label} is the champion again"
    )


def cmd_models(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store

    models = store.list_models()
    out = {
        "models": [
            {
                "id": m.id,
                "name": m.name,
                "version": m.version,
                "task": m.task,
                "stage": m.stage,
                "created_at": m.created_at,
                "metrics": m.metrics,
                "algorithm": m.algorithm,
                "target": m.target,
            }
            for m in models
        ]
    }
    lines = [f"{m.id:>4}  {m.label:<30} {m.task:<15} {m.stage:<10} {m.created_at}" for m in models]
    return out, "\n".join(lines) or "no models yet"


def add_train(command: AddCommand) -> None:
    p = command("train", cmd_train, "Train candidate models, compare them, register the best as a new version.")
    p.add_argument("file")
    p.add_argument("--target", required=True)
    p.add_argument("--task", choices=("auto", "classification", "regression"), default="auto")
    p.add_argument("--name", default=None, help="model name (default: file name and target, e.g. sales-units)")
    p.add_argument("--split", choices=("auto", "random", "time"), default="auto")
    p.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="COL",
        help="use this column although Keel would leave it out (e.g. a year that looks like an ID); repeatable",
    )
    p.add_argument(
        "--exclude", action="append", default=[], metavar="COL", help="do not learn from this column; repeatable"
    )
    p.add_argument("--time-budget", type=seconds, default=300.0, help="seconds for the whole comparison")
    p.add_argument("--seed", type=seed, default=0, help="any whole number from 0 to 4294967295")
    p.add_argument(
        "--pii",
        choices=("keep", "mask", "pseudonymise", "drop"),
        default="mask",
        help="what to do with columns holding personal data before the file is stored (default: mask)",
    )
    p.add_argument("--sheet", default=None)


def add_predict(command: AddCommand) -> None:
    p = command("predict", cmd_predict, "Score a file with a registered model.")
    p.add_argument("model", help="id, name (the version in use), name:version or name@champion")
    p.add_argument("file")
    p.add_argument(
        "--out",
        default=None,
        help="the CSV file to write (refused if it exists, unless --overwrite); without it, --json prints the rows",
    )
    p.add_argument("--overwrite", action="store_true", help="replace --out if it already exists")
    p.add_argument(
        "--cluster",
        default=None,
        metavar="tcp://HOST:PORT",
        help="score the table's chunks (50,000 rows each) on this Dask scheduler's workers (default: "
        "KEEL_DASK_SCHEDULER, else here)",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="add contribution_base and one contribution_<column> per column: how much each pushed the answer",
    )


def add_retrain(command: AddCommand) -> None:
    p = command("retrain", cmd_retrain, "Retrain on the training data plus a labelled batch; promote only if better.")
    p.add_argument("model", help="the champion to challenge (e.g. name@champion)")
    p.add_argument("file", help="new rows with their real outcomes")
    p.add_argument("--labels", default=None, help="column holding the real outcome (default: the model's target)")
    p.add_argument("--margin", type=float, default=0.01, help="how much better the new model must be")
    p.add_argument("--time-budget", type=seconds, default=300.0)


def add_rollback(command: AddCommand) -> None:
    p = command("rollback", cmd_rollback, "Make the previous champion of a model the champion again.")
    p.add_argument("name")


def add_models(command: AddCommand) -> None:
    command("models", cmd_models, "List the registry.")
