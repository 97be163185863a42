"""The plugin manager: loads the `llmcli` entry points once, isolating broken plugins.

Built-in tasks register through the same entry-point group as third-party plugins; the
only difference is that they ship in the llmcli distribution, and always load.
LLMCLI_LOAD_PLUGINS, a comma-separated list of distribution names, chooses which
third-party plugins load (set but empty: none).

A plugin that fails to import or to register is skipped with one warning line naming it
and the cause; every other plugin and command keeps working.
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass, field

import pluggy

from llmcli import hookspecs

GROUP = "llmcli"
CORE = "llmcli"  # the distribution whose entry points are built in


@dataclass
class PluginInfo:
    name: str  # the entry point's name ("core" for llmcli's own hooks)
    distribution: str
    version: str
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    error: str | None = None  # why it was skipped


class Plugins:
    """The loaded plugin manager and what is known about each plugin."""

    def __init__(self):
        self.manager = pluggy.PluginManager(GROUP)
        self.manager.add_hookspecs(hookspecs)
        self.info: dict[str, PluginInfo] = {}
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"Warning: {message}", file=sys.stderr)

    def add(self, module, info: PluginInfo) -> None:
        """Register a loaded plugin module, reporting hook names that match no hook."""
        self.check_hook_names(module, info.name)
        try:
            self.manager.register(module, name=info.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            info.error = str(exc).splitlines()[0]
            self.warn(f"plugin {info.name} ({info.distribution}) was skipped: {info.error}")
        else:
            known = set(hook_names())
            info.hooks = sorted(  # a misspelled hook was reported, and is not a hook
                caller.name for caller in self.manager.get_hookcallers(module) or [] if caller.name in known
            )
        self.info[info.name] = info

    def check_hook_names(self, module, plugin_name: str) -> None:
        known = hook_names()
        for attr in dir(module):
            if hasattr(getattr(module, attr, None), f"{GROUP}_impl") and attr not in known:
                close = difflib.get_close_matches(attr, sorted(known), n=1)
                hint = f": did you mean {close[0]}?" if close else f" (hooks: {', '.join(sorted(known))})"
                self.warn(f"plugin {plugin_name} implements an unknown hook {attr}{hint}")

    def call(self, hook_name: str, **kwargs) -> None:
        """Call every implementation of a hook, one plugin at a time, in loading order."""
        for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
            self.call_one(impl, hook_name, **kwargs)

    def call_one(self, impl, hook_name: str, **kwargs) -> bool:
        """Call one plugin's implementation; one that raises is reported and skipped, so
        that the others still run."""
        args = {name: kwargs[name] for name in impl.argnames}
        try:
            impl.function(**args)
            return True
        except (Exception, SystemExit) as exc:  # a plugin's bug must not take the CLI down
            info = self.info.get(impl.plugin_name)
            dist = f" ({info.distribution})" if info else ""
            self.warn(f"plugin {impl.plugin_name}{dist} failed in {hook_name} and was skipped: "
                      f"{type(exc).__name__}: {exc}")
            return False


def hook_names() -> list[str]:
    return sorted(name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), f"{GROUP}_spec"))


def selected_plugins() -> set[str] | None:
    """Third-party distributions chosen by LLMCLI_LOAD_PLUGINS; None when unset (all)."""
    value = os.environ.get("LLMCLI_LOAD_PLUGINS")
    if value is None:
        return None
    return {normalize(name) for name in value.split(",") if name.strip()}


def normalize(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def load() -> Plugins:
    from importlib.metadata import entry_points

    from llmcli import __version__, builtin_hooks

    plugins = Plugins()
    plugins.add(builtin_hooks, PluginInfo("core", CORE, __version__, builtin=True))
    chosen = selected_plugins()
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else "unknown"
        version = ep.dist.version if ep.dist is not None else "?"
        builtin = normalize(dist) == CORE
        if not builtin and chosen is not None and normalize(dist) not in chosen:
            continue
        if ep.name in plugins.info:
            plugins.warn(f"two plugins are named {ep.name} ({plugins.info[ep.name].distribution} and {dist}): "
                         f"the one from {dist} was skipped")
            continue
        info = PluginInfo(ep.name, dist, version, builtin)
        try:
            module = ep.load()
        except (Exception, SystemExit) as exc:  # ImportError, SyntaxError, a sys.exit() at import...
            info.error = f"{type(exc).__name__}: {exc}"
            plugins.info[ep.name] = info
            plugins.warn(f"plugin {ep.name} ({dist}) failed to load and was skipped: {info.error}")
            continue
        plugins.add(module, info)
    return plugins


_loaded: Plugins | None = None


def get_plugins() -> Plugins:
    """The plugins, loaded on first use."""
    global _loaded
    if _loaded is None:
        _loaded = load()
    return _loaded


def reset() -> None:
    """Forget the loaded plugins (tests; after installing a plugin in-process). What they
    registered goes with them: `registry.get()` rebuilds from the next Plugins."""
    global _loaded
    _loaded = None
