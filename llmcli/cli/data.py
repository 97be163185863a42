"""`llmcli data list [TASK]` and `llmcli data show NAME`: the datasets tasks train on."""

from __future__ import annotations

import json

import click

from llmcli.cli.task_options import DatasetCommand, task_values


@click.group()
def data():
    """Datasets: list them, or look inside one."""


@data.command("list")
@click.argument("task_name", metavar="[TASK]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_datasets(task_name, as_json):
    """List datasets, all or those of TASK: splits and sizes, where they come from."""
    from llmcli import registry

    reg = registry.get()
    if task_name is not None:
        reg.tasks.get(task_name)  # an unknown task is an error, with the known ones
    entries = []
    for name in reg.datasets.names():
        dataset = reg.datasets.entries[name].item
        if task_name is not None and dataset.task != task_name:
            continue
        entries.append({"name": name, "task": dataset.task, "kind": dataset.kind,
                        "plugin": reg.datasets.entries[name].plugin, "sizes": dataset.declared_sizes(),
                        "location": dataset.location(), "description": dataset.description})
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    from rich.table import Table

    from llmcli.cli.console import err_console, out_console

    if not entries:
        err_console().print("No datasets" + (f" for task {task_name}" if task_name else "") +
                            ": a path works too, e.g. `--data train.jsonl`.")
        return
    table = Table()
    for column in ("dataset", "task", "kind", "splits", "description"):
        table.add_column(column, overflow="fold")
    for e in entries:
        splits = ", ".join(f"{k} {v:,}" for k, v in e["sizes"].items()) or "-"
        table.add_row(e["name"], e["task"], e["kind"], splits, e["description"])
    out_console().print(table)


@data.command(cls=DatasetCommand, command_name="data")
@click.argument("name", required=False)
@click.option("--task", "task_name", help="The task that reads NAME, when NAME is a path.")
@click.option("--split", help="The split to show examples of: train, validation (or val, valid, dev), test "
                               "(default: the first).")
@click.option("-n", "count", type=click.IntRange(0, 100), default=3, show_default=True, help="Examples to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: splits, sizes, examples, prompt.")
def show(name, task_name, split, count, as_json, **options):
    """Show a dataset: its splits and sizes, a few examples, and the prompt the model sees.
    With no NAME, list the datasets (those of --task TASK), as `data list` does."""
    from llmcli import registry
    from llmcli.datasets.resolve import resolve_dataset
    from llmcli.errors import UserError

    if name is None:
        return list_datasets.callback(task_name, as_json)
    reg = registry.get()
    if task_name is None:
        if name not in reg.datasets.entries and name not in reg.datasets.conflicts:
            from pathlib import Path

            from llmcli.registry import did_you_mean

            if Path(name).expanduser().exists():
                raise UserError(f"{name} is a file or folder: add --task TASK to say which task reads it")
            raise UserError(f"no dataset named {name!r}: {did_you_mean(name, reg.datasets.names())}"
                            "`llmcli data list` lists them; for a file or folder, add --task TASK")
        task_name = reg.datasets.get(name).task
    task = reg.tasks.get(task_name).configured(task_values(options))
    dataset = resolve_dataset(task, name)
    splits = {s: dataset.load(task, s) for s in dataset.split_names(task)}
    from llmcli.datasets import check_split, split_named

    split = split_named(split, list(splits)) if split else next(iter(splits))
    check_split(dataset, split, list(splits))
    examples = splits[split][:count]
    zero_shot = task.zero_shot_prompt
    rendered = [{"prompt": task.render_prompt(e), "references": task.references(e),
                 **({"zero_shot_prompt": task.render_prompt(e, zero_shot)} if zero_shot else {})} for e in examples]
    info = {"name": dataset.name, "task": task.name, "kind": dataset.kind, "location": dataset.location(),
            "sizes": {s: len(v) for s, v in splits.items()}, "split": split, "examples": examples,
            "prompt_format": task.prompt, "target_format": reg.heads.get(task.head).target_format(task),
            "zero_shot_prompt_format": zero_shot, "rendered": rendered}
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    show_dataset(info)


def show_dataset(info: dict) -> None:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from llmcli.cli.console import out_console

    console = out_console()
    console.print(f"[bold]{info['name']}[/] (task {info['task']}, {info['kind']}): {info['location']}", highlight=False)
    console.print("splits: " + ", ".join(f"{s} {n:,}" for s, n in info["sizes"].items()))
    prompt = f"prompt format: {info['prompt_format']!r}"
    if info["target_format"]:
        prompt += f", target format: {info['target_format']!r}"
    console.print(prompt + " (override with --prompt)", markup=False)
    if info["zero_shot_prompt_format"]:
        console.print(f"zero-shot prompt (a model not fine-tuned for {info['task']}; framed by its chat template "
                      f"where it has one; override with --prompt): {info['zero_shot_prompt_format']!r}", markup=False)
    for i, (example, rendered) in enumerate(zip(info["examples"], info["rendered"])):
        table = Table.grid(padding=(0, 2))
        for key, value in example.items():
            table.add_row(Text(key, style="dim"), Text(str(value)))
        table.add_row(Text("prompt", style="dim"), Text(repr(rendered["prompt"])))
        if "zero_shot_prompt" in rendered:
            table.add_row(Text("zero-shot", style="dim"), Text(repr(rendered["zero_shot_prompt"])))
        table.add_row(Text("reference", style="dim"), Text(" | ".join(rendered["references"])))
        console.print(Panel(table, title=f"{info['split']} #{i}", title_align="left"))
