"""distill's last table: teacher and student side by side on the same validation examples.

Both are loaded as `eval` loads them (int8 on a CPU) and predict the same examples, so the
speed-up is the ratio of two like measurements: prompt tokens read per second of
prediction (one tokenizer, so one count of tokens), and for a task whose model writes its
answer, the tokens written as well. This runs after the training budget.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

COMPARE_EXAMPLES = 200  # validation examples both models predict
WARMUP_EXAMPLES = 4  # predicted first, untimed: the first calls pay for allocations and kernels


def measure(task, path: Path, examples: list[dict]) -> dict:
    """A model's parameters, prediction speed and the task's metrics on `examples`."""
    from llmcli.scoring import load_task_model, predict, score
    from llmcli.training.run_config import load_config

    tm = load_task_model(str(path), task)
    params = load_config(path).params or tm.model.num_params()  # int8's linears are buffers, not parameters
    tokens = sum(len(tm.tokenizer.encode(task.render_prompt(e, tm.prompt))) for e in examples)
    predict(tm, examples[:WARMUP_EXAMPLES])
    began = time.perf_counter()
    predictions = predict(tm, examples)
    seconds = time.perf_counter() - began
    if tm.head.generates:  # a model that writes its answer: the tokens it wrote count as well
        tokens += sum(len(tm.tokenizer.encode(p.text)) for p in predictions)
    return {"name": path.name, "params": params, "seconds": round(seconds, 3),
            "tokens_per_s": round(tokens / max(seconds, 1e-9), 1),
            "metrics": score(task, examples, predictions)["metrics"]}


def compare(task, teacher_dir: Path, student_dir: Path, validation: list[dict]) -> dict:
    examples = validation[:COMPARE_EXAMPLES]
    teacher, student = measure(task, teacher_dir, examples), measure(task, student_dir, examples)
    return {"examples": len(examples), "teacher": teacher, "student": student,
            "speedup": round(student["tokens_per_s"] / max(teacher["tokens_per_s"], 1e-9), 2)}


def show_comparison(task, teacher_dir: Path, outcome, validation: list[dict], as_json: bool = False) -> dict | None:
    """The table on stderr; with `as_json`, the summary and the comparison as one JSON
    object on stdout."""
    from rich.table import Table

    from llmcli.cli.console import err_console

    figures = compare(task, teacher_dir, outcome.run_dir, validation) if validation else None
    if as_json:
        click.echo(json.dumps({"name": outcome.run_dir.name, "path": str(outcome.run_dir),
                               **outcome.summary.to_dict(), "comparison": figures}, indent=2))
    if figures is None:
        err_console().print("no validation examples: teacher and student are not compared", markup=False)
        return None
    teacher, student = figures["teacher"], figures["student"]
    table = Table(title=f"teacher {teacher['name']} and student {student['name']} on {figures['examples']} "
                        "validation examples", title_justify="left")
    for column in ("", "teacher", "student", "student/teacher"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("parameters", f"{teacher['params']:,}", f"{student['params']:,}",
                  f"{student['params'] / teacher['params']:.3f}")
    table.add_row("tokens/s predicting", f"{teacher['tokens_per_s']:,.0f}", f"{student['tokens_per_s']:,.0f}",
                  f"{figures['speedup']:.2f}x")
    for metric, value in teacher["metrics"].items():
        mine = student["metrics"].get(metric)
        table.add_row(metric, f"{value:.4f}", f"{mine:.4f}" if mine is not None else "-", "")
    err_console().print(table)
    return figures
