"""`llmcli info NAME`: a model's configuration, figures and loss curve."""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("model_name", metavar="NAME")
@click.option("--json", "as_json", is_flag=True, help="Print config, summary and curves as JSON.")
def info(model_name, as_json):
    """Show a model's configuration, its figures and its loss curve."""
    from llmcli.files import read_jsonl
    from llmcli.paths import resolve_model
    from llmcli.training import rundir

    path = resolve_model(model_name)
    config = rundir.read_json(path / rundir.CONFIG)
    summary_file = path / rundir.SUMMARY
    summary = rundir.read_json(summary_file) if summary_file.is_file() else {}
    metrics = read_jsonl(path / rundir.METRICS) if (path / rundir.METRICS).is_file() else []
    steps = [m for m in metrics if m.get("event") == "step"]
    evals = [m for m in metrics if m.get("event") == "eval"]
    if as_json:
        click.echo(json.dumps({
            "name": path.name, "path": str(path), "config": config, "summary": summary,
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
    table.add_row("preset", str(config.get("preset")))
    table.add_row("parameters", f"{config.get('params', 0):,}")
    for key, value in config.get("model", {}).items():
        table.add_row(f"model.{key}", str(value))
    tok = config.get("tokenizer", {})
    table.add_row("tokenizer", f"{tok.get('type')}, {tok.get('vocab_size')} tokens")
    data = config.get("data", {})
    table.add_row("data", f"{data.get('path')} ({data.get('bytes', 0):,} bytes)")
    for key in ("lr", "batch_size", "grad_accum", "precision", "seed"):
        table.add_row(f"train.{key}", str(config.get("train", {}).get(key)))
    for key, value in summary.items():
        table.add_row(key, str(value))
    if not summary:
        table.add_row("status", "unfinished (resume it with `llmcli train FILE --name NAME --resume`)")
    console.print(table)
    if steps:
        console.print("\n[bold]training loss[/]")
        console.print(line_chart([m["step"] for m in steps], [m["loss"] for m in steps]), markup=False)
