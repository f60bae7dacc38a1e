"""Measure core/'s shape: module sizes, function sizes, import cycles, private names used across modules.

    .venv/bin/python tools/architecture.py            # a report
    .venv/bin/python tools/architecture.py --check    # exit 1 when a limit is broken (tests/test_architecture.py)

Limits (issue 15): no module over 800 lines, no function over 80 lines, no import cycle between modules
(imports inside functions and under TYPE_CHECKING count too: a lazy import only hides a cycle), and no
module using another module's private (underscore) names.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80


@dataclass
class Shape:
    modules: dict[str, int] = field(default_factory=dict)  # module -> lines
    long_functions: list[tuple[str, str, int]] = field(default_factory=list)  # (module, function, lines)
    imports: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    private_uses: list[tuple[str, str]] = field(default_factory=list)  # (module, "other.module._name")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, name: str, modules: set[str]) -> str | None:
    """The core module an import refers to: 'core.data' or 'core.data.ingest' (submodule imported by name)."""
    if f"{module}.{name}" in modules:
        return f"{module}.{name}"
    return module if module in modules else None


def measure(package: str = "core") -> Shape:
    shape = Shape()
    files = sorted((ROOT / package).rglob("*.py"))
    names = {module_name(f) for f in files}
    for path in files:
        mod = module_name(path)
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        shape.modules[mod] = len(text.splitlines())
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    shape.long_functions.append((mod, node.name, length))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == package and alias.name in names:
                        shape.imports[mod].add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    anchor = mod.split(".") if is_package else mod.split(".")[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                if base.split(".")[0] != package:
                    continue
                for alias in node.names:
                    target = _resolve(base, alias.name, names)
                    if target and target != mod:
                        shape.imports[mod].add(target)
                    if alias.name.startswith("_") and not alias.name.startswith("__") and base != mod:
                        shape.private_uses.append((mod, f"{base}.{alias.name}"))
            elif (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in _module_aliases(tree, names)
            ):
                shape.private_uses.append((mod, f"{_module_aliases(tree, names)[node.value.id]}.{node.attr}"))
    return shape


_ALIASES: dict[int, dict[str, str]] = {}


def _module_aliases(tree: ast.AST, names: set[str]) -> dict[str, str]:
    """Local names bound to core modules in this file ('from core import store' -> store: core.store)."""
    key = id(tree)
    if key not in _ALIASES:
        found: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in names:
                        found[alias.asname or alias.name] = full
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in names and alias.asname:
                        found[alias.asname] = alias.name
        _ALIASES[key] = found
    return _ALIASES[key]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _without_package_reexports(shape: Shape) -> dict[str, set[str]]:
    """The import graph, where a package's __init__ re-exporting its own submodules is not a cycle:
    'core.data' -> 'core.data.ingest' -> 'core.data.findings' is the normal shape of a package."""
    graph: dict[str, set[str]] = defaultdict(set)
    for mod, targets in shape.imports.items():
        for t in targets:
            if t.startswith(mod + "."):  # a package importing its own submodules
                continue
            graph[mod].add(t)
    return graph


def report(shape: Shape) -> list[str]:
    problems = []
    for mod, lines in sorted(shape.modules.items(), key=lambda kv: -kv[1]):
        if lines > MAX_MODULE_LINES:
            problems.append(f"module {mod}: {lines} lines (limit {MAX_MODULE_LINES})")
    for mod, fn, lines in sorted(shape.long_functions, key=lambda t: -t[2]):
        problems.append(f"function {mod}.{fn}: {lines} lines (limit {MAX_FUNCTION_LINES})")
    for component in cycles(_without_package_reexports(shape)):
        problems.append(f"import cycle: {' <-> '.join(component)}")
    for mod, name in sorted(set(shape.private_uses)):
        problems.append(f"private name used across modules: {mod} uses {name}")
    return problems


def main(argv: list[str]) -> int:
    shape = measure()
    problems = report(shape)
    biggest = sorted(shape.modules.items(), key=lambda kv: -kv[1])[:10]
    print(
        f"{len(shape.modules)} modules, {sum(shape.modules.values()):,} lines; biggest: "
        + ", ".join(f"{m} {n}" for m, n in biggest)
    )
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems and "--check" in argv else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
