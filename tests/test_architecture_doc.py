"""docs/architecture.md draws the packages and who imports whom: the drawing must match the code."""

from __future__ import annotations

from pathlib import Path

from tools import architecture_graph


def test_the_drawn_graph_matches_the_imports() -> None:
    text = architecture_graph.DOC.read_text(encoding="utf-8")
    assert architecture_graph.drawn_block(text) == architecture_graph.render(), (
        "docs/architecture.md's graph is stale: run .venv/bin/python tools/architecture_graph.py"
    )


def test_the_graph_holds_the_edges_the_faces_really_have() -> None:
    edges = architecture_graph.edges()
    # the CLI reads files through core.data; pages use ui; core never draws an edge to a face
    assert ("core.cli", "core.data") in edges and ("pages", "ui") in edges and ("pages", "core.charts") in edges
    assert not [e for e in edges if e[1] in ("pages", "ui", "core.cli") and e[0].startswith("core.")]
    assert all(a != b for a, b in edges)  # nothing inside one package is drawn


def test_a_stale_drawing_is_noticed(tmp_path: Path, monkeypatch) -> None:
    doc = tmp_path / "architecture.md"
    block = architecture_graph.render()
    doc.write_text("intro\n" + block.replace("  pages --> ui\n", "") + "\nrest\n", encoding="utf-8")
    monkeypatch.setattr(architecture_graph, "DOC", doc)
    assert architecture_graph.main(["--check"]) == 1
    assert architecture_graph.main([]) == 0  # regenerated in place, the text around it kept
    assert doc.read_text(encoding="utf-8") == "intro\n" + block + "\nrest\n"
    assert architecture_graph.main(["--check"]) == 0
