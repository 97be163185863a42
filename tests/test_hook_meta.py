"""Meta-tests of the plugin API: every hook is documented in docs/plugins.md, mentioned by
some test, and has a docstring."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from llmcli import hookspecs
from llmcli.plugins import GROUP

TESTS = Path(__file__).resolve().parent
DOCS = TESTS.parent / "docs" / "plugins.md"


def hook_names() -> list[str]:
    """Functions marked by the hookspec decorator (pluggy sets `<project>_spec` on them)."""
    return sorted(
        name for name, value in vars(hookspecs).items()
        if inspect.isfunction(value) and hasattr(value, f"{GROUP}_spec")
    )


HOOKS = hook_names()


def test_hooks_are_found():
    assert "register_tasks" in HOOKS and "register_commands" in HOOKS
    # the manager's own idea of the hooks (plugins.check_hook_names) is the same list
    assert HOOKS == sorted(name for name in dir(hookspecs) if name.startswith("register_"))


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    assert DOCS.is_file(), f"{DOCS} is missing: it must document every hook"
    headings = [line for line in DOCS.read_text(encoding="utf-8").splitlines() if line.startswith("### ")]
    assert any(line.startswith(f"### {hook}(") for line in headings), (
        f"docs/plugins.md has no heading '### {hook}(...)'; its ### headings: {headings}")


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_tested(hook):
    others = [path for path in sorted(TESTS.rglob("test_*.py")) if path.name != Path(__file__).name]
    mentioned = [path.name for path in others if re.search(rf"\b{hook}\b", path.read_text(encoding="utf-8"))]
    assert mentioned, f"no test file under tests/ mentions {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook))
    assert doc and len(doc.split()) >= 5, f"hookspec {hook} has no useful docstring"
