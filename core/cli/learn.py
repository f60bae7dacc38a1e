"""``export`` and ``explore``: what a student takes away from Keel (issue 20)."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import AddCommand, read


def cmd_export(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.models import export_model

    out = export_model(
        args.model, notebook=args.notebook, script=args.script, overwrite=args.overwrite, forecast_id=args.forecast
    )
    run = f"jupyter lab {out['out']}" if out["kind"] == "notebook" else f"python {out['out']}"
    what = f"model {out['model']}" if "model" in out else f"forecast {out['forecast']}"
    return out, f"wrote a {out['kind']} that reruns {what} → {out['out']} (run it: {run})"


def add_export(command: AddCommand) -> None:
    p = command(
        "export",
        cmd_export,
        "Write a notebook or script that reruns a model's training and evaluation (or a forecast).",
    )
    p.add_argument(
        "model", nargs="?", default=None, help="id, name (the version in use), name:version or name@champion"
    )
    p.add_argument(
        "--forecast", type=int, default=None, metavar="ID", help="instead of a model: a forecast Keel kept (its id)"
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--notebook", default=None, metavar="OUT.ipynb", help="write a Jupyter notebook")
    where.add_argument("--script", default=None, metavar="OUT.py", help="write a Python script")
    p.add_argument("--overwrite", action="store_true", help="replace the file if it already exists")


def cmd_explore(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.data import explore, explore_text

    table = read(args.file, args.sheet)
    found = explore(table.frame, target=args.target)
    return found.to_json(), explore_text(found)


def add_explore(command: AddCommand) -> None:
    p = command("explore", cmd_explore, "How the columns relate to each other and to a target.")
    p.add_argument("file")
    p.add_argument("--target", default=None, help="the column to explain: each column's relationship with it")
    p.add_argument("--sheet", default=None)
