"""Keel for a team: who is using it and what their role allows, alerts that reach people, and checks that run
on a schedule. The tables behind them are the store's (``core.store.team``); this package is the behaviour.

* ``people``: roles and permissions (:func:`permitted`), the person behind a page's request (:func:`identify`,
  a login proxy's header trusted only from ``KEEL_TRUSTED_PROXY``) and behind a command (:func:`require`).
* ``messages``: an alert's words; ``channels``: e-mail and webhook delivery; ``alerts``: queueing and sending.
* ``scheduler``: due schedules, new files, monitor, alerts and the retrain gate; ``units``: cron and systemd text.
* ``manage``: changing people, channels and schedules with the checks a person needs.
"""

from core.errors import AccessDenied
from core.store.roles import PERMISSION_WORDS, PERMISSIONS, ROLE_PERMISSIONS
from core.team.alerts import (
    Delivery,
    queue_alerts_for,
    queue_gate_alerts,
    retry_delay,
    send_due_alerts,
    start_sender,
)
from core.team.channels import SmtpSettings, shown_target, smtp_settings
from core.team.manage import add_channel, add_person, add_schedule, remove_person
from core.team.messages import gate_message, message_text, monitor_message, page_link, public_url
from core.team.people import (
    COMMAND_PERMISSIONS,
    Access,
    cli_access,
    cli_person,
    identify,
    permission_for,
    permitted,
    require,
    team_configured,
)
from core.team.scheduler import FileOutcome, ScheduleRun, file_key, run_due, run_forever, run_schedule, source_files
from core.team.units import cron_text, systemd_units

__all__ = [
    "COMMAND_PERMISSIONS",
    "PERMISSIONS",
    "PERMISSION_WORDS",
    "ROLE_PERMISSIONS",
    "Access",
    "AccessDenied",
    "Delivery",
    "FileOutcome",
    "ScheduleRun",
    "SmtpSettings",
    "add_channel",
    "add_person",
    "add_schedule",
    "cli_access",
    "cli_person",
    "cron_text",
    "file_key",
    "gate_message",
    "identify",
    "message_text",
    "monitor_message",
    "page_link",
    "permission_for",
    "permitted",
    "public_url",
    "queue_alerts_for",
    "queue_gate_alerts",
    "remove_person",
    "require",
    "retry_delay",
    "run_due",
    "run_forever",
    "run_schedule",
    "send_due_alerts",
    "shown_target",
    "smtp_settings",
    "source_files",
    "start_sender",
    "systemd_units",
    "team_configured",
]
