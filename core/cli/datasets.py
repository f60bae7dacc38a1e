"""``datasets``: the stored tables, each with a label that tells two files of the same name apart."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import AddCommand


def cmd_datasets(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store

    found = store.list_datasets()
    out = {
        "datasets": [
            {
                "id": d.id,
                "label": d.label,
                "name": d.name,
                "version": d.version,
                "parent_id": d.parent_id,
                "original_name": d.original_name or None,
                "rows": d.rows,
                "columns": d.n_columns,
                "change": d.change or None,
                "created_at": d.created_at,
                "sha256": d.sha256,
            }
            for d in found
        ]
    }
    lines = [f"{d.id:>4}  {d.label:<40} {d.rows:>9,} rows × {d.n_columns:<3} {d.created_at}  {d.change}" for d in found]
    return out, "\n".join(lines) or "no datasets yet"


def add_datasets(command: AddCommand) -> None:
    command("datasets", cmd_datasets, "List the stored datasets (every version), newest first.")
