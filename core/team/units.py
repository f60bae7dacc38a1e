"""The text of a cron line or a systemd timer that runs ``python -m core scheduler --once`` regularly, for a
machine without a long-running scheduler. Nothing is installed: the CLI prints it, or writes it where the user
says (``--out``, with the usual output rules)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from core.paths import keel_home

# Settings passed on to the scheduler (values of secret ones are never printed: a placeholder stands in).
SETTINGS = (
    "KEEL_HOME",
    "KEEL_DATABASE_URL",
    "KEEL_PUBLIC_URL",
    "KEEL_SMTP_HOST",
    "KEEL_SMTP_PORT",
    "KEEL_SMTP_USER",
    "KEEL_SMTP_PASSWORD",
    "KEEL_SMTP_FROM",
    "KEEL_SMTP_CA_FILE",
    "KEEL_USER",
)
SECRETS = ("KEEL_SMTP_PASSWORD",)


def _project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _value(name: str) -> str:
    if name == "KEEL_HOME":
        return str(keel_home())
    value = os.environ.get(name, "").strip()
    if not value:
        return ""
    if name in SECRETS:
        return "CHANGE-ME"
    if name == "KEEL_DATABASE_URL":
        parts = urlsplit(value)
        if parts.password:
            host = parts.netloc.rsplit("@", 1)[-1]
            value = urlunsplit(parts._replace(netloc=f"{parts.username}:CHANGE-ME@{host}"))
    return value


def settings() -> dict[str, str]:
    """The Keel settings of this environment that the scheduler needs (secrets replaced by CHANGE-ME)."""
    return {name: value for name in SETTINGS if (value := _value(name))}


def _command() -> str:
    return f"{sys.executable} -m core scheduler --once"


def minutes_between(poll_seconds: float) -> int:
    return max(1, min(60, round(poll_seconds / 60)))


def cron_text(poll_seconds: float = 300.0) -> str:
    """A crontab: the settings as variable lines, then one line running due schedules every few minutes."""
    every = minutes_between(poll_seconds)
    when = "0 * * * *" if every == 60 else f"*/{every} * * * *"
    log = keel_home() / "logs" / "scheduler.log"
    lines = [
        "# Keel's scheduled checks: install with `crontab FILE` (or add these lines with `crontab -e`).",
        "# Replace CHANGE-ME with the real secret, and keep this file private (chmod 600).",
    ]
    lines += [f"{name}={value}" for name, value in settings().items()]
    lines.append(f"{when} cd {_project_root()} && {_command()} >> {log} 2>&1")
    return "\n".join(lines) + "\n"


def systemd_units(poll_seconds: float = 300.0) -> tuple[str, str]:
    """(service, timer): a oneshot service running due schedules, and a timer starting it every few minutes
    (``Persistent=true``: a run missed while the machine was off happens once at boot)."""
    every = minutes_between(poll_seconds)
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "keel"
    calendar = "hourly" if every == 60 else f"*:0/{every}"
    env_lines = "\n".join(f'Environment="{name}={value}"' for name, value in settings().items())
    service = f"""# /etc/systemd/system/keel-scheduler.service — Keel's scheduled checks (one round per start)
# Put secrets in /etc/keel/keel.env (chmod 600) rather than here: it is read if it exists.
[Unit]
Description=Keel: run due scheduled checks and send alerts
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
User={user}
WorkingDirectory={_project_root()}
EnvironmentFile=-/etc/keel/keel.env
{env_lines}
ExecStart={_command()}
"""
    timer = f"""# /etc/systemd/system/keel-scheduler.timer — then: systemctl daemon-reload && systemctl enable --now keel-scheduler.timer
[Unit]
Description=Keel: scheduled checks every {every} minute{"s" if every != 1 else ""}

[Timer]
OnCalendar={calendar}
Persistent=true

[Install]
WantedBy=timers.target
"""
    return service, timer
