"""``python -m core`` — the command-line face of Keel (contract in ../shared/DESIGN.md).

Every command accepts ``--json`` and then prints exactly one JSON object on stdout. Anything a
library prints while we work is sent to stderr so stdout stays parseable. Exit status: 0 success,
2 the user's input is at fault (``error:``/``hint:`` on stderr), 1 a bug (logged with an id).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from core.bugs import log_bug
from core.errors import InputError, KeelError


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is a user error: exit 2 with error/hint lines."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message}\n")
        command = self.prog.removeprefix("python -m core").strip()
        sys.stderr.write(f"hint: run `python -m core {command + ' ' if command else ''}--help` to see the options.\n")
        raise SystemExit(2)


def _jsonable(value: Any) -> Any:
    """Make a result safe for strict JSON: NaN/inf become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(Exception):
            value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _path(raw: str) -> Path:  # an input file the user named
    path = Path(raw)
    try:
        found = path.is_file()
    except (OSError, ValueError):  # e.g. a name longer than the file system allows
        found = False
    if not found:
        raise InputError(f"There is no file at '{raw}'.", "Check the path and the file name, then try again.")
    return path


def _seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{text} is outside 0 to 4294967295")
    return value


def _read(path: Path, sheet: str | None = None):  # -> core.ingest.Table
    from core.data.ingest import read_table

    return read_table(path, name=path.name, sheet=sheet)


# --------------------------------------------------------------------------- commands


