"""Changing the team's settings with the checks a person needs: the first person is an admin, the last admin
cannot be removed or demoted, a channel or schedule names a model that exists and a source that is there."""

from __future__ import annotations

from pathlib import Path

from core import store
from core.errors import InputError, NotFoundError
from core.team.people import admins_from_env
from core.team.scheduler import source_files

CHANNEL_FLAGS = {"email": "--email", "webhook": "--webhook", "slack": "--slack", "teams": "--teams"}


def _admins_after(name: str, role: str | None) -> list[str]:
    people = {p.name: p.role for p in store.list_people()}
    if role is None:
        people.pop(name, None)
    else:
        people[name] = role
    return [n for n, r in people.items() if r == "admin"] + admins_from_env()


def add_person(name: str, role: str, email: str = "") -> store.Person:
    """Give a person a role; refused when it would leave the team without an admin."""
    if role in store.ROLES and not _admins_after(name.strip(), role):
        if not store.list_people():
            raise InputError(
                f"The first person in Keel must be an admin, so someone can manage roles (you asked for {role}).",
                f"Add yourself first: `python -m core people add YOUR_NAME --role admin`, then {name} as {role}.",
            )
        raise InputError(
            f"{name} is the last admin: making them {'an' if role[:1] in 'aeiou' else 'a'} {role} would leave "
            "nobody able to manage roles.",
            "Make someone else an admin first.",
        )
    return store.set_role(name, role, email=email)


def remove_person(name: str) -> None:
    if store.get_person(name) is None:
        raise NotFoundError(f"There is no person called '{name}'.", "`python -m core people` lists them.")
    others = [p for p in store.list_people() if p.name != name.strip()]
    if others and not _admins_after(name.strip(), None):
        raise InputError(
            f"{name} is the last admin: removing them would leave nobody able to manage roles.",
            "Make someone else an admin first.",
        )
    store.remove_person(name)


def _model_exists(model_name: str) -> None:
    names = sorted({m.name for m in store.list_models()})
    if model_name not in names:
        shown = ", ".join(names[:10]) if names else "none yet"
        raise NotFoundError(
            f"There is no model called '{model_name}'.",
            f"Use a model's name as `python -m core models` lists it ({shown}).",
        )


def add_channel(model_name: str, kind: str, target: str) -> store.Channel:
    _model_exists(model_name)
    return store.add_channel(model_name, kind, target)


def add_schedule(
    model_name: str, source: str | Path, every_minutes: int, labels_column: str = "", retrain: str = "never"
) -> store.Schedule:
    """Watch ``source`` (a folder or a file pattern) for ``model_name`` every ``every_minutes`` minutes."""
    _model_exists(model_name)
    text = str(source).strip()
    if not text:
        raise InputError("The schedule has no source.", "Name a folder to watch, or a pattern such as /data/in/*.csv.")
    source_files(text)  # refuses a missing folder now, with the same message a run would record
    if retrain == "gate" and not labels_column:
        raise InputError(
            "Retraining needs the real outcomes: say which column holds them.",
            "Add --labels COLUMN (the files must have that column), or leave out --retrain.",
        )
    return store.add_schedule(model_name, text, every_minutes, labels_column=labels_column, retrain=retrain)
