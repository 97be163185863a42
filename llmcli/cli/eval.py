"""`llmcli eval TASK -m MODEL`: the task's metrics on a dataset split."""

from __future__ import annotations

import json

import click

from llmcli.cli.task_options import TaskCommand
from llmcli.cli.options import positive
from llmcli.errors import UserError


@click.command("eval", cls=TaskCommand, command_name="eval")
@click.argument("task_name", metavar="TASK")
@click.option("-m", "--model", "model_ref", help="A fine-tuned model: name or path.")
@click.option("--data", help="A dataset name or a file or folder (default: the task's dataset).")
@click.option("--split", help="The split to score: train, validation (or val, valid, dev), test (default: test, "
                               "or validation where there is no test split); a single file is scored whole.")
@click.option("--limit", type=int, callback=positive, help="Score only the first N examples.")
@click.option("--beams", type=int, callback=positive, help="Beam search width for generation tasks.")
@click.option("--show", type=click.IntRange(0, 1000), default=5, show_default=True,
              help="Predictions to show beside their references.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"task", "model", "metrics", ..., "predictions"} as JSON.')
@click.option("--output", "output_file", type=click.Path(dir_okay=False),
              help="Also write each example with its prediction and references to FILE, as JSONL.")
def eval_command(task_name, model_ref, data, split, limit, beams, show, as_json, output_file, **options):
    """Score a fine-tuned model on TASK with the task's metrics.

    The task's own options (`llmcli eval TASK --help` lists them) choose how its data is
    read; a model keeps those it was fine-tuned with.
    """
    from llmcli.cli.task_options import task_values
    from llmcli.datasets.resolve import evaluation_split, resolve_dataset
    from llmcli.registry import get_task
    from llmcli.scoring import evaluate, load_task_model, score, task_for_model

    task = task_for_model(get_task(task_name), task_values(options), model_ref)
    dataset = resolve_dataset(task, data)
    split, examples = evaluation_split(task, dataset, split)
    examples = examples[:limit] if limit else examples
    given = task.given_predictions(examples)
    if given is not None:  # predictions someone else made: no model
        model_name = None
        result = score(task, examples, given)
    elif model_ref is None:
        raise UserError(f"give the model to score: -m MODEL (`llmcli models` lists those fine-tuned for {task.name})")
    else:
        tm = load_task_model(model_ref, task)
        model_name = tm.name
        decoding = {"num_beams": beams} if beams else None
        with EvalProgress(len(examples)) as progress:
            result = evaluate(tm, examples, decoding, on_progress=progress.update)
    report = {"task": task.name, "model": model_name, "dataset": dataset.name, "split": split,
              "examples": len(examples), "metrics": result["metrics"], "seconds": result["seconds"]}
    if result["notes"]:
        report["notes"] = result["notes"]
    report.update(result["extra"])
    scored = per_example(task, examples, result["predictions"])
    if output_file is not None:
        from llmcli.files import atomic_write_text

        lines = [json.dumps(e, ensure_ascii=False, default=str) + "\n" for e in scored]
        atomic_write_text(output_file, "".join(lines))
        click.echo(f"{len(scored)} predictions written to {output_file}", err=True)
    if as_json:
        report["predictions"] = [{k: e[k] for k in ("prediction", "references")} for e in scored]
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    show_report(report, task, examples, result["predictions"], show, set(result["lower_is_better"]))
    if result["extra"]:
        from llmcli.cli.console import out_console

        task.show_extra(out_console(), result["extra"])


def per_example(task, examples: list[dict], predictions: list) -> list[dict]:
    """Each example with its prediction, the head's details and the references."""
    return [{**example, "prediction": p.text, **p.details, "references": task.references(example)}
            for example, p in zip(examples, predictions)]


class EvalProgress:
    """A progress bar on a terminal; nothing elsewhere."""

    def __init__(self, total: int):
        from llmcli.cli.console import err_console

        self.total = total
        self.console = err_console()
        self.progress = None

    def __enter__(self):
        if self.console.is_terminal and not self.console.is_dumb_terminal:
            from rich.progress import Progress

            self.progress = Progress(console=self.console, transient=True)
            self.progress.start()
            self.bar = self.progress.add_task("predicting", total=self.total)
        return self

    def update(self, done: int) -> None:
        if self.progress is not None:
            self.progress.update(self.bar, completed=done)

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()


def show_report(report, task, examples, predictions, show: int, lower_is_better: set) -> None:
    from rich.table import Table
    from rich.text import Text

    from llmcli.cli.console import out_console
    from llmcli.metrics.basic import normalize_text

    console = out_console()
    scored = report["model"] or "given predictions"
    table = Table(title=f"{report['task']}: {scored} on {report['dataset']} ({report['split']}, "
                        f"{report['examples']:,} examples, {report['seconds']:.1f} s)", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("better")
    for name, value in report["metrics"].items():
        table.add_row(name, f"{value:.2f}", "lower" if name in lower_is_better else "higher")
    console.print(table)
    for name, note in report.get("notes", {}).items():
        console.print(f"{name}: {note}", markup=False, highlight=False)
    if not show:
        return
    sample = Table(show_lines=True)
    for column in ("input", "prediction", "reference", ""):
        sample.add_column(column, overflow="fold")
    for example, prediction in list(zip(examples, predictions))[:show]:
        references = task.references(example)
        hit = normalize_text(prediction.text) in {normalize_text(r) for r in references}
        sample.add_row(Text(clip(task.render_prompt(example))), Text(prediction.text), Text(" | ".join(references)),
                       Text("✓", style="green") if hit else Text("✗", style="red"))
    console.print(sample)


def clip(text: str, width: int = 200) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
