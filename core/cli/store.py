"""``backup``, ``restore`` and ``check``: everything Keel keeps, copied, put back and checked."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli.common import AddCommand


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


def add_backup(command: AddCommand) -> None:
    p = command("backup", cmd_backup, "Copy everything Keel keeps into a new folder (safe while Keel runs).")
    p.add_argument("folder")


def add_restore(command: AddCommand) -> None:
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


def add_check(command: AddCommand) -> None:
    command("check", cmd_check, "Check the database and every stored file; exit 2 when something is wrong.")
