"""What each role may do: the rule the store enforces on every write (``db.audit_event``) and core.team shows.

Pure data. Each write the store records in the audit log names an action; :data:`ACTION_PERMISSIONS` says which
permission that action needs. A page or command that knows who is acting sets the person and their role
(``db.set_actor``); a write their role does not allow is refused inside its transaction, so nothing is written.
Writes Keel makes on its own behalf (alert deliveries, a scheduler's run) name no role and are not checked.
"""

from __future__ import annotations

ROLES = ("viewer", "editor", "admin")

PERMISSIONS = (
    "view",
    "upload",
    "train",
    "promote",
    "retrain",
    "delete",
    "restore",
    "manage_alerts",
    "manage_schedules",
    "manage_people",
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"view"}),
    "editor": frozenset(
        {"view", "upload", "train", "promote", "retrain", "delete", "manage_alerts", "manage_schedules"}
    ),
    "admin": frozenset(PERMISSIONS),
}

# What each permission lets a person do, in the words a refusal uses ("viewers cannot <this>").
PERMISSION_WORDS = {
    "view": "look at models and results",
    "upload": "add data or record new batches",
    "train": "train models",
    "promote": "change which model version is in use",
    "retrain": "retrain models",
    "delete": "delete data or models",
    "restore": "restore a backup over the store",
    "manage_alerts": "change where alerts go",
    "manage_schedules": "change scheduled checks",
    "manage_people": "change who has which role",
}

# The permission each audited write needs. An action missing here is Keel's own bookkeeping (not checked).
ACTION_PERMISSIONS: dict[str, str] = {
    "upload": "upload",
    "derive": "upload",
    "set_kinds": "upload",
    "rename": "upload",
    "monitor": "upload",
    "forecast": "upload",
    "register": "train",
    "card": "train",
    "stage": "promote",
    "threshold": "promote",
    "acknowledge": "retrain",
    "gate": "retrain",
    "delete": "delete",
    "restore": "restore",
    "channel": "manage_alerts",
    "channel_removed": "manage_alerts",
    "schedule": "manage_schedules",
    "schedule_removed": "manage_schedules",
    "role": "manage_people",
    "apikey": "manage_people",
    "apikey_revoke": "manage_people",
}

# Audited writes Keel makes on its own behalf, whoever's page or command caused them: never refused.
OWN_ACTIONS = ("alert_sent", "alert_failed")


def plural_role(role: str) -> str:
    return {"viewer": "viewers", "editor": "editors", "admin": "admins"}.get(role, role)


def refusal(person: str | None, role: str, permission: str) -> str:
    """'bo is a viewer: viewers cannot train models.'"""
    article = "an" if role[:1] in "aeiou" else "a"
    return f"{person or 'You'} is {article} {role}: {plural_role(role)} cannot {PERMISSION_WORDS[permission]}."
