"""What `llmcli run TASK` uses when no -m is given: a model fine-tuned for the task, or,
when there is none, one got now: the task's quick default trained from scratch, or, where
a pretrained base has been pulled or imported, that base fine-tuned or used zero-shot. On
a terminal the user chooses, each way with the time it takes; elsewhere (`--start`, or
the default: from scratch, as before there were bases) a line says what was chosen."""

from __future__ import annotations

import sys

import click

from llmcli.errors import UserError

SCRATCH, FINETUNE, ZERO_SHOT = "scratch", "finetune", "zero-shot"
STARTS = (SCRATCH, FINETUNE, ZERO_SHOT)


def default_model(registered, task, yes: bool, options: dict, start: str | None = None) -> str:
    """The model chosen for the task (named on stderr, with its task options), or one got
    now as the user chooses (`start`, or asked on a terminal)."""
    from llmcli.cli.models import choose_for_task
    from llmcli.cli.task_options import option_flags

    chosen = choose_for_task(registered, task, options)
    if chosen is not None:
        entry, why = chosen
        flags = option_flags(registered, entry.get("options") or {})
        click.echo(f"Using model {entry['name']}: fine-tuned for {task.name}{' with ' + flags if flags else ''}; "
                   f"{why} (-m NAME picks another, `llmcli models` lists them)", err=True)
        return entry["path"]
    base = newest_base()
    ways = starts_for(task, base)
    if not ways:
        raise UserError(f"no model is fine-tuned for {task.name} and it has no default dataset: "
                        f"`llmcli finetune {task.name} --data PATH --time 2m` makes one")
    if start is not None and start not in ways:
        raise UserError(f"--start {start} is not a way to get a model for {task.name} here: "
                        f"{why_not(start, task, base)}")
    if start is None and not yes and sys.stdin.isatty():
        start = ask(task, ways)
    else:
        start = start or next(iter(ways))
        say_chosen(task, ways, start)
    if start == ZERO_SHOT:
        return base["path"]
    return train_default(task, options, base["name"] if start == FINETUNE else None)


def newest_base() -> dict | None:
    """The newest pulled or imported model not fine-tuned for any task, if there is one."""
    from llmcli.cli.models import list_runs

    bases = [e for e in list_runs() if e.get("origin") == "import" and e.get("task") is None and e.get("finished")]
    return max(bases, key=lambda e: e.get("created") or "", default=None)


def starts_for(task, base: dict | None) -> dict[str, str]:
    """The ways to get a model for the task here, each described with its time, in the
    order offered (the first is the default)."""
    from llmcli.registry import get_head

    ways = {}
    budget = f"about {task.default_time}, the whole command's budget"
    if task.default_dataset:
        ways[SCRATCH] = f"train the quick default from scratch on {task.default_dataset} ({budget})"
    if base is not None and task.default_dataset:
        size = f", {base['params'] / 1e6:.0f}M parameters" if base.get("params") else ""
        ways[FINETUNE] = f"fine-tune {base['name']}{size} on {task.default_dataset} ({budget})"
    if base is not None and get_head(task.head).zero_shot_head and task.zero_shot_prompt:
        ways[ZERO_SHOT] = f"use {base['name']} zero-shot, with the task's instruction (no training: seconds to load)"
    return ways


def why_not(start: str, task, base: dict | None) -> str:
    if start in (SCRATCH, FINETUNE) and not task.default_dataset:
        return f"{task.name} has no default dataset to train on"
    if base is None:
        return "no pretrained base has been pulled or imported (`llmcli pull` fetches one)"
    return f"{task.name} has no zero-shot prompt"


def ask(task, ways: dict[str, str]) -> str:
    if len(ways) == 1:
        (only, what), = ways.items()
        if not click.confirm(f"No model is fine-tuned for {task.name} yet. {what[0].upper() + what[1:]} now?",
                             default=True, err=True):
            raise UserError(f"no model for {task.name}: `llmcli finetune {task.name} --time {task.default_time}` "
                            "makes one")
        return only
    click.echo(f"No model is fine-tuned for {task.name} yet. Get one by:", err=True)
    keys = list(ways)
    for number, key in enumerate(keys, 1):
        click.echo(f"  {number}  {ways[key]}", err=True)
    number = click.prompt("Choose", type=click.IntRange(1, len(keys)), default=1, err=True)
    return keys[number - 1]


def say_chosen(task, ways: dict[str, str], start: str) -> None:
    from llmcli.cli.console import err_console

    others = "; ".join(f"--start {key} would {what}" for key, what in ways.items() if key != start)
    line = f"No model is fine-tuned for {task.name} yet: chosen: {ways[start]}."
    if start == SCRATCH:  # the words scripts have read since before there were bases
        line = (f"No model is fine-tuned for {task.name} yet: training the default one on "
                f"{task.default_dataset} (about {task.default_time}).")
    err_console().print(line + (f" ({others})" if others else ""), markup=False)


def train_default(task, options: dict, base: str | None) -> str:
    """The task's default model, trained now from scratch or from `base`, under a name
    nothing has yet: the user's models are never replaced."""
    from llmcli.cli.finetune import fine_tune
    from llmcli.cli.options import parse_duration
    from llmcli.cli.training_options import TrainingFlags
    from llmcli.paths import models_dir

    names = [task.name, f"{task.name}-default"] + [f"{task.name}-default-{i}" for i in range(2, 100)]
    name = next(n for n in names if not (models_dir() / n).exists())
    recorded = {o.attribute for o in task.options if "finetune" in o.commands}
    outcome = fine_tune(task.name, TrainingFlags(seconds=parse_duration(task.default_time)), base=base, name=name,
                        options={k: v for k, v in options.items() if k in recorded})
    return str(outcome.run_dir)
