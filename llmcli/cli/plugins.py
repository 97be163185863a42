"""`llmcli plugins`, `llmcli install`, `llmcli uninstall`: what is installed, and pip for it.

install and uninstall run pip in llmcli's own Python; they load no plugin, so a broken
plugin can always be removed."""

from __future__ import annotations

import json
import subprocess
import sys

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def plugins(as_json):
    """List plugins: name, distribution, version, hooks; built-ins are marked."""
    from llmcli.cli.console import out_console
    from llmcli.plugins import get_plugins

    infos = sorted(get_plugins().info.values(), key=lambda i: (not i.builtin, i.name))
    entries = [
        {"name": i.name, "distribution": i.distribution, "version": i.version, "builtin": i.builtin,
         "hooks": i.hooks, **({"error": i.error} if i.error else {})}
        for i in infos
    ]
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    from rich.table import Table

    table = Table()
    for column in ("plugin", "distribution", "version", "built-in", "hooks"):
        table.add_column(column, overflow="fold")
    for e in entries:
        hooks = f"[red]failed: {e['error']}[/]" if "error" in e else ", ".join(e["hooks"])
        table.add_row(e["name"], e["distribution"], e["version"], "yes" if e["builtin"] else "", hooks)
    out_console().print(table)


def pip(*args: str) -> None:
    code = subprocess.call([sys.executable, "-m", "pip", *args])
    if code:
        sys.exit(code)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("packages", nargs=-1, required=True)
def install(packages):
    """Install plugins (or anything) with pip into llmcli's environment.

    \b
    llmcli install ./my-plugin          a plugin folder
    llmcli install -e ./my-plugin       editable, while you write it
    """
    pip("install", *packages)


@click.command()
@click.argument("packages", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Accepted as pip takes it; llmcli never asks before uninstalling.")
def uninstall(packages, yes):
    """Uninstall plugins with pip, without asking; works even when a plugin is broken."""
    pip("uninstall", "-y", *packages)
