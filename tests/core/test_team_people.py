"""Roles and who is asking (issue 18): what each role may do, a login header trusted only from the login proxy's
address, single-user mode untouched, and every command that changes something refused for a viewer."""

from __future__ import annotations

import json

import pytest

from core import store, team
from core.cli import main
from core.team.people import COMMAND_PERMISSIONS, PERMISSIONS, ROLE_PERMISSIONS

CHANGING = ("upload", "train", "promote", "retrain", "delete")


@pytest.fixture(autouse=True)
def _no_team_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEEL_TRUSTED_PROXY", "KEEL_ADMINS", "KEEL_DEFAULT_ROLE", "KEEL_USER", "KEEL_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("permission", PERMISSIONS)
def test_what_each_role_may_do(permission: str) -> None:
    assert team.permitted("admin", permission) is True
    assert team.permitted("viewer", permission) is (permission == "view")
    assert team.permitted("editor", permission) is (permission not in ("manage_people", "restore"))
    assert team.permitted(None, permission) is True  # single-user mode: everything
    assert team.permitted("stranger", permission) is False


def test_the_issue_s_list_of_what_a_viewer_cannot_do() -> None:
    assert [p for p in CHANGING if team.permitted("viewer", p)] == []
    assert set(CHANGING) <= ROLE_PERMISSIONS["editor"]
    with pytest.raises(ValueError, match="unknown permission 'fly'"):
        team.permitted("admin", "fly")


def test_single_user_mode_needs_no_login_and_allows_everything() -> None:
    access = team.identify({}, None)
    assert access.allowed and access.person is None and access.role is None and not access.team
    assert all(access.may(p) for p in PERMISSIONS)
    assert team.require("train").person is None


def test_a_header_is_trusted_from_the_proxy_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_TRUSTED_PROXY", "127.0.0.1, 10.0.0.0/24")
    store.set_role("ana", "admin", email="ana@example.org")
    store.set_role("bo", "viewer")
    ana = team.identify({"X-Forwarded-User": "ana", "X-Forwarded-Email": "ana@example.org"}, "10.0.0.5")
    assert (ana.person, ana.role, ana.source, ana.allowed) == ("ana", "admin", "proxy", True)
    bo = team.identify({"x-forwarded-user": "bo"}, None)  # None: st.context.ip_address for a loopback connection
    assert bo.role == "viewer" and not bo.may("train") and bo.may("view")
    assert bo.why_not("train") == "bo is a viewer: viewers cannot train models. An admin can change your role."
    by_email = team.identify({"X-Forwarded-Email": "ana@example.org"}, "::ffff:10.0.0.7")
    assert by_email.person == "ana" and by_email.role == "admin"
    forged = team.identify({"X-Forwarded-User": "ana"}, "192.168.1.50")
    assert not forged.allowed and forged.role is None and not forged.may("view")
    assert forged.refusal == (
        "A login header (X-Forwarded-User) arrived from 192.168.1.50, which is not Keel's login proxy, "
        "so Keel did not trust it."
    )
    assert "through the login proxy" in forged.hint
    direct = team.identify({}, "192.168.1.50")
    assert not direct.allowed and "not through the login proxy" in direct.refusal
    silent_proxy = team.identify({}, "10.0.0.5")
    assert not silent_proxy.allowed and "--pass-user-headers" in silent_proxy.hint


def test_a_header_without_a_configured_proxy_is_refused_never_trusted() -> None:
    access = team.identify({"X-Forwarded-User": "mallory"}, "203.0.113.9")
    assert not access.allowed and access.person is None
    assert "Keel is not set up to trust any login proxy" in access.refusal
    assert "KEEL_TRUSTED_PROXY" in access.hint


def test_an_unknown_person_is_refused_unless_a_default_role_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_TRUSTED_PROXY", "127.0.0.1")
    store.set_role("ana", "admin")
    cy = team.identify({"X-Forwarded-User": "cy"}, "127.0.0.1")
    assert not cy.allowed and cy.refusal == "cy is signed in but has no role in Keel yet."
    assert "`python -m core people add cy --role viewer`" in cy.hint
    monkeypatch.setenv("KEEL_DEFAULT_ROLE", "viewer")
    cy = team.identify({"X-Forwarded-User": "cy"}, "127.0.0.1")
    assert cy.allowed and cy.role == "viewer"
    monkeypatch.setenv("KEEL_DEFAULT_ROLE", "boss")
    with pytest.raises(team.AccessDenied, match="KEEL_DEFAULT_ROLE is 'boss'"):
        team.identify({"X-Forwarded-User": "cy"}, "127.0.0.1")


