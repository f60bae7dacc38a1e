"""Docs as tests: every check explains itself, every page is reachable and titled, README commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.data.fixes import FIXES, Fix
from core.data.quality import CHECKS, KINDS
from core.vocab import KIND_WORDS
from ui.common import PAGES

ROOT = Path(__file__).resolve().parents[1]


def test_every_check_has_a_title_and_help() -> None:
    assert len(CHECKS) >= 11
    for code, check in CHECKS.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code)
        assert check.title and check.title[0].isupper(), code
        assert len(check.help) > 20, code


def test_every_kind_is_explained() -> None:
    assert set(KINDS) == set(KIND_WORDS)


@pytest.mark.parametrize("fix", list(FIXES.values()), ids=list(FIXES))
def test_every_fix_has_a_button_label(fix: Fix) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*", fix.id)
    assert fix.label and fix.label[0].isupper() and len(fix.label) <= 40, fix.label


def test_every_page_exists_and_sets_itself_up() -> None:
    """Each page calls ui.common.page(...) itself (not st.switch_page or another name ending in 'page(') and
    has a title; the stronger AST check is tests/app/test_structure.py."""
    for path, label, _ in PAGES:
        source = (ROOT / path).read_text()
        assert re.search(r"^(\w+ = )?page\(", source, flags=re.M), path
        assert "st.title(" in source, path
    assert sorted(p.name for p in (ROOT / "pages").glob("*.py")) == sorted(
        Path(path).name for path, _, _ in PAGES if path.startswith("pages/"))


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "./run" in readme and "./test" in readme
    assert (ROOT / "run").stat().st_mode & 0o111 and (ROOT / "test").stat().st_mode & 0o111
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./test" in ci and "chromium" in ci
