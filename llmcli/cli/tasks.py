"""`llmcli tasks`: every installed task with its plugin, head, metrics and datasets."""

from __future__ import annotations

import json

import click


def task_entries() -> list[dict]:
    from llmcli import registry
    from llmcli.plugins import get_plugins

    reg = registry.get()
    infos = get_plugins().info
    datasets: dict[str, list[str]] = {}
    for name, entry in reg.datasets.entries.items():
        datasets.setdefault(entry.item.task, []).append(name)
    out = []
    for name in reg.tasks.names():
        entry = reg.tasks.entries[name]
        task = entry.item
        out.append({
            "name": name,
            "description": task.description,
            "plugin": entry.plugin,
            "builtin": bool(infos.get(entry.plugin) and infos[entry.plugin].builtin),
            "head": task.head,
            "metrics": list(task.metrics),
            "datasets": sorted(datasets.get(name, [])),
            "default_dataset": task.default_dataset,
        })
    return out


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def tasks(as_json):
    """List the tasks the installed plugins provide."""
    from llmcli import registry
    from llmcli.cli.console import err_console, out_console
    from llmcli.registry import conflict_message

    entries = task_entries()
    for name, plugins in registry.get().tasks.conflicts.items():
        err_console().print(f"Warning: {conflict_message('task', name, plugins)}", markup=False)
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    if not entries:
        err_console().print("No tasks installed. Add one with `llmcli install PACKAGE` (from a clone of llmcli: "
                            "`llmcli install ./examples/plugins/llmcli-numbers`), or write one: "
                            "`llmcli plugin new NAME`. `llmcli plugins` shows what loaded.", markup=False)
        return
    from rich.table import Table

    table = Table()
    for column in ("task", "description", "plugin", "head", "metrics", "datasets"):
        table.add_column(column, overflow="fold")
    for e in entries:
        names = [f"{d}*" if d == e["default_dataset"] else d for d in e["datasets"]]
        table.add_row(e["name"], e["description"], e["plugin"], e["head"], ", ".join(e["metrics"]), ", ".join(names))
    out_console().print(table)
    err_console().print("* the default dataset. Next: `llmcli run TASK`, `llmcli finetune TASK`, `llmcli data show NAME`.")
