"""The People page (AppTest): one person on a laptop sees that no login is needed and may give the first role;
a store with people but no login proxy configured stops every page with what to set."""

from __future__ import annotations

from core import store
from tests.app.helpers import open_page, texts


def test_alone_on_a_laptop_keel_says_no_login_is_needed() -> None:
    at = open_page("pages/8_People.py")
    assert not at.exception
    shown = texts(at)
    assert "Keel runs for one person: nobody has a role yet" in shown
    assert [b.label for b in at.button] == ["Save"]  # the first admin can be added here
    assert "Signed in as" not in shown


def test_people_without_a_login_stop_every_page_with_what_to_set() -> None:
    store.set_role("ana", "admin")
    for page in ("app.py", "pages/8_People.py", "pages/2_Train.py"):
        at = open_page(page)
        assert not at.exception
        shown = texts(at)
        assert "Keel is set up for a team (people have roles), but no login is configured" in shown, page
        assert "KEEL_TRUSTED_PROXY" in shown and "Save" not in [b.label for b in at.button]
