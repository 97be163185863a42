"""`llmcli info NAME`: a model's configuration, figures and loss curve."""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("model_name", metavar="NAME")
@click.option("--json", "as_json", is_flag=True, help="Print config, summary and curves as JSON.")
def info(model_name, as_json):
    """Show a model's configuration (its objective: a causal LM or a masked-LM encoder),
    its figures and its loss curve."""
    from llmcli.files import read_jsonl
    from llmcli.paths import resolve_model
    from llmcli.training import rundir
    from llmcli.training.run_config import load_config, load_summary

    path = resolve_model(model_name)
    config = load_config(path)
    finished = load_summary(path)
    summary = finished.to_dict() if finished else {}
    metrics = read_jsonl(path / rundir.METRICS) if (path / rundir.METRICS).is_file() else []
    steps = [m for m in metrics if m.get("event") == "step"]
    evals = [m for m in metrics if m.get("event") == "eval"]
    if as_json:
        click.echo(json.dumps({
            "name": path.name, "path": str(path), "objective": config.model.objective,
            "config": config.to_dict(), "summary": summary,
            "val_perplexity": finished.val_perplexity if finished else None,
            "loss_curve": [[m["step"], m["loss"]] for m in steps],
            "val_curve": [[m["step"], m["val_loss"], m.get("val_bpb")] for m in evals],
        }, indent=2))
        return
    from rich.table import Table

    from llmcli.cli.chart import line_chart
    from llmcli.cli.console import out_console

    console = out_console()
    table = Table(title=path.name, show_header=False, title_justify="left")
    table.add_row("path", str(path))
    table.add_row("preset", str(config.preset))
    table.add_row("parameters", f"{config.params or 0:,}")
    table.add_row("objective", OBJECTIVES[config.model.objective])
    for key, value in config.model.to_dict().items():
        table.add_row(f"model.{key}", str(value))
    table.add_row("tokenizer", f"{config.tokenizer.type}, {config.tokenizer.vocab_size} tokens")
    table.add_row("data", data_line(config.data))
    if config.task:
        table.add_row("task", f"{config.task.name} (head {config.task.head}, from plugin {config.task.plugin})")
        table.add_row("task options", task_options_line(config.task))
        if config.task.prompt:
            table.add_row("prompt format", config.task.prompt)
    add_origin_rows(table, config)
    for key in ("lr", "batch_size", "grad_accum", "precision", "seed"):
        table.add_row(f"train.{key}", str(getattr(config.train, key)))
    add_summary_rows(table, config, finished, path.name)
    console.print(table)
    if steps:
        console.print("\n[bold]training loss[/]")
        console.print(line_chart([m["step"] for m in steps], [m["loss"] for m in steps]), markup=False)


def add_summary_rows(table, config, finished, name: str) -> None:
    """The run's figures with their notes, or how to resume an unfinished run."""
    from llmcli.training.run_config import MASKED_NOTE, PERPLEXITY_NOTE

    summary = finished.to_dict() if finished else {}
    for key, value in summary.items():
        table.add_row(key, str(value))
    if "val_masked_bpb" in summary:
        table.add_row("note", f"val_masked_*: {MASKED_NOTE}")
    if finished and finished.val_perplexity is not None:
        table.add_row("val perplexity", f"{finished.val_perplexity} per token ({PERPLEXITY_NOTE})")
    if not summary:
        again = f"finetune {config.task.name}" if config.task else "train FILE"
        again = f"distill {config.task.name}" if config.distilled_from else again
        table.add_row("status", f"unfinished (resume it with `llmcli {again} --name {name} --resume`)")


OBJECTIVES = {"causal": "causal LM (predicts the next token; generates)",
              "mlm": "masked LM: a bidirectional encoder (fills in [MASK] with `llmcli fill`; does not generate)"}


def add_origin_rows(table, config) -> None:
    """Where the weights came from: a base (LoRA adapters on it, maybe), an imported file."""
    if config.origin.base:
        table.add_row("base", config.origin.base)
    if config.lora:
        table.add_row("LoRA", lora_line(config))
    taught = config.distilled_from
    if taught:
        table.add_row("distilled from", f"{taught.name} (weights' sha256 {taught.sha256[:12]}...), "
                                        f"kd-ratio {taught.ratio:g}, temperature {taught.temperature:g}"
                                        + (", on its own outputs" if taught.teacher_outputs else ""))
    if config.origin.source:
        table.add_row("imported from", config.origin.source)
        table.add_row("licence", config.origin.license or "not stated by the source")


def lora_line(config) -> str:
    """What a LoRA model is: adapters of a rank on its base, and what trains."""
    from pathlib import Path

    lora = config.lora
    trained = f"; {lora.trainable_params:,} parameters trained" if lora.trainable_params else ""
    return (f"adapters of rank {lora.rank} (alpha {lora.alpha:g}, dropout {lora.dropout:g}) on "
            f"{', '.join(lora.targets)} of base {Path(config.origin.base).name} "
            f"(its weights' sha256 {lora.base_sha256[:12]}...){trained}; `llmcli merge {config.name}` "
            "makes it standalone")


def data_line(data) -> str:
    """A corpus with its size, or a task's dataset with its example counts."""
    if data is None:
        return "not known (an imported model)"
    if hasattr(data, "bytes"):
        return f"{data.path} ({data.bytes:,} bytes)"
    return f"{data.dataset} ({data.train_examples:,} train, {data.validation_examples:,} validation examples)"


def task_options_line(task_info) -> str:
    """The task options a model was fine-tuned with, as flags with its task's defaults
    filled in ("--src en --tgt de"), or as saved when the task's plugin is not there."""
    from llmcli.cli.models import options_text
    from llmcli.cli.task_options import option_flags
    from llmcli.errors import UserError
    from llmcli.registry import get_task

    try:
        return option_flags(get_task(task_info.name), task_info.options) or "-"
    except UserError:
        return options_text(task_info.options)
