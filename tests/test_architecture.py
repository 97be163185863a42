"""Meta-tests that keep the house readable: no import cycles among llmcli's modules (imports
inside functions count), the CLI imported by nothing but itself, and modules and functions
short enough to read. Each failure lists every offender, with where to find it."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
CLI = "llmcli.cli"
CLI_ENTRY_POINTS = {"llmcli.__main__"}  # `python -m llmcli` runs the CLI: that is its job


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def package_modules() -> dict[str, tuple[Path, str]]:
    """llmcli's modules: name -> (path, source)."""
    return {module_name(p): (p, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "llmcli").rglob("*.py"))}


def imported_modules(source: str, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of `known` that a module's imports name, wherever the import statement is.
    `from a import b` names a, and a.b too where that is a module."""
    package = name if is_package else name.rpartition(".")[0]
    named = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: up level - 1 packages from this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            named.add(base)
            named.update(f"{base}.{alias.name}" for alias in node.names)
    return named & known


@functools.cache
def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    return {
        name: imported_modules(source, name, path.name == "__init__.py", set(modules))
        for name, (path, source) in modules.items()
    }


def shortest_cycle(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """The shortest path start -> ... -> start (breadth first), or None."""
    paths = {start: [start]}
    queue = [start]
    for node in queue:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return None


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles that together pass through every node on any cycle: the shortest one through
    each node (in name order) that no earlier cycle shown passes through."""
    cycles: list[list[str]] = []
    shown: set[str] = set()
    for start in sorted(graph):
        cycle = None if start in shown else shortest_cycle(graph, start)
        if cycle:
            cycles.append(cycle)
            shown.update(cycle)
    return cycles


def test_cycle_finder_on_a_synthetic_graph():
    graph = {"a": {"b"}, "b": {"c", "x"}, "c": {"a"}, "d": {"d"}, "e": {"a"}, "x": set(), "y": {"z"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["d", "d"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_import_resolution_on_a_synthetic_module():
    known = {"llmcli", "llmcli.model", "llmcli.model.generate", "llmcli.model.steps", "llmcli.cli", "llmcli.cli.bars"}
    source = ("from . import steps\nfrom .. import cli\nimport os\n"
              "def f():\n    from llmcli.cli import bars, main\n")
    assert imported_modules(source, "llmcli.model.generate", False, known) == {
        "llmcli.model", "llmcli.model.steps", "llmcli", "llmcli.cli", "llmcli.cli.bars"}


def test_no_import_cycles():
    cycles = [" -> ".join(cycle) for cycle in find_cycles(import_graph())]
    assert not cycles, "import cycles among llmcli's modules:\n" + "\n".join(cycles)


def test_only_the_cli_imports_the_cli():
    offenders = [
        f"{name} imports {target}"
        for name, targets in sorted(import_graph().items())
        if not (name == CLI or name.startswith(CLI + ".")) and name not in CLI_ENTRY_POINTS
        for target in sorted(targets)
        if target == CLI or target.startswith(CLI + ".")
    ]
    assert not offenders, "modules outside llmcli/cli/ import the CLI:\n" + "\n".join(offenders)


def test_modules_are_short():
    offenders = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path, source in package_modules().values()
        if (lines := len(source.splitlines())) > MAX_MODULE_LINES
    ]
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(offenders)


def test_functions_are_short():
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines"
        for path, source in package_modules().values()
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and (length := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES
    ]
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines (def to last line):\n" + "\n".join(offenders)