def cmd_profile(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.data.quality import profile

    table = _read(_path(args.file), args.sheet)
    if args.target is not None and args.target not in table.frame.columns:
        raise InputError(
            f"'{args.file}' has no column named '{args.target}'.",
            f"Choose one of: {', '.join(map(str, list(table.frame.columns)[:20]))}.",
        )
    result = profile(table.frame, target=args.target)
    out = {
        "rows": result.rows,
        "columns": [
            {"name": c.name, "kind": c.kind, "missing_share": c.missing_share, "dtype": c.dtype, "n_unique": c.n_unique}
            for c in result.columns
        ],
        "findings": [
            {"code": f.code, "severity": f.severity, "column": f.column, "message": f.message, "advice": f.advice}
            for f in result.findings
        ],
        "target": args.target,
        "file": {
            "format": table.format,
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "sheet": table.sheet,
            "notes": list(table.notes),
            "bad_lines": list(table.bad_lines),
        },
    }
    counts = {s: sum(f.severity == s for f in result.findings) for s in ("critical", "warning", "info")}
    lines = [
        f"{Path(args.file).name}: {result.rows:,} rows × {len(result.columns)} columns",
        f"findings: {counts['critical']} critical, {counts['warning']} warnings, {counts['info']} notes",
    ]
    lines += [f"  [{f.severity}] {f.message}" for f in result.findings]
    return out, "\n".join(lines)


def cmd_train(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store, workflows

    path = _path(args.file)
    table = _read(path, args.sheet)
    outcome = workflows.train_and_register(
        table,
        target=args.target,
        task=args.task,
        name=args.name,
        time_budget_s=args.time_budget,
        seed=args.seed,
        split=args.split,
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        pii=args.pii,
        progress=lambda f, text: print(f"[{f:4.0%}] {text}", file=sys.stderr),
    )
    info: store.ModelInfo = outcome.model
    out = {
        "model": {
            "id": info.id,
            "name": info.name,
            "version": info.version,
            "task": info.task,
            "algorithm": info.algorithm,
            "stage": info.stage,
        },
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
    from core.vocab import explain_stage

    text = f"trained {info.label} ({info.task}, {info.algorithm}); hold-out: {primary}\n{explain_stage(info.stage, info.name)}"
    return out, text


def cmd_predict(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.models.predict import predict_command

    if args.out is None and not args.json:
        raise InputError(
            "Say where the predictions should go.", "Add --out scored.csv to write a file, or --json to print the rows."
        )
    out = predict_command(args.model, _path(args.file), args.out, overwrite=args.overwrite)
    count = len(out["rows"]) if isinstance(out["rows"], list) else out["rows"]
    return out, f"scored {count:,} rows → {out['out']}"


def cmd_forecast(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.forecasting.engine import forecast

    table = _read(_path(args.file), args.sheet)

    def columns(name: str | None) -> str | list[str] | None:  # 'store,item': several columns
        if name and name not in table.frame.columns and "," in name:
            return [c.strip() for c in name.split(",")]
        return name

    result = forecast(
        table.frame,
        date=args.date,
        value=columns(args.value),
        id=columns(args.id),
        horizon=args.horizon,
        level=args.level,
        season=args.season,
        fill=args.fill,
        aggregate_to=args.aggregate,
        progress=lambda done, total: print(f"[{done}/{total}] series done", file=sys.stderr),
    )
    out = result.to_json()
    lines = [f"frequency {out.get('frequency')}, {len(out.get('series', []))} series"]
    for s in out.get("series", [])[:20]:
        lines.append(f"  {s.get('id')}: {s.get('model')} (MASE {s.get('backtest', {}).get('mase')})")
    return out, "\n".join(lines)


def cmd_drift(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.monitoring.drift import compare

    ref = _read(_path(args.reference))
    cur = _read(_path(args.current))
    report = compare(ref.frame, cur.frame)
    out = report.to_json()
    drifted = [c["column"] for c in out["columns"] if c.get("drifted")]
    share = "too few rows to judge" if out["drift_share"] is None else f"{out['drift_share']:.0%} of columns moved"
    text = f"dataset drift: {'yes' if out['dataset_drift'] else 'no'} ({share}){': ' + ', '.join(drifted) if drifted else ''}"
    return out, text


def cmd_monitor(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.monitoring.monitor import monitor_batch

    table = _read(_path(args.file))
    result = monitor_batch(args.model, table.frame, labels_column=args.labels)
    out = result.to_json()
    fired = [t["rule"] for t in out.get("triggers", []) if t.get("fired")]
    text = f"batch {out['batch_id']}: action {out['action']}{' (' + ', '.join(fired) + ')' if fired else ''}"
    return out, text


def cmd_retrain(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import workflows

    table = _read(_path(args.file))
    outcome = workflows.retrain_with_gate(
        args.model,
        table.frame,
        labels_column=args.labels,
        margin=args.margin,
        time_budget_s=args.time_budget,
        progress=lambda f, text: print(f"[{f:4.0%}] {text}", file=sys.stderr),
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


def cmd_backup(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store

    folder = store.backup(Path(args.folder))
    return {"backup": str(folder)}, f"backed up everything Keel keeps to {folder}"


def cmd_restore(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store

    report = store.restore(Path(args.folder), trust=args.trust)
    out = {
        "restored": str(args.folder),
        "datasets": report.datasets,
        "models": report.models,
        "files_written": report.files_written,
        "quarantined": report.quarantined,
        "kept_damaged": report.kept_damaged,
        "trusted": report.trusted,
    }
    lines = [f"restored from {args.folder}: {report.datasets} dataset versions, {report.models} models"]
    if report.kept_damaged:
        lines.append(f"the damaged database was kept as {report.kept_damaged}")
    if report.quarantined:
        lines.append(f"{report.quarantined} file(s) the backup does not use were moved to the quarantine folder")
    return out, "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> tuple[dict[str, Any], str, int]:
    from core import store

    report = store.check()
    out = {
        "ok": report.ok,
        "problems": [{"what": p.what, "detail": p.detail, "hint": p.hint} for p in report.problems],
        "notes": list(report.notes),
        "datasets": report.datasets,
        "models": report.models,
        "files_checked": report.files_checked,
    }
    if report.ok:
        lines = [
            f"healthy: {report.datasets} dataset versions, {report.models} models, "
            f"{report.files_checked} stored files checked"
        ]
    else:
        lines = [f"{len(report.problems)} problem(s) found:"]
        lines += [f"  {p.what}: {p.detail}\n    what to do: {p.hint}" for p in report.problems]
    lines += [f"note: {n}" for n in report.notes]
    return out, "\n".join(lines), 0 if report.ok else 2


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


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="Keel: look after machine-learning models.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, func: Callable, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
        p.set_defaults(func=func)
        return p

    p = command("profile", cmd_profile, "Read a file, infer column kinds and run the data-quality checks.")
    p.add_argument("file")
    p.add_argument("--target", default=None, help="the column you want to predict (enables leakage/imbalance checks)")
    p.add_argument("--sheet", default=None, help="Excel sheet name (default: the sheet holding the biggest table)")

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
    p.add_argument("--time-budget", type=_seconds, default=300.0, help="seconds for the whole comparison")
    p.add_argument("--seed", type=_seed, default=0, help="any whole number from 0 to 4294967295")
    p.add_argument(
        "--pii",
        choices=("keep", "mask", "pseudonymise", "drop"),
        default="mask",
        help="what to do with columns holding personal data before the file is stored (default: mask)",
    )
    p.add_argument("--sheet", default=None)

    p = command("predict", cmd_predict, "Score a file with a registered model.")
    p.add_argument("model", help="id, name (the version in use), name:version or name@champion")
    p.add_argument("file")
    p.add_argument(
        "--out",
        default=None,
        help="the CSV file to write (refused if it exists, unless --overwrite); without it, --json prints the rows",
    )
    p.add_argument("--overwrite", action="store_true", help="replace --out if it already exists")

    p = command("forecast", cmd_forecast, "Forecast the next H periods of each series.")
    p.add_argument("file")
    p.add_argument("--date", required=True)
    p.add_argument(
        "--value",
        required=True,
        help="the column to forecast; several joined by commas (a wide table, one column per product) make one series each",
    )
    p.add_argument(
        "--id",
        default=None,
        help="the column naming each series (a product); several joined by commas (store,item) make one series per pair",
    )
    p.add_argument("--horizon", type=int, required=True)
    p.add_argument("--level", type=float, default=90.0)
    p.add_argument("--season", type=int, default=None)
    p.add_argument(
        "--fill",
        choices=("auto", "zero", "missing"),
        default="auto",
        help="a period with no row: 'zero' (nothing sold), 'missing' (not recorded), or 'auto' (Keel suggests)",
    )
    p.add_argument(
        "--aggregate",
        choices=("D", "W", "M", "Q", "Y"),
        default=None,
        help="add the values up to days, weeks, months, quarters or years first",
    )
    p.add_argument("--sheet", default=None)

    p = command("drift", cmd_drift, "Compare two files column by column.")
    p.add_argument("reference")
    p.add_argument("current")

    p = command("monitor", cmd_monitor, "Record a new batch for a model: drift, performance, triggers.")
    p.add_argument("model")
    p.add_argument("file")
    p.add_argument("--labels", default=None, help="the column holding the true outcome, if known")
    p.add_argument(
        "--fail-on",
        choices=("never", "review", "retrain"),
        default="never",
        help="exit 3 when the recommended action is at least this (for cron)",
    )

    p = command("retrain", cmd_retrain, "Retrain on the training data plus a labelled batch; promote only if better.")
    p.add_argument("model", help="the champion to challenge (e.g. name@champion)")
    p.add_argument("file", help="new rows with their real outcomes")
    p.add_argument("--labels", default=None, help="column holding the real outcome (default: the model's target)")
    p.add_argument("--margin", type=float, default=0.01, help="how much better the new model must be")
    p.add_argument("--time-budget", type=_seconds, default=300.0)

    p = command("rollback", cmd_rollback, "Make the previous champion of a model the champion again.")
    p.add_argument("name")

    p = command("backup", cmd_backup, "Copy everything Keel keeps into a new folder (safe while Keel runs).")
    p.add_argument("folder")
    p = command(
        "restore",
        cmd_restore,
        "Put a backup back (all of it is checked first; nothing is deleted, a damaged database is kept aside).",
    )
    p.add_argument("folder")
    p.add_argument(
        "--trust",
        action="store_true",
        help="restore a backup this installation did not make (e.g. from your old computer): its data and "
        "models become yours, and models saved by an older Keel are converted, which runs code from it",
    )

    command("check", cmd_check, "Check the database and every stored file; exit 2 when something is wrong.")

    command("models", cmd_models, "List the registry.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    real_stdout = sys.stdout
    code = 0
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = args.func(args)
        out, text = result[0], result[1]
        if len(result) > 2:
            code = result[2]
    except KeelError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        if exc.hint:
            sys.stderr.write(f"hint: {exc.hint}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except Exception as exc:  # a bug: log it, show an id, never a traceback
        bug_id = log_bug(exc, context=f"cli {args.command}")
        sys.stderr.write(
            f"error: something went wrong inside Keel (error id {bug_id}). This is our bug, not your data's.\n"
            f"hint: try again; if it keeps happening, report error id {bug_id}.\n"
        )
        return 1
    if args.json:
        real_stdout.write(json.dumps(_jsonable(out), allow_nan=False) + "\n")
    else:
        real_stdout.write(text + "\n")
    if args.command == "monitor" and args.fail_on != "never":
        order = {"none": 0, "review": 1, "retrain": 2}
        if order.get(out.get("action", "none"), 0) >= order[args.fail_on]:
            return 3
    return code
