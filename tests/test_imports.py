"""The package's imports: stages point down DESIGN.md's list, and no module imports itself back.

Read statically from the source (every import, function-local ones included), so a cycle hidden
inside a function, which Python resolves at run time, fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "glioma_lib"
# DESIGN.md's stages, bottom first: a module imports only from its own stage or those before it.
STAGES = ["core", "config", "cohort", "inputs", "models", "training", "weak_labels", "survival", "analyses",
          "results", "external", "pipeline", "cli"]  # fmt: skip


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(module: str) -> set[str]:
    """The package's modules that ``module`` imports anywhere in its source."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("glioma_lib"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in MODULES}
    return found - {module}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle's modules (strongly connected components of more than one module)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_hidden_behind_a_chain():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}}) == []


def test_no_module_imports_itself_back():
    assert cycles({module: imported(module) for module in MODULES}) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.count(".") >= 1))
def test_imports_point_down_the_stages(module):
    stage = STAGES.index(module.split(".")[1])
    upward = sorted(m for m in imported(module) if m.count(".") >= 1 and STAGES.index(m.split(".")[1]) > stage)
    assert upward == [], f"{module} imports a later stage"