def test_a_bad_proxy_setting_is_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_TRUSTED_PROXY", "proxy.internal")
    with pytest.raises(team.AccessDenied, match=r"'proxy\.internal', which is not an address or a network") as err:
        team.identify({"X-Forwarded-User": "ana"}, "127.0.0.1")
    assert "KEEL_TRUSTED_PROXY=127.0.0.1,10.0.0.5" in err.value.hint


def test_oidc_login_and_a_team_without_any_login(monkeypatch: pytest.MonkeyPatch) -> None:
    store.set_role("ana", "editor", email="ana@example.org")
    oidc = team.identify({}, "198.51.100.4", {"is_logged_in": True, "email": "ana@example.org"})
    assert oidc.allowed and oidc.person == "ana" and oidc.role == "editor" and oidc.source == "oidc"
    not_yet = team.identify({}, "198.51.100.4", {"is_logged_in": False})
    assert not not_yet.allowed and not_yet.login_needed
    nobody = team.identify({}, None)
    assert not nobody.allowed and "no login is configured" in nobody.refusal
    assert "people remove" in nobody.hint


def test_keel_admins_names_the_first_admin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEEL_ADMINS", "ana")
    monkeypatch.setenv("KEEL_USER", "ana")
    assert team.team_configured()
    code, out, err = _run(capsys, "people", "add", "bo", "--role", "viewer", "--json")
    assert code == 0, err
    listing = json.loads(out)
    assert listing["people"] == [{"name": "bo", "email": None, "role": "viewer"}]
    assert listing["admins_from_env"] == ["ana"]
    assert [e.actor for e in store.audit_log() if e.action == "role"] == ["ana"]


def test_the_first_person_must_be_an_admin_and_the_last_admin_stays(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "people", "add", "bo", "--role", "viewer")
    assert code == 2 and "The first person in Keel must be an admin" in err
    code, out, err = _run(capsys, "people", "add", "ana", "--role", "admin")
    assert code == 0 and out.strip() == "ana is now an admin"
    monkeypatch.setenv("KEEL_USER", "ana")
    code, _, err = _run(capsys, "people", "add", "ana", "--role", "editor")
    assert code == 2 and "ana is the last admin" in err
    code, _, err = _run(capsys, "people", "remove", "ana")
    assert code == 0, err  # the last person: back to single-user mode
    assert not team.team_configured()


