"""What the plugins registered: tasks, datasets, metrics and heads, each with its plugin.

`build(plugins)` collects it from the hooks of the Plugins it is given; `get()` builds it
from `llmcli.plugins.get_plugins()` when first asked, and again when those are reloaded.
Looking a name up gives a clear error that lists what exists, and a name two plugins
registered is an error naming both.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from llmcli.errors import UserError


@dataclass
class Entry:
    item: object
    plugin: str


@dataclass
class Kind:
    """One kind of registered thing (tasks, say): entries by name, and conflicts."""

    noun: str  # "task"
    list_command: str  # where the user sees them all
    entries: dict[str, Entry] = field(default_factory=dict)
    conflicts: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, item, plugin: str) -> None:
        if name in self.conflicts:
            self.conflicts[name].append(plugin)
        elif name in self.entries:
            self.conflicts[name] = [self.entries.pop(name).plugin, plugin]
        else:
            self.entries[name] = Entry(item, plugin)

    def get(self, name: str):
        return self.entry(name).item

    def entry(self, name: str) -> Entry:
        if name in self.conflicts:
            raise UserError(conflict_message(self.noun, name, self.conflicts[name]))
        if name not in self.entries:
            known = sorted(self.entries)
            hint = did_you_mean(name, known)
            listing = ", ".join(known) if known else "none is installed"
            raise UserError(f"unknown {self.noun} {name!r}: {hint}known: {listing} (see `{self.list_command}`)")
        return self.entries[name]

    def names(self) -> list[str]:
        return sorted(self.entries)


def did_you_mean(name: str, known: list[str]) -> str:
    """"did you mean 'x'? " for a name close to one known, else ""."""
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def conflict_message(noun: str, name: str, plugins: list[str]) -> str:
    both = " and ".join(plugins)
    return (f"{noun} {name!r} is registered by two plugins, {both}: uninstall one of them "
            f"(`llmcli uninstall PACKAGE`) or choose with LLMCLI_LOAD_PLUGINS")


@dataclass
class Registry:
    tasks: Kind
    datasets: Kind
    metrics: Kind
    heads: Kind


def build(plugins) -> Registry:
    """What the hooks of `plugins` (a llmcli.plugins.Plugins) register."""
    registry = Registry(
        tasks=Kind("task", "llmcli tasks"),
        datasets=Kind("dataset", "llmcli data list"),
        metrics=Kind("metric", "llmcli tasks"),
        heads=Kind("head", "llmcli tasks"),
    )
    for hook, kind in [
        ("register_heads", registry.heads),
        ("register_metrics", registry.metrics),
        ("register_tasks", registry.tasks),
        ("register_datasets", registry.datasets),
    ]:
        for impl in getattr(plugins.manager.hook, hook).get_hookimpls():
            pending: list = []

            def register(item, _noun=kind.noun, _pending=pending):
                name = getattr(item, "name", None)
                if not isinstance(name, str) or not name:
                    raise TypeError(f"{_noun} {item!r} has no name")
                _pending.append(item)

            # all or nothing: a plugin that fails halfway registers none of its items
            if plugins.call_one(impl, hook, register=register):
                for item in pending:
                    kind.add(item.name, item, impl.plugin_name)
    return registry


_built: tuple[object, Registry] | None = None  # (the Plugins it was built from, the registry)


def get() -> Registry:
    """The registry of the loaded plugins, built once for each Plugins object (so anew
    after `llmcli.plugins.reset()`)."""
    global _built
    from llmcli.plugins import get_plugins

    plugins = get_plugins()
    if _built is None or _built[0] is not plugins:
        _built = (plugins, build(plugins))
    return _built[1]


def get_task(name: str):
    """The registered task called `name` (a llmcli.tasks.Task), or a UserError listing them."""
    return get().tasks.get(name)


def get_head(name: str):
    """The registered head called `name` (a llmcli.heads.Head), or a UserError listing them."""
    return get().heads.get(name)
