"""`llmcli finetune TASK`: fine-tune a pretrained model for a task, or train one from scratch."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import click

from llmcli.cli.options import Duration
from llmcli.cli.task_options import TaskCommand, task_values
from llmcli.cli.train import PRESET_CHOICES, positive
from llmcli.errors import UserError


@click.command(cls=TaskCommand, command_name="finetune")
@click.argument("task_name", metavar="TASK")
@click.option("--base", help="A model from `llmcli train` (name or path) to start from; default: from scratch.")
@click.option("--data", help="A dataset name (`llmcli data list TASK`) or a file or folder; default: the task's.")
@click.option("--name", help="Name of the new model (default: the task's name, and the dataset's if not the default).")
@click.option("--steps", type=int, callback=positive, help="Budget in optimizer steps.")
@click.option("--time", "seconds", type=Duration(), help="Budget for the whole command, e.g. 90s, 2m.")
@click.option("--prompt", help="Prompt format over the example's fields, e.g. 'Q: {question}' (default: the task's).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: the same seed repeats a run.")
@click.option("--resume", is_flag=True, help="Continue the run from its last checkpoint.")
@click.option("--force", is_flag=True, help="Replace an existing model of the same name.")
@click.option("--preset", type=click.Choice(PRESET_CHOICES), default="auto", show_default=True,
              help="Model size when training from scratch.")
@click.option("--precision", type=click.Choice(["auto", "bf16", "fp16", "fp32"]), default="auto", show_default=True,
              help="auto: bf16 autocast where the CPU or GPU supports it (fp16 on older GPUs).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or mps.")
@click.option("--batch-size", type=int, callback=positive, help="Examples per batch (default: about 4096 tokens).")
@click.option("--lr", type=float, callback=positive, help="Peak learning rate.")
@click.option("--nproc", type=int, callback=positive,
              help="Train with N processes on this machine (data parallel, started with torchrun).")
@click.option("--compile", "compile_model", is_flag=True, help="torch.compile the training step (GPUs, mostly).")
def finetune(task_name, base, data, name, steps, seconds, prompt, seed, resume, force, preset, precision,
             device, batch_size, lr, nproc, compile_model, **options):
    """Fine-tune a model for TASK on a dataset; without --base, train one from scratch.

    \b
    Give a budget: --steps N, or --time DURATION for the whole command.
    Ctrl-C saves a checkpoint; --resume continues exactly where it stopped.
    Then: llmcli eval TASK -m NAME, llmcli run TASK -m NAME.
    The task's own options (`llmcli finetune TASK --help` lists them) choose how its
    data is read; the model keeps them for eval and run.
    """
    if steps is not None and seconds is not None:
        raise UserError("give either --steps or --time, not both")
    if steps is None and seconds is None and not resume:
        raise UserError("give a budget: --steps N or --time DURATION (e.g. --time 2m)")
    from llmcli.cli.launch import relaunch_if_asked

    relaunch_if_asked(nproc, batch_size)
    fine_tune(task_name, base=base, data=data, name=name, steps=steps, seconds=seconds, prompt=prompt,
              seed=seed, resume=resume, force=force, preset=preset, precision=precision, device=device,
              batch_size=batch_size, lr=lr, compile_model=compile_model, options=task_values(options))


def default_name(task, data: str | None) -> str:
    from llmcli.paths import name_from_file

    if data is None or data == task.default_dataset:
        return task.name
    return f"{task.name}-{name_from_file(Path(data).name if Path(data).exists() else data)}"[:64]


def fine_tune(task_name: str, *, base=None, data=None, name=None, steps=None, seconds=None, prompt=None,
              seed=0, resume=False, force=False, preset="auto", precision="auto", device="auto",
              batch_size=None, lr=None, compile_model=False, options: dict | None = None):
    """Fine-tune with a progress display and a summary; returns the TrainOutcome."""
    started = time.perf_counter()
    from llmcli import registry
    from llmcli.cli.launch import main_process
    from llmcli.cli.train import prepare_run_dir, show_summary, with_display
    from llmcli.datasets.resolve import resolve_dataset, training_splits
    from llmcli.paths import check_name, models_dir, resolve_model
    from llmcli.tasks import check_template
    from llmcli.training import rundir
    from llmcli.training.finetune import FinetuneRequest, finetune as run_finetune

    reg = registry.get()
    task_entry = reg.tasks.entry(task_name)
    task = task_entry.item
    head = reg.heads.get(task.head)
    options = {k: v for k, v in (options or {}).items() if v is not None}
    name = check_name(name or default_name(task, data))
    run_dir = models_dir() / name
    if resume:
        previous = rundir.read_json(run_dir / rundir.CONFIG) if (run_dir / "config.json").is_file() else {}
        if previous and previous.get("task", {}).get("name") != task.name:
            raise UserError(f"model {name!r} was not fine-tuned for task {task.name}: check --name")
        data = data or previous.get("data", {}).get("dataset")
        options = {**previous.get("task", {}).get("options", {}), **options}
    task = task.configured(options)
    base_dir = resolve_model(base) if base else None
    if prompt is not None:
        check_template(prompt, task)
    dataset = resolve_dataset(task, data)
    train, validation = training_splits(task, dataset)
    # what --resume reads back: a dataset's name, or a path that works from any folder
    data_ref = dataset.name if data is None or data in reg.datasets.entries else str(Path(data).resolve())
    if main_process():  # under torchrun, rank 0 alone prepares the folder
        prepare_run_dir(run_dir, resume, force)
    request = FinetuneRequest(
        task=task, task_plugin=task_entry.plugin, head=head, dataset=data_ref, train=train,
        validation=validation, run_dir=run_dir, name=name, base=base_dir, prompt=prompt, steps=steps,
        seconds=seconds, seed=seed, preset=preset, precision=precision, device=device, batch_size=batch_size,
        lr=lr, resume=resume, compile=compile_model, started=started, options=options,
    )
    command = f"llmcli finetune {task.name} --name {shlex.quote(name)} --resume"
    outcome = with_display(f"fine-tuning {name} for {task.name}",
                           lambda display: run_finetune(request, on_event=display), command, run_dir)
    show_summary(name, outcome, {"examples": f"{len(train):,} train, {len(validation):,} validation"})
    from llmcli.cli.console import err_console

    err_console().print(f"Next: llmcli eval {task.name} -m {name}   |   llmcli run {task.name} -m {name}",
                        markup=False)
    return outcome
