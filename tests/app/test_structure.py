"""The faces keep their shape: every session-state key is declared in ui/state.py, pages and the CLI import
core only through each package's public names, and every page sets itself up with its navigation title.

Each rule is a small AST check, shown to fail on a snippet that breaks it (so the checks can fail)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.app.helpers import open_page
from ui import state
from ui.common import PAGES

ROOT = Path(__file__).resolve().parents[2]
FACES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"), *(ROOT / "core" / "cli").glob("*.py")])
UI_FILES = [p for p in FACES if "cli" not in p.parts]
DECLARED = {name for name in vars(state) if name.isupper()}
STATE_METHODS = {"get", "pop", "setdefault"}
KEY_PARAMETERS = {"choose": (2, "key")}  # ui.common helpers that take the key: (position, parameter name)


def _is_session_state(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "session_state"


def _declared_key(node: ast.AST) -> bool:
    """``state.NAME`` with NAME declared in ui/state.py."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "state"
        and node.attr in DECLARED
    )


def _passed_key(node: ast.AST, tree: ast.AST) -> bool:
    """The key parameter of a helper in KEY_PARAMETERS, used inside that helper."""
    return isinstance(node, ast.Name) and any(
        isinstance(f, ast.FunctionDef)
        and f.name in KEY_PARAMETERS
        and node.id == KEY_PARAMETERS[f.name][1]
        and f.lineno <= node.lineno <= (f.end_lineno or f.lineno)
        for f in ast.walk(tree)
    )


def undeclared_keys(source: str) -> list[str]:
    """Every use of st.session_state whose key is not a ui.state constant (string keys, local constants),
    and every call of a key-taking helper (``choose``) with such a key."""
    bad = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEY_PARAMETERS:
            position, name = KEY_PARAMETERS[node.func.id]
            given = [k.value for k in node.keywords if k.arg == name] + node.args[position : position + 1]
            if not given or not _declared_key(given[0]):
                bad.append(f"line {node.lineno}: {node.func.id}(…) without a ui.state key")
            continue
        if isinstance(node, ast.Subscript) and _is_session_state(node.value):
            key = node.slice
        elif isinstance(node, ast.Attribute) and _is_session_state(node.value):
            if node.attr not in STATE_METHODS:
                bad.append(f"line {node.lineno}: session_state.{node.attr}")
            continue
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and _is_session_state(node.func.value)
            and node.args
        ):
            key = node.args[0]
        elif isinstance(node, ast.Compare) and any(_is_session_state(c) for c in node.comparators):
            key = node.left
        if key is not None and not _declared_key(key) and not _passed_key(key, tree):
            bad.append(f"line {node.lineno}: {ast.unparse(key)}")
    return bad


def _public(package: str) -> set[str] | None:
    module = importlib.import_module(package)
    return set(getattr(module, "__all__", ())) if hasattr(module, "__path__") else None


def private_imports(source: str) -> list[str]:
    """Imports of core that reach inside a package (``core.data.ingest``) or take a name the package's
    ``__init__`` does not list in ``__all__``."""
    bad = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            bad += [f"import {a.name}" for a in node.names if a.name.startswith("core.") and a.name.count(".") > 1]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "core":
            parts = node.module.split(".")
            if len(parts) > 2 and parts[1] != "cli":  # inside another package (the CLI's own modules are its own)
                bad.append(f"from {node.module} import …")
            elif len(parts) == 2 and parts[1] != "cli" and (public := _public(node.module)) is not None:
                bad += [f"from {node.module} import {a.name}" for a in node.names if a.name not in public]
    return bad


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_session_state_key_is_declared_in_ui_state(path: Path) -> None:
    assert undeclared_keys(path.read_text()) == []


@pytest.mark.parametrize("path", FACES, ids=lambda p: str(p.relative_to(ROOT)))
def test_faces_import_core_only_through_public_names(path: Path) -> None:
    assert private_imports(path.read_text()) == []


def test_the_checks_catch_what_they_forbid() -> None:
    snippet = """
import streamlit as st
from ui import state
JOB = "keel_job"
st.session_state["keel_result"] = 1
st.session_state.get(JOB)
st.session_state.pop("x", None)
if "y" in st.session_state: pass
st.session_state.keel_other = 2
st.session_state[state.NOT_DECLARED] = 3
st.session_state[state.DATASET_ID] = 4
choose("Model", [], "keel_model", str)
choose("Model", [], state.MODEL_ID, str)
def helper(key):
    st.session_state[key] = 5
"""
    assert len(undeclared_keys(snippet)) == 8
    imports = "from core.data.ingest import read_table\nfrom core.models import _secret\nimport core.models.train\n"
    imports += "from core.data import read_table\nfrom core import store\nfrom core.paths import keel_home\n"
    assert private_imports(imports) == [
        "from core.data.ingest import …",
        "from core.models import _secret",
        "import core.models.train",
    ]


def _setup_call(path: Path) -> ast.Call | None:
    """The first statement after the imports, if it is a call of ui.common.page."""
    tree = ast.parse(path.read_text())
    imported = any(
        isinstance(n, ast.ImportFrom) and n.module == "ui.common" and any(a.name == "page" for a in n.names)
        for n in tree.body
    )
    body = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom))]
    body = body[1:] if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else body
    first = body[0] if body else None
    # page() returns who is asking (ui.access): a page that needs it keeps it, `access = page(...)`
    if imported and isinstance(first, (ast.Expr, ast.Assign)) and isinstance(first.value, ast.Call):
        func = first.value.func
        if isinstance(func, ast.Name) and func.id == "page":
            return first.value
    return None


@pytest.mark.parametrize(("path", "label", "icon"), PAGES, ids=[p for p, _, _ in PAGES])
def test_every_page_first_sets_itself_up_with_its_navigation_title(path: str, label: str, icon: str) -> None:
    """Stronger than finding 'page(' in the source (which st.switch_page( satisfies): the first thing the page
    does is ui.common.page(<its navigation label>, <its icon>)."""
    call = _setup_call(ROOT / path)
    assert call is not None, f"{path} does not start with ui.common.page(...)"
    args = [ast.literal_eval(a) for a in call.args]
    assert args[0] == label
    if path != "app.py":  # Home keeps Keel's anchor as its tab icon; the navigation shows a house
        assert args[1:] == [icon]


def test_a_page_that_only_switches_pages_is_not_set_up(tmp_path: Path) -> None:
    fake = tmp_path / "fake.py"
    fake.write_text('import streamlit as st\nfrom ui.common import page\nst.switch_page("app.py")\npage("X")\n')
    assert _setup_call(fake) is None


@pytest.mark.parametrize("path", [p for p, _, _ in PAGES])
def test_every_page_shows_the_navigation_even_with_nothing_stored(path: str) -> None:
    at = open_page(path)
    assert not at.exception, [e.value for e in at.exception]
    links = [el.proto.label for el in at.sidebar.get("page_link")]
    assert links == [label for _, label, _ in PAGES]
