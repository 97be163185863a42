"""`llmcli eval TASK -m MODEL [-m MODEL ...]`: the task's metrics on a dataset split, for
one model or several side by side on the same examples."""

from __future__ import annotations

import json

import click

from llmcli.cli.task_options import TaskCommand
from llmcli.cli.options import positive
from llmcli.errors import UserError


@click.command("eval", cls=TaskCommand, command_name="eval")
@click.argument("task_name", metavar="TASK")
@click.option("-m", "--model", "model_refs", multiple=True,
              help="A model: name or path; fine-tuned for TASK, or a plain (instruct) model used zero-shot. "
                   "Repeat it to score several on the same examples, side by side.")
@click.option("--data", help="A dataset name or a file or folder (default: the task's dataset).")
@click.option("--split", help="The split to score: train, validation (or val, valid, dev), test (default: test, "
                               "or validation where there is no test split); a single file is scored whole.")
@click.option("--limit", type=int, callback=positive, help="Score only the first N examples.")
@click.option("--beams", type=int, callback=positive, help="Beam search width for generation tasks.")
@click.option("--prompt", help="The instruction for a model used zero-shot, a format over the example's fields "
                               "(default: the task's zero-shot prompt, shown by `llmcli data show`).")
@click.option("--show", type=click.IntRange(0, 1000), default=5, show_default=True,
              help="Predictions to show beside their references.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"task", "model", "kind", "metrics", ..., "predictions"} as JSON; a list of those '
                   "with several -m.")
@click.option("--output", "output_file", type=click.Path(dir_okay=False),
              help="Also write each example with its prediction and references to FILE, as JSONL "
                   '(with several -m, a line per model and example, with its "model").')
def eval_command(task_name, model_refs, data, split, limit, beams, prompt, show, as_json, output_file, **options):
    """Score models on TASK with the task's metrics.

    A model fine-tuned for TASK is scored as it was trained; a plain model (an imported
    instruct model, say) is used zero-shot, with the task's instruction framed by its chat
    template. The task's own options (`llmcli eval TASK --help` lists them) choose how its
    data is read; a model keeps those it was fine-tuned with.
    """
    from llmcli.cli.task_options import task_values
    from llmcli.datasets.resolve import evaluation_split, resolve_dataset
    from llmcli.registry import get_task
    from llmcli.scoring import score

    tasks = tasks_for(get_task(task_name), task_values(options), model_refs)
    task = tasks[0]
    dataset = resolve_dataset(task, data)
    split, examples = evaluation_split(task, dataset, split)
    examples = examples[:limit] if limit else examples
    given = task.given_predictions(examples)
    where = {"task": task.name, "dataset": dataset.name, "split": split, "examples": len(examples)}
    if given is not None:  # predictions someone else made: no model
        results = [({**where, "model": None}, score(task, examples, given))]
    elif not model_refs:
        raise UserError(f"give the model to score: -m MODEL (`llmcli models` lists those fine-tuned for {task.name})")
    else:
        plain = [not fine_tuned(ref) for ref in model_refs]
        if prompt is not None and not any(plain):
            raise UserError("--prompt is the instruction for a model used zero-shot, and none of these is: "
                            "each is fine-tuned for the task with its own prompt")
        decoding = {"num_beams": beams} if beams else None
        results = [scored_model(ref, t, examples, decoding, prompt if zero_shot else None, where)
                   for ref, t, zero_shot in zip(model_refs, tasks, plain)]
    reports = [report_of(task, examples, base, result) for base, result in results]
    if output_file is not None:
        write_output(output_file, reports, several=len(reports) > 1)
    if as_json:
        for report in reports:
            report["predictions"] = [{k: e[k] for k in ("prediction", "references")} for e in report.pop("scored")]
        click.echo(json.dumps(reports[0] if len(reports) == 1 else reports, indent=2, ensure_ascii=False))
        return
    from llmcli.cli.eval_report import show_comparison, show_one

    outcomes = [result for _, result in results]
    if len(reports) == 1:
        show_one(reports[0], outcomes[0], task, examples, show)
    else:
        show_comparison(reports, outcomes, task, examples, show)


def tasks_for(registered, given: dict, model_refs: tuple) -> list:
    """The task as each model sees it (a model keeps the options it was fine-tuned with);
    models that would read the data differently cannot be scored on the same examples."""
    from llmcli.scoring import task_for_model

    tasks = [task_for_model(registered, given, ref) for ref in model_refs] or [task_for_model(registered, given, None)]
    settings = [{o.attribute: getattr(t, o.attribute, None) for o in registered.options} for t in tasks]
    for ref, other in zip(model_refs[1:], settings[1:]):
        if other != settings[0]:
            differ = ", ".join(sorted(k for k in other if other[k] != settings[0][k]))
            raise UserError(f"{ref} and {model_refs[0]} were fine-tuned with different task options ({differ}): "
                            "score them apart, or give the options on the command line")
    return tasks


def scored_model(ref: str, task, examples: list[dict], decoding, prompt, where: dict) -> tuple[dict, dict]:
    """One model's results: loaded (`prompt`: the instruction of a model used zero-shot),
    scored, and let go before the next is loaded."""
    from llmcli.scoring import evaluate, load_task_model, model_kind

    tm = load_task_model(ref, task, prompt=prompt)
    base = {**where, "model": tm.name, "kind": model_kind(tm)}
    with EvalProgress(len(examples)) as progress:
        result = evaluate(tm, examples, decoding, on_progress=progress.update)
    return base, result


def fine_tuned(ref: str) -> bool:
    from llmcli.paths import resolve_model
    from llmcli.training.run_config import load_config

    try:
        return load_config(resolve_model(ref)).task is not None
    except UserError:
        return False  # loading the model says what is wrong with it


def report_of(task, examples: list[dict], base: dict, result: dict) -> dict:
    report = {**base, "metrics": result["metrics"], "seconds": result["seconds"]}
    if result["notes"]:
        report["notes"] = result["notes"]
    report.update(result["extra"])
    report["scored"] = per_example(task, examples, result["predictions"])
    return report


def write_output(output_file: str, reports: list[dict], several: bool) -> None:
    from llmcli.files import atomic_write_text

    lines = [json.dumps({**e, "model": r["model"]} if several else e, ensure_ascii=False, default=str) + "\n"
             for r in reports for e in r["scored"]]
    atomic_write_text(output_file, "".join(lines))
    click.echo(f"{len(lines)} predictions written to {output_file}", err=True)


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


