"""The package graph in docs/architecture.md, drawn from the real imports.

    .venv/bin/python tools/architecture_graph.py            # rewrite the graph between the markers
    .venv/bin/python tools/architecture_graph.py --check    # exit 1 when the drawn graph is stale

core's edges come from ``tools/architecture.py``'s ``measure()`` (every import, lazy and TYPE_CHECKING ones
too), folded to packages: ``core.data.ingest.read`` counts as ``core.data``. The faces (app.py and pages/,
ui/) are read the same way. An edge A --> B means "A imports B"; nothing inside one package is drawn.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from tools.architecture import measure  # noqa: E402  (after the path is set)

DOC = ROOT / "docs" / "architecture.md"
START, END = "<!-- graph:start (tools/architecture_graph.py) -->", "<!-- graph:end -->"
FOUNDATION = {"core.errors", "core.paths", "core.bugs"}  # used nearly everywhere: one node
LAYERS = (  # subgraph title, nodes (top to bottom: who uses whom)
    ("faces", ("pages", "ui", "core.cli")),
    ("orchestration", ("core.workflows", "core.jobs")),
    ("domain", ("core.charts", "core.monitoring", "core.forecasting", "core.models", "core.data")),
    ("shared", ("core.store", "core.vocab", "core.errors · paths · bugs")),
)


def node(module: str) -> str | None:
    """The drawn node of a module: its package under core, 'pages' or 'ui' for the faces."""
    if module in FOUNDATION:
        return "core.errors · paths · bugs"
    parts = module.split(".")
    if parts[0] in ("pages", "ui"):
        return parts[0]
    if parts[0] != "core" or len(parts) < 2 or parts[1] == "__main__":
        return None
    return ".".join(parts[:2])


def _face_imports() -> dict[str, set[str]]:
    """What app.py, pages/ and ui/ import from core and ui (module names as written)."""
    found: dict[str, set[str]] = {}
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        source = "ui" if path.parent.name == "ui" else "pages"
        targets = found.setdefault(source, set())
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Import):
                targets.update(a.name for a in n.names)
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                targets.add(n.module)
                if n.module in ("core", "ui"):  # 'from core import store' names a package
                    targets.update(f"{n.module}.{a.name}" for a in n.names)
    return found


def edges() -> set[tuple[str, str]]:
    """(user, used) between drawn nodes, from the code as it is."""
    found = set()
    imports = {m: set(t) for m, t in measure().imports.items()}
    for source, targets in _face_imports().items():
        imports.setdefault(source, set()).update(targets)
    for module, targets in imports.items():
        a = node(module)
        for target in targets:
            b = node(target)
            if a and b and a != b:
                found.add((a, b))
    return found


def _id(name: str) -> str:
    return name.replace("core.errors · paths · bugs", "foundation").replace(".", "_")


def render() -> str:
    """The Mermaid block, between its markers."""
    all_edges = sorted(edges())
    drawn = {n for e in all_edges for n in e}
    lines = [START, "```mermaid", "graph TD"]
    placed = set()
    for title, nodes in LAYERS:
        lines.append(f"  subgraph {title}")
        for n in nodes:
            if n in drawn:
                lines.append(f'    {_id(n)}["{n}"]')
                placed.add(n)
        lines.append("  end")
    lines += [f'  {_id(n)}["{n}"]' for n in sorted(drawn - placed)]  # a package no layer names yet
    lines += [f"  {_id(a)} --> {_id(b)}" for a, b in all_edges]
    lines += ["```", END]
    return "\n".join(lines)


def drawn_block(text: str) -> str:
    start, end = text.index(START), text.index(END) + len(END)
    return text[start:end]


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    block = render()
    if "--check" in argv:
        if drawn_block(text) != block:
            print(f"the graph in {DOC} is stale: run .venv/bin/python tools/architecture_graph.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text.replace(drawn_block(text), block), encoding="utf-8")
    print(f"wrote the graph in {DOC} ({len(edges())} edges)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
