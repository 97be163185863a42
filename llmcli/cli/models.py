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
        "objective": config.model.objective,  # causal, or mlm (an encoder)
        "origin": config.origin.start,  # scratch, base or import
        # LoRA adapters on a base: what they need to load
        "lora": lora_entry(config),
        "task": config.task.name if config.task else None,
        "options": config.task.options if config.task else {},
        "params": config.params,
        "data": config.data_name,
        "val_bpb": summary.figures.get("val_bpb") if summary else None,
        "val_perplexity": summary.val_perplexity if summary else None,
        "val_masked_bpb": summary.figures.get("val_masked_bpb") if summary else None,  # an encoder's own figure
        "steps": summary.steps if summary else None,
        "created": config.created,
        "finished": summary is not None,
    }


def lora_entry(config) -> dict | None:
    """A LoRA model's rank and base (its name and folder), for listings; None otherwise."""
    if config.lora is None:
        return None
    from pathlib import Path

    base = config.origin.base or ""
    return {"rank": config.lora.rank, "base": Path(base).name, "base_path": base}


def choose_for_task(task, configured, given: dict) -> tuple[dict, str] | None:
    """The model `run` uses when no -m is given, and why, by a rule a user can predict:
    among the finished models fine-tuned for the task (with the task options given, when
    some of those fine-tuning takes are), the one named after the task, then the task's default model, then the
    newest. `task` is the registered task, `configured` the one with `given` set."""
    recorded = {o.attribute for o in task.options if "finetune" in o.commands}  # what a model keeps
    wanted = [name for name, value in given.items() if value is not None and name in recorded]
    candidates = [e for e in list_runs() if e.get("task") == task.name and e.get("finished")
                  and same_options(task, configured, e.get("options") or {}, wanted)]
    if not candidates:
        return None
    by_name = {e["name"]: e for e in candidates}
    preferred = ((task.name, "the one named after the task"), (f"{task.name}-default", "the task's default model"))
    for name, why in preferred:
        if name in by_name:
            return by_name[name], why
    newest = max(candidates, key=lambda e: e.get("created") or "")
    many = f"the newest of {len(candidates)}" if len(candidates) > 1 else "the only one"
    return newest, f"{many} fine-tuned for {task.name}" + (" with those options" if wanted else "")


def same_options(task, configured, saved: dict, wanted: list[str]) -> bool:
    """Whether a model fine-tuned with the task options `saved` has the values of
    `configured` for the options named in `wanted` (a model keeps the defaults it was not
    given)."""
    if not wanted:
        return True
    from llmcli.errors import UserError

    try:
        model_task = task.configured(saved)
    except UserError:
        return False
    return all(getattr(model_task, name, None) == getattr(configured, name, None) for name in wanted)


def options_text(options: dict) -> str:
    """A model's saved task options for a listing: "src=de tgt=en", or "-"."""
    return " ".join(f"{k}={v}" for k, v in options.items() if v is not None) or "-"


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
    """List trained models: name, task and task options (for fine-tuned ones; "(encoder)"
    for a masked-LM encoder), preset, parameters, data, validation bits per byte (a causal
    model's), date; the folder they are in below."""
    from llmcli.paths import models_dir

    entries = list_runs()
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    from rich import box
    from rich.table import Table

    from llmcli.cli.console import err_console, out_console

    if not entries:
        err_console().print(f"No models in {models_dir()} yet: try `llmcli demo` or `llmcli train FILE --time 2m`.")
        return
    rows = [row(e) for e in entries]
    columns = [c for c in COLUMNS if c != "options" or any(r["options"] != "-" for r in rows)]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)  # light lines: more room in 80 columns
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in SHORT)
    for r in rows:
        table.add_row(*(r[c] for c in columns))
    console = out_console()
    console.print(table)
    # every model is a folder of the one models folder: that path in full on a line of its
    # own, never folded inside a cell, so that it can be copied
    console.print(f"in {models_dir()}{os.sep} (a folder each, by name; `llmcli info NAME` for one)",
                  soft_wrap=True, markup=False)


COLUMNS = ("name", "task", "options", "preset", "params", "data", "val bpb", "created")
SHORT = {"preset", "params", "val bpb"}  # kept whole; the others fold


def task_cell(e: dict) -> str:
    """The task a model is fine-tuned for; an encoder says so ("encoder", "sentiment (encoder)")."""
    if e.get("objective") != "mlm":
        return e["task"] or "-"
    return f"{e['task']} (encoder)" if e["task"] else "encoder"


def row(e: dict) -> dict[str, str]:
    """One model's cells in the table."""
    if "error" in e:
        return {**{c: "-" for c in COLUMNS}, "name": e["name"], "data": e["error"]}
    return {
        "name": e["name"],
        "task": task_cell(e),
        "options": options_text(e["options"]),
        "preset": e["preset"] or "-",
        "params": f"{e['params'] / 1e6:.2f}M" if e["params"] else "-",
        "data": (e["data"] or "-").rsplit("/", 1)[-1],
        "val bpb": f"{e['val_bpb']:.3f}" if e["val_bpb"] is not None else ("unfinished" if not e["finished"] else "-"),
        "created": (e["created"] or "-")[:16].replace("T", " "),
    }
