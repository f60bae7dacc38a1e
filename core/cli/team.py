"""``people``, ``alerts``, ``schedule`` and ``scheduler``: Keel for a team on the command line.

With a team configured, a command that changes something runs as ``KEEL_USER`` (or the operating-system
login) and is refused (exit 2) when that person's role does not allow it (``core.team.require``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli.common import AddCommand, seconds
from core.errors import InputError


def _sub(p: argparse.ArgumentParser, default: str) -> Any:
    p.set_defaults(action=default)
    return p.add_subparsers(dest="action")


def _json_flag(p: argparse.ArgumentParser) -> None:
    # the command's own --json stays valid after the sub-command (default SUPPRESS keeps an earlier --json)
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print exactly one JSON object")


# --------------------------------------------------------------------------- people


def cmd_people(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store, team

    if args.action in ("add", "remove"):
        team.require(team.permission_for("people", args.action))
        if args.action == "add":
            person = team.add_person(args.name, args.role, email=args.email or "")
            text = f"{person.name} is now {'an' if person.role[:1] in 'aeiou' else 'a'} {person.role}"
        else:
            team.remove_person(args.name)
            text = f"{args.name} no longer has a role in Keel"
    else:
        text = ""
    people = store.list_people()
    admins = team.people.admins_from_env()
    out = {
        "team": team.team_configured(),
        "people": [{"name": p.name, "email": p.email or None, "role": p.role} for p in people],
        "admins_from_env": admins,
    }
    if not text:
        lines = [f"{p.name:<24} {p.role:<7} {p.email}" for p in people]
        lines += [f"{name:<24} admin   (from KEEL_ADMINS)" for name in admins]
        text = "\n".join(lines) or "nobody has a role: Keel runs for one person (single-user mode)"
    return out, text


def add_people(command: AddCommand) -> None:
    p = command("people", cmd_people, "List the people who use Keel and their roles; add or remove one.")
    sub = _sub(p, "list")
    _json_flag(sub.add_parser("list", help="list people and roles (the default)"))
    add = sub.add_parser("add", help="give a person a role (viewer, editor or admin)")
    add.add_argument("name", help="the login name the proxy sends (X-Forwarded-User), or an e-mail address")
    add.add_argument("--role", required=True, choices=("viewer", "editor", "admin"))
    add.add_argument("--email", default=None)
    _json_flag(add)
    remove = sub.add_parser("remove", help="take a person's role away")
    remove.add_argument("name")
    _json_flag(remove)


# --------------------------------------------------------------------------- alerts


def _channel_json(c: Any) -> dict[str, Any]:
    from core import team

    return {"id": c.id, "model": c.model_name, "kind": c.kind, "target": team.shown_target(c.kind, c.target)}


def _recent(limit: int) -> tuple[dict[str, Any], str]:
    from core import store, team

    alerts = store.list_alerts(limit=limit)
    out = {
        "alerts": [
            {
                "id": a.id,
                "model": a.channel.model_name or None,
                "batch_id": a.batch_id,
                "channel": f"{a.channel.kind} {team.shown_target(a.channel.kind, a.channel.target)}",
                "subject": a.subject,
                "status": a.status,
                "attempts": a.attempts,
                "last_error": a.last_error or None,
                "created_at": a.created_at,
                "sent_at": a.sent_at or None,
            }
            for a in alerts
        ]
    }
    lines = []
    for a in out["alerts"]:
        lines.append(f"{a['id']:>5}  {a['created_at']}  {a['status']:<8} {a['channel']}  {a['subject']}")
        if a["last_error"] and a["status"] != "sent":
            lines.append(f"       after {a['attempts']} attempt(s): {a['last_error']}")
    return out, "\n".join(lines) or "no alerts yet"


def _send() -> tuple[dict[str, Any], str]:
    from core import team

    deliveries = team.send_due_alerts()
    out = {"deliveries": [d.to_json() for d in deliveries]}
    lines = []
    for d in deliveries:
        if d.ok:
            lines.append(f"sent alert {d.alert_id} to {d.channel}")
        elif d.status == "failed":
            lines.append(f"gave up on alert {d.alert_id} to {d.channel} after {d.attempts} attempts: {d.error}")
        else:
            lines.append(
                f"alert {d.alert_id} to {d.channel} failed (attempt {d.attempts}), will retry in "
                f"{d.next_attempt_in:.0f} s: {d.error}"
            )
    return out, "\n".join(lines) or "no alerts were due"


def cmd_alerts(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store, team

    if args.action == "add":
        team.require(team.permission_for("alerts", "add"))
        chosen = [(k, getattr(args, k)) for k in ("email", "webhook", "slack", "teams") if getattr(args, k)]
        if len(chosen) != 1:
            raise InputError(
                "Say where the alerts go: one of --email, --webhook, --slack or --teams.",
                "For example: python -m core alerts add churn --email team@example.org",
            )
        channel = team.add_channel(args.model, chosen[0][0], chosen[0][1])
        return {"channel": _channel_json(channel)}, (
            f"alerts for '{channel.model_name}' go to {channel.kind} {team.shown_target(channel.kind, channel.target)} "
            f"(channel {channel.id})"
        )
    if args.action == "remove":
        team.require(team.permission_for("alerts", "remove"))
        store.remove_channel(args.id)
        return {"removed": args.id}, f"removed alert channel {args.id}"
    if args.action == "send":
        team.require(team.permission_for("alerts", "send"))
        return _send()
    if args.action == "list":
        channels = store.list_channels(args.model)
        out = {"channels": [_channel_json(c) for c in channels]}
        lines = [f"{c['id']:>4}  {c['model']:<24} {c['kind']:<8} {c['target']}" for c in out["channels"]]
        return out, "\n".join(lines) or "no alert channels yet"
    return _recent(args.limit)


def add_alerts(command: AddCommand) -> None:
    p = command("alerts", cmd_alerts, "Recent alert messages and their status; where each model's alerts go.")
    p.add_argument("--limit", type=int, default=30, help="how many recent messages to show")
    sub = _sub(p, "recent")
    add = sub.add_parser("add", help="send a model's alerts to an e-mail address or a webhook")
    add.add_argument("model", help="the model's name")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--email", metavar="ADDR")
    where.add_argument("--webhook", metavar="URL", help="generic JSON")
    where.add_argument("--slack", metavar="URL", help="a Slack incoming webhook")
    where.add_argument("--teams", metavar="URL", help="a Microsoft Teams incoming webhook (Adaptive Card)")
    _json_flag(add)
    listing = sub.add_parser("list", help="where alerts go (for one model or all)")
    listing.add_argument("model", nargs="?", default=None)
    _json_flag(listing)
    remove = sub.add_parser("remove", help="stop sending alerts to a channel")
    remove.add_argument("id", type=int)
    _json_flag(remove)
    _json_flag(sub.add_parser("send", help="deliver the messages that are due now (with retries)"))


# --------------------------------------------------------------------------- schedule and scheduler


def _schedule_json(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "model": s.model_name,
        "source": s.source,
        "every_minutes": s.every_minutes,
        "labels": s.labels_column or None,
        "retrain": s.retrain,
        "last_run_at": s.last_run_at or None,
        "next_run_at": s.next_run_at or None,
    }


def cmd_schedule(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store, team

    if args.action == "add":
        team.require(team.permission_for("schedule", "add"))
        s = team.add_schedule(
            args.model, args.source, args.every, labels_column=args.labels or "", retrain=args.retrain
        )
        return {"schedule": _schedule_json(s)}, (
            f"schedule {s.id}: every {s.every_minutes} min, '{s.model_name}' checks new files in {s.source}"
            + (" and retrains through the gate when needed" if s.retrain == "gate" else "")
            + "; run `python -m core scheduler` (or --print-cron / --print-systemd) to keep it"
        )
    if args.action == "remove":
        team.require(team.permission_for("schedule", "remove"))
        store.remove_schedule(args.id)
        return {"removed": args.id}, f"removed schedule {args.id}"
    schedules = [_schedule_json(s) for s in store.list_schedules()]
    lines = [
        f"{s['id']:>4}  {s['model']:<20} every {s['every_minutes']:>5} min  {s['source']}  (next {s['next_run_at']})"
        for s in schedules
    ]
    return {"schedules": schedules}, "\n".join(lines) or "no schedules yet"


def add_schedule(command: AddCommand) -> None:
    p = command("schedule", cmd_schedule, "Check a model on new files from a folder or pattern, on a schedule.")
    sub = _sub(p, "list")
    add = sub.add_parser("add", help="watch a folder (or a pattern such as /data/*.csv) for a model")
    add.add_argument("model", help="the model's name (the version in use is checked)")
    add.add_argument("source", help="a folder to watch, or a file pattern")
    add.add_argument("--every", type=int, required=True, metavar="MINUTES")
    add.add_argument(
        "--labels", default=None, metavar="COL", help="the column holding the real outcome, if files have it"
    )
    add.add_argument(
        "--retrain",
        choices=("never", "gate"),
        default="never",
        help="gate: when Keel recommends retraining and the file has labels, retrain; the new version is used "
        "only if it does better",
    )
    _json_flag(add)
    _json_flag(sub.add_parser("list", help="list schedules (the default)"))
    remove = sub.add_parser("remove", help="stop a schedule")
    remove.add_argument("id", type=int)
    _json_flag(remove)


def _print_unit(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import team
    from core.paths import output_path, write_output

    poll = args.poll if args.poll is not None else 300.0
    if args.print_cron:
        texts = {"cron": team.cron_text(poll)}
    else:
        service, timer = team.systemd_units(poll)
        texts = {"service": service, "timer": timer}
    written: list[str] = []
    if args.out:
        first = output_path(args.out, overwrite=args.overwrite, what="unit file")
        targets = (
            [first]
            if args.print_cron
            else [first, output_path(Path(first).with_suffix(".timer"), overwrite=args.overwrite)]
        )
        for target, text in zip(targets, texts.values(), strict=True):
            write_output(target, text.encode("utf-8"))
            written.append(str(target))
    out = {**texts, "written": written}
    text = "\n".join(texts.values()) if not written else "wrote " + " and ".join(written)
    return out, text.rstrip("\n")


def cmd_scheduler(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import team

    if args.print_cron or args.print_systemd:
        return _print_unit(args)
    if args.out:
        raise InputError("--out goes with --print-cron or --print-systemd.", "Add one of them, or leave out --out.")
    team.require(team.permission_for("scheduler"))
    settle = args.settle if args.settle is not None else team.scheduler.SETTLE_SECONDS
    if args.once:
        runs = team.run_due(settle_seconds=settle, time_budget_s=args.time_budget)
        return {"runs": [r.to_json() for r in runs]}, _runs_text(runs) or "no schedule was due"

    def report(runs: list[Any]) -> None:
        text = _runs_text(runs)
        if text:
            print(text, file=sys.stderr, flush=True)

    rounds = team.run_forever(args.poll or 60.0, settle_seconds=settle, time_budget_s=args.time_budget, on_runs=report)
    return {"rounds": rounds}, f"scheduler stopped after {rounds} round(s)"


def _runs_text(runs: list[Any]) -> str:
    lines = []
    for r in runs:
        if r.problem:
            lines.append(f"schedule {r.schedule_id} ({r.model_name}): {r.problem}")
        for f in r.files:
            lines.append(f"schedule {r.schedule_id} ({r.model_name}): {f.path}: {f.status}, {f.detail}")
    return "\n".join(lines)


def add_scheduler(command: AddCommand) -> None:
    p = command(
        "scheduler", cmd_scheduler, "Run due schedules: monitor new files, send alerts, retrain through the gate."
    )
    p.add_argument("--once", action="store_true", help="run what is due now, then stop (for cron or a systemd timer)")
    p.add_argument("--poll", type=seconds, default=None, help="seconds between looks (default 60)")
    p.add_argument("--time-budget", type=seconds, default=120.0, help="seconds a retrain may take")
    p.add_argument("--settle", type=float, default=None, help="skip files changed less than this many seconds ago (5)")
    p.add_argument("--print-cron", action="store_true", help="print a crontab that runs due schedules")
    p.add_argument("--print-systemd", action="store_true", help="print a systemd service and timer")
    p.add_argument("--out", default=None, help="with --print-*: write the text to this file (the timer beside it)")
    p.add_argument("--overwrite", action="store_true")