def _model(name: str = "churn") -> store.ModelInfo:
    return store.save_model(
        b"m",
        name=name,
        task="classification",
        algorithm="x",
        dataset_id=None,
        target="y",
        metrics={},
        params={},
        schema={},
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["people", "add", "cy", "--role", "viewer"],
        ["people", "remove", "bo"],
        ["alerts", "add", "churn", "--email", "team@example.org"],
        ["alerts", "remove", "1"],
        ["alerts", "send"],
        ["schedule", "add", "churn", "SOURCE", "--every", "60"],
        ["schedule", "remove", "1"],
        ["scheduler", "--once"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_viewer_is_refused_every_changing_team_command(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    _model()
    store.set_role("ana", "admin")
    store.set_role("bo", "viewer")
    channel = store.add_channel("churn", "email", "x@example.org")
    schedule = store.add_schedule("churn", str(tmp_path), 60)
    argv = [str(tmp_path) if a == "SOURCE" else a for a in argv]
    monkeypatch.setenv("KEEL_USER", "bo")
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: bo is a viewer: viewers cannot ")
    assert "hint: Ask an admin" in err
    # nothing changed
    assert [p.name for p in store.list_people()] == ["ana", "bo"]
    assert [c.id for c in store.list_channels()] == [channel.id]
    assert [s.id for s in store.list_schedules()] == [schedule.id]
    # and an editor may (except people, which is an admin's)
    monkeypatch.setenv("KEEL_USER", "ana")
    code, _, err = _run(capsys, *argv)
    assert code == 0, err


@pytest.mark.parametrize("command", sorted(COMMAND_PERMISSIONS))
def test_every_changing_command_is_refused_for_a_viewer_by_require(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The permission the CLI's entry point checks for each command (`require(permission_for(...))`)."""
    store.set_role("ana", "admin")
    store.set_role("bo", "viewer")
    monkeypatch.setenv("KEEL_USER", "bo")
    permission = team.permission_for(*command.split(" ", 1))
    assert permission != "view"
    with pytest.raises(team.AccessDenied, match=r"^bo is a viewer: viewers cannot "):
        team.require(permission)
    assert team.require("view").role == "viewer"
    monkeypatch.setenv("KEEL_USER", "ana")
    assert team.require(permission).role == "admin"


def test_reading_commands_need_only_view() -> None:
    assert [
        c
        for c in ("models", "predict", "profile", "drift", "check", "backup", "people", "alerts")
        if team.permission_for(c) != "view"
    ] == []
    assert team.permission_for("alerts", "list") == "view"
    assert team.permission_for("people", "add") == "manage_people"


def test_someone_without_a_role_is_refused_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store.set_role("ana", "admin")
    monkeypatch.setenv("KEEL_USER", "mallory")
    code, _, err = _run(capsys, "people", "add", "mallory", "--role", "admin")
    assert code == 2
    assert "error: 'mallory' has no role in Keel, which is shared by a team." in err
    assert store.get_person("mallory") is None


def test_what_a_person_did_is_recorded_with_their_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _model()
    store.set_role("ana", "admin")
    store.set_role("ed", "editor")
    monkeypatch.setenv("KEEL_USER", "ed")
    code, _, err = _run(capsys, "alerts", "add", "churn", "--slack", "https://hooks.slack.com/services/T0/B0/secret")
    assert code == 0, err
    assert [e.actor for e in store.audit_log() if e.action == "channel"] == ["ed"]
    code, out, _ = _run(capsys, "alerts", "list", "--json")
    listed = json.loads(out)["channels"]
    assert listed[0]["target"] == "https://hooks.slack.com/…cret"  # a webhook's path is its secret


def test_the_store_refuses_a_write_the_acting_role_does_not_allow_and_keeps_nothing() -> None:
    import pandas as pd

    from core.errors import AccessDenied
    from core.store.roles import ACTION_PERMISSIONS, PERMISSIONS

    assert set(ACTION_PERMISSIONS.values()) <= set(PERMISSIONS)
    frame = pd.DataFrame({"a": [1, 2, 3]})
    with store.acting_as("bo", "viewer"), pytest.raises(AccessDenied) as refused:
        store.save_dataset(frame, "sales.csv")
    assert str(refused.value) == "bo is a viewer: viewers cannot add data or record new batches."
    assert "People page" in refused.value.hint
    assert store.list_datasets() == [] and store.audit_log() == []
    with store.acting_as("cy", "editor"):
        kept = store.save_dataset(frame, "sales.csv")
        with pytest.raises(AccessDenied, match=r"^cy is an editor: editors cannot change who has which role"):
            store.set_role("dee", "admin")
    assert [e.actor for e in store.audit_log()] == ["cy"] and store.list_people() == []
    store.save_dataset(frame.assign(b=1), "more.csv")  # no role set: one person on a laptop, or Keel itself
    assert len(store.list_datasets()) == 2 and kept.id == store.list_datasets()[-1].id


def _keep_a_table(progress: object = None) -> int:
    """Work a page hands to a worker process: it writes to the store."""
    import pandas as pd

    return store.save_dataset(pd.DataFrame({"a": [1, 2]}), "sales.csv").id


def test_work_done_in_a_worker_process_is_checked_against_the_role_of_who_asked() -> None:
    from core import jobs
    from core.errors import AccessDenied

    with store.acting_as("bo", "viewer"):
        refused = jobs.wait(jobs.submit("Keeping a table", _keep_a_table), 120)
    assert refused.status == "failed" and isinstance(refused.error, AccessDenied)
    assert str(refused.error) == "bo is a viewer: viewers cannot add data or record new batches."
    with store.acting_as("cy", "editor"):
        kept = jobs.wait(jobs.submit("Keeping a table", _keep_a_table), 120)
    assert kept.status == "done" and [e.actor for e in store.audit_log()] == ["cy"]


def test_every_audited_write_needs_a_permission_or_is_keels_own() -> None:
    """A new kind of write cannot slip past the roles: each action core writes to the audit log is in the table."""
    import re
    from pathlib import Path

    from core.store.roles import ACTION_PERMISSIONS, OWN_ACTIONS

    root = Path(__file__).resolve().parents[2] / "core"
    written = set()
    for path in root.rglob("*.py"):
        text = path.read_text()
        written |= set(re.findall(r'audit_event\(\s*db,\s*"([a-z_]+)"[,)]', text))
        written |= set(re.findall(r'record_decision\(\s*[\w.]+,\s*"([a-z_]+)"', text))
        if '"alert_" + (' in text:
            written |= {"alert_sent", "alert_failed"}
        if '"upload" if parent_id is None else "derive"' in text:
            written |= {"upload", "derive"}
    assert {"register", "stage", "role", "apikey", "alert_sent", "gate"} <= written  # the scan finds them
    assert written - set(ACTION_PERMISSIONS) - set(OWN_ACTIONS) == set()
