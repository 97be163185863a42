"""`llmcli finetune TASK`: fine-tune a pretrained model for a task, or train one from scratch."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import click

from llmcli.cli.lora_options import LoraFlags, lora_options
from llmcli.cli.task_options import TaskCommand, task_values
from llmcli.cli.training_options import TrainingFlags, training_options
from llmcli.errors import UserError


@click.command(cls=TaskCommand, command_name="finetune")
@click.argument("task_name", metavar="TASK")
@click.option("--base", help="A model from `llmcli train` (name or path) to start from; default: from scratch. A "
                                "masked-LM encoder (`train --objective mlm`) suits classify and span tasks only.")
@click.option("--data", help="A dataset name (`llmcli data list TASK`) or a file or folder; default: the task's.")
@click.option("--name", help="Name of the new model (default: the task's name, and the dataset's if not the default).")
@click.option("--prompt", help="Prompt format over the example's fields, e.g. 'Q: {question}' (default: the task's).")
@click.option("--chat/--no-chat", default=None,
              help="Frame each prompt with the base's chat template, the target as the assistant's turn (a "
                   "generation task; default: on where the task suits an instruct base and the base has one).")
@lora_options
@training_options(preset_help="Model size when training from scratch.",
                  batch_help="Examples per batch (default: about 4096 tokens).")
def finetune(task_name, base, data, name, prompt, chat, flags, lora, **options):
    """Fine-tune a model for TASK on a dataset; without --base, train one from scratch.

    \b
    Give a budget: --steps N, or --time DURATION for the whole command.
    Ctrl-C saves a checkpoint; --resume continues exactly where it stopped.
    --lora 8 trains small adapters on the frozen --base instead of all its weights.
    Then: llmcli eval TASK -m NAME, llmcli run TASK -m NAME.
    The task's own options (`llmcli finetune TASK --help` lists them) choose how its
    data is read; the model keeps them for eval and run.
    """
    started = time.perf_counter()
    flags.check()
    fine_tune(task_name, flags, base=base, data=data, name=name, prompt=prompt, options=task_values(options),
              started=started, lora=lora, chat=chat)


def default_name(task, data: str | None) -> str:
    from llmcli.paths import name_from_file

    if data is None or data == task.default_dataset:
        return task.name
    return f"{task.name}-{name_from_file(Path(data).name if Path(data).exists() else data)}"[:64]


def fine_tune(task_name: str, flags: TrainingFlags, *, base=None, data=None, name=None, prompt=None,
              options: dict | None = None, started: float | None = None, lora: LoraFlags | None = None,
              chat: bool | None = None):
    """Fine-tune with a progress display and a summary; returns the pipeline's TrainOutcome."""
    started = time.perf_counter() if started is None else started
    from llmcli import registry
    from llmcli.cli.training_run import prepare_run_dir, run_with_display, show_summary
    from llmcli.paths import check_name, models_dir, resolve_model

    reg = registry.get()
    task_entry = reg.tasks.entry(task_name)
    task = task_entry.item
    options = {k: v for k, v in (options or {}).items() if v is not None}
    name = check_name(name or default_name(task, data))
    run_dir = models_dir() / name
    if flags.resume:
        data, options = resumed_choices(run_dir, task, data, options)
    workload = task_workload(reg, task_entry, data, prompt, options, chat)
    base_dir = resolve_model(base) if base else None
    if base_dir is not None:
        workload.check_base(base_dir)  # an encoder for a head that writes text: refused before anything is written
    lora = lora or LoraFlags()
    lora_info = lora.settings(base_dir, run_dir if flags.resume else None)
    prepare_run_dir(run_dir, flags.resume, flags.force)
    request = flags.request(run_dir, name, started, base=base_dir, lora=lora_info)
    command = f"llmcli finetune {task.name} --name {shlex.quote(name)} --resume"
    outcome = run_with_display(f"fine-tuning {name} for {task.name}", request, workload, command)
    show_summary(name, outcome, {"examples": f"{len(workload.train):,} train, {len(workload.validation):,} validation"},
                 as_json=flags.as_json)
    from llmcli.cli.console import err_console

    if lora.merge:
        from llmcli.training.merging import merge_run

        params = merge_run(run_dir, run_dir)
        err_console().print(f"merged the adapters into the base: {name} is a standalone model of {params:,} "
                            "parameters", markup=False, highlight=False)

    err_console().print(f"Next: llmcli eval {task.name} -m {name}   |   llmcli run {task.name} -m {name}",
                        markup=False)
    return outcome


def resumed_choices(run_dir: Path, task, data: str | None, options: dict) -> tuple[str | None, dict]:
    """A resumed fine-tune's dataset and task options, where not given again."""
    from llmcli.training.run_config import has_config, load_config

    if not has_config(run_dir):
        return data, options  # prepare_run_dir says there is nothing to resume
    previous = load_config(run_dir)
    if previous.task is None or previous.task.name != task.name:
        raise UserError(f"model {run_dir.name!r} was not fine-tuned for task {task.name}: check --name")
    return data or previous.data.dataset, {**previous.task.options, **options}


def task_workload(reg, task_entry, data: str | None, prompt: str | None, options: dict, chat: bool | None = None,
                  kind=None, **more):
    """The task configured with its options, and its examples, for the pipeline: a
    TaskWorkload, or the `kind` of one given (distill's, with its `more` fields)."""
    from llmcli.datasets.resolve import resolve_dataset, training_splits
    from llmcli.tasks import check_template
    from llmcli.training.task_workload import TaskWorkload

    task = task_entry.item.configured(options)
    head = reg.heads.get(task.head)
    if prompt is not None:
        check_template(prompt, task)
    dataset = resolve_dataset(task, data)
    train, validation = training_splits(task, dataset)
    # what --resume reads back: a dataset's name, or a path that works from any folder
    data_ref = dataset.name if data is None or data in reg.datasets.entries else str(Path(data).resolve())
    return (kind or TaskWorkload)(task=task, task_plugin=task_entry.plugin, head=head, dataset=data_ref, train=train,
                                  validation=validation, prompt=prompt, options=options, chat=chat, **more)
