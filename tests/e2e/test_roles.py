"""Roles through a real login header: a real Streamlit server that trusts the header only from its proxy's
address (KEEL_TRUSTED_PROXY=127.0.0.1, where the browser stands in for the proxy), driven by headless Chromium
that sends ``X-Forwarded-User`` on every request, as oauth2-proxy or nginx ``auth_request`` would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from core import store
from tests.e2e.conftest import Server, shot, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture
def team_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, Path]]:
    home = tmp_path / "keel_home"
    store.set_role("ana", "admin", home=home)
    store.set_role("bo", "viewer", home=home)
    store.set_role("cy", "editor", home=home)
    monkeypatch.setenv("KEEL_TRUSTED_PROXY", "127.0.0.1")
    srv = Server(home, tmp_path / "streamlit.log")
    yield srv, home
    srv.stop()


def _as(browser: Browser, person: str | None):
    headers = {"X-Forwarded-User": person} if person else {}
    context = browser.new_context(extra_http_headers=headers, viewport={"width": 1366, "height": 1600})
    return context, context.new_page()


def test_a_viewer_sees_plainly_what_they_cannot_do(team_server: tuple[Server, Path], browser: Browser) -> None:
    srv, home = team_server
    context, page = _as(browser, "bo")
    try:
        page.goto(f"{srv.url}/People")
        wait_idle(page)
        expect(page.get_by_text("Signed in as bo · viewer")).to_be_visible()
        expect(page.get_by_text("bo is a viewer: viewers cannot change who has which role.")).to_be_visible()
        expect(page.get_by_role("button", name="Save")).to_have_count(0)
        shot(page, "roles_viewer_people")
        # a viewer who tries to keep a sample is refused by the store, plainly, and nothing is kept
        page.goto(srv.url)
        wait_idle(page)
        page.get_by_role("button", name="Open this sample").first.click()
        wait_idle(page, 120_000)
        expect(page.get_by_text("bo is a viewer: viewers cannot add data or record new batches.")).to_be_visible()
        assert store.list_datasets(home=home) == []
    finally:
        context.close()


def test_an_editor_adds_data_but_does_not_give_roles(team_server: tuple[Server, Path], browser: Browser) -> None:
    srv, home = team_server
    context, page = _as(browser, "cy")
    try:
        page.goto(srv.url)
        wait_idle(page)
        expect(page.get_by_text("Signed in as cy · editor")).to_be_visible()
        page.get_by_role("button", name="Open this sample").first.click()
        deadline = time.monotonic() + 120
        while not store.list_datasets(home=home) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert len(store.list_datasets(home=home)) == 1
        assert [e.actor for e in store.audit_log(home=home) if e.action == "upload"] == ["cy"]
        page.goto(f"{srv.url}/People")
        wait_idle(page)
        expect(page.get_by_text("cy is an editor: editors cannot change who has which role.")).to_be_visible()
    finally:
        context.close()


def test_an_admin_gives_a_role_and_the_audit_log_names_them(team_server: tuple[Server, Path], browser: Browser) -> None:
    srv, home = team_server
    context, page = _as(browser, "ana")
    try:
        page.goto(f"{srv.url}/People")
        wait_idle(page)
        expect(page.get_by_text("Signed in as ana · admin")).to_be_visible()
        page.get_by_label("Name (as the login proxy sends it)").fill("dee")
        page.get_by_test_id("stRadioGroup").get_by_text("editor", exact=True).click()
        page.get_by_role("button", name="Save").click()
        deadline = time.monotonic() + 30
        while store.get_person("dee", home=home) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        wait_idle(page)
        shot(page, "roles_admin_people")
        people = {p.name: p.role for p in store.list_people(home=home)}
        assert people == {"ana": "admin", "bo": "viewer", "cy": "editor", "dee": "editor"}
        last = store.audit_log(home=home)[0]
        assert (last.action, last.actor) == ("role", "ana")
    finally:
        context.close()


def test_no_header_and_an_unknown_person_are_refused(team_server: tuple[Server, Path], browser: Browser) -> None:
    srv, _ = team_server
    for person, words in (
        (None, "did not say who you are"),
        ("mallory", "mallory is signed in but has no role in Keel yet."),
    ):
        context, page = _as(browser, person)
        try:
            page.goto(srv.url)
            wait_idle(page)
            expect(page.get_by_text(words)).to_be_visible()
            expect(page.get_by_role("button", name="Open this sample")).to_have_count(0)
        finally:
            context.close()
