"""``profile``: read a file, infer column kinds, run the data-quality checks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli.common import AddCommand, read_or_sample
from core.errors import InputError


def cmd_profile(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.data import profile

    table, large = read_or_sample(args.file, args.sheet)
    if args.target is not None and args.target not in table.frame.columns:
        raise InputError(
            f"'{args.file}' has no column named '{args.target}'.",
            f"Choose one of: {', '.join(map(str, list(table.frame.columns)[:20]))}.",
        )
    result = profile(table.frame, target=args.target)
    exact = large.missing_share if large else lambda _name: None
    out = {
        "rows": large.rows if large else result.rows,
        "columns": [
            {
                "name": c.name,
                "kind": c.kind,
                "missing_share": exact(c.name) if exact(c.name) is not None else c.missing_share,
                "dtype": c.dtype,
                "n_unique": c.n_unique,
            }
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
    if large:
        out["sample"] = {"rows": large.sample_rows, "seed": large.seed, "note": large.note}
    counts = {s: sum(f.severity == s for f in result.findings) for s in ("critical", "warning", "info")}
    lines = [
        f"{Path(args.file).name}: {out['rows']:,} rows × {len(result.columns)} columns",
        *([large.note] if large else []),
        f"findings: {counts['critical']} critical, {counts['warning']} warnings, {counts['info']} notes",
    ]
    lines += [f"  [{f.severity}] {f.message}" for f in result.findings]
    return out, "\n".join(lines)


def add_profile(command: AddCommand) -> None:
    p = command("profile", cmd_profile, "Read a file, infer column kinds and run the data-quality checks.")
    p.add_argument("file")
    p.add_argument("--target", default=None, help="the column you want to predict (enables leakage/imbalance checks)")
    p.add_argument("--sheet", default=None, help="Excel sheet name (default: the sheet holding the biggest table)")
