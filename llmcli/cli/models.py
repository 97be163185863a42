"""`llmcli models`: the trained models in the data directory."""

from __future__ import annotations

import json
import os

import click


def describe(run) -> dict:
    """One model's listing entry, from its JSON files only (no torch)."""
    from llmcli.training.run_config import load_config, load_summary

    config, summary = load_config(run), load_summary(run)
    return {
        "name": run.name,
        "path": str(run),
        "preset": config.preset,
        "family": config.model.family,
        "origin": config.origin.start,  # scratch, base or import
        "task": config.task.name if config.task else None,
        "params": config.params,
        "data": config.data_name,
        "val_bpb": summary.figures.get("val_bpb") if summary else None,
        "steps": summary.steps if summary else None,
        "created": config.created,
        "finished": summary is not None,
    }


def latest_for_task(task: str) -> dict | None:
    """The most recently created finished model fine-tuned for a task."""
    finished = [e for e in list_runs() if e.get("task") == task and e.get("finished")]
    return max(finished, key=lambda e: e.get("created") or "", default=None)


def list_runs() -> list[dict]:
    from llmcli.errors import UserError
    from llmcli.paths import is_run_dir, models_dir

    root = models_dir()
    if not root.is_dir():
        return []
    entries = []
    for run in sorted(root.iterdir()):
        if not is_run_dir(run):
            continue
        try:
            entries.append(describe(run))
        except (OSError, ValueError, UserError) as exc:
            entries.append({"name": run.name, "path": str(run), "error": f"unreadable: {exc}"})
    return entries


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def models(as_json):
    """List trained models: name, task (for fine-tuned ones), preset, parameters, data,
    validation bits per byte, date; then the folder they are in (--json: each one's path)."""
    from llmcli.paths import models_dir

    entries = list_runs()
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    from rich.table import Table

    from llmcli.cli.console import err_console, out_console

    if not entries:
        err_console().print(f"No models in {models_dir()} yet: try `llmcli demo` or `llmcli train FILE --time 2m`.")
        return
    table = Table()
    for column in ("name", "task", "preset", "params", "data", "val bpb", "created"):
        table.add_column(column, overflow="fold", no_wrap=column in ("params", "val bpb", "created"))
    for e in entries:
        if "error" in e:
            table.add_row(e["name"], "-", "-", "-", "-", "-", "unreadable")
            continue
        table.add_row(
            e["name"],
            e["task"] or "-",
            e["preset"] or "-",
            f"{e['params'] / 1e6:.2f}M" if e["params"] else "-",
            (e["data"] or "-").rsplit("/", 1)[-1],
            f"{e['val_bpb']:.3f}" if e["val_bpb"] is not None else ("unfinished" if not e["finished"] else "-"),
            (e["created"] or "-")[:16].replace("T", " "),
        )
    console = out_console()
    console.print(table)
    # the paths in full, never folded inside a cell, so that they can be copied
    console.print(f"in {models_dir()}{os.sep} (a folder each, by name)", soft_wrap=True, markup=False)
    for e in entries:
        if "error" in e:
            console.print(f"{e['name']}: {e['error']}", soft_wrap=True, markup=False)
