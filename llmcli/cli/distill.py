"""`llmcli distill TASK`: train a small student for a task from a teacher's distributions."""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path

import click

from llmcli.cli.task_options import TaskCommand, task_values
from llmcli.cli.training_options import training_options
from llmcli.errors import UserError

SHAPE = re.compile(r"^(\d+)x(\d+)$")  # LAYERSxWIDTH, e.g. 2x128
HEAD_WIDTH = 64  # a shape's attention heads: one per 64 of its width


@click.command(cls=TaskCommand, command_name="distill", options_of="finetune")
@click.argument("task_name", metavar="TASK")
@click.option("--teacher", metavar="MODEL",
              help="The model to learn from: one fine-tuned for TASK (or, for a generation task, a language "
                   "model such as an instruct base), by name or path.")
@click.option("--student", metavar="PRESET|SHAPE|MODEL",
              help="A new model from scratch, a preset (nano, micro, ...) or a shape LAYERSxWIDTH such as 2x128, "
                   "which takes the teacher's tokenizer; or a model (name or path) with the teacher's tokenizer.")
@click.option("--data", help="A dataset name (`llmcli data list TASK`) or a file or folder; default: the task's.")
@click.option("--name", help="Name of the student (default: TASK-distilled).")
@click.option("--kd-ratio", type=float, default=0.5, show_default=True,
              help="The share of the loss that matches the teacher: 0 trains on the data alone, 1 on the "
                   "teacher alone.")
@click.option("--temperature", type=float, default=2.0, show_default=True,
              help="Softens the teacher's and the student's distributions before they are compared (the KL "
                   "is scaled by its square).")
@click.option("--teacher-outputs", is_flag=True,
              help="A generation task: train on the teacher's own greedy outputs for the training prompts, "
                   "not the dataset's targets (written within --time, before the first step).")
@training_options(preset_help="", batch_help="Examples per batch (default: about 4096 tokens).",
                  without=("preset",))
def distill(task_name, teacher, student, data, name, kd_ratio, temperature, teacher_outputs, flags, **options):
    """Train a student for TASK from a teacher: the task's loss mixed with the KL divergence
    to the teacher's softened distribution.

    \b
    loss = (1 - kd-ratio) * the task's loss + kd-ratio * T^2 * KL(teacher_T || student_T)
    Give a budget: --steps N, or --time DURATION for the whole command.
    Ctrl-C saves a checkpoint; --resume continues with the same teacher (checked by checksum).
    At the end, teacher and student side by side: parameters, speed, the task's metric.
    Then: llmcli eval TASK -m NAME, llmcli run TASK -m NAME.
    """
    started = time.perf_counter()
    flags.check()
    if not 0.0 <= kd_ratio <= 1.0:
        raise UserError(f"--kd-ratio {kd_ratio} is not a share: give one in [0, 1] (the default is 0.5)")
    if temperature <= 0:
        raise UserError(f"--temperature {temperature} must be positive (the default is 2)")
    run_distillation(task_name, flags, teacher=teacher, student=student, data=data, name=name, ratio=kd_ratio,
                     temperature=temperature, teacher_outputs=teacher_outputs, options=task_values(options),
                     started=started)


def run_distillation(task_name, flags, *, teacher, student, data=None, name=None, ratio=0.5, temperature=2.0,
                     teacher_outputs=False, options=None, started=None):
    """Distil with a progress display, the summary and the side-by-side comparison."""
    started = time.perf_counter() if started is None else started
    from llmcli import registry
    from llmcli.cli.distill_summary import show_comparison
    from llmcli.cli.finetune import resumed_choices, task_workload
    from llmcli.cli.training_run import prepare_run_dir, run_with_display, show_summary
    from llmcli.paths import check_name, models_dir
    from llmcli.training.distill_workload import DistillWorkload

    reg = registry.get()
    task_entry = reg.tasks.entry(task_name)
    name = check_name(name or f"{task_entry.item.name}-distilled")
    run_dir = models_dir() / name
    options = {k: v for k, v in (options or {}).items() if v is not None}
    if flags.resume:
        data, options = resumed_choices(run_dir, task_entry.item, data, options)
        teacher = resumed_teacher(run_dir, teacher)
    teacher_dir, options = teacher_and_options(teacher, options)
    loaded = load_teacher_for(reg, task_entry, teacher_dir, options, teacher_outputs)
    shape, base_dir = (None, None) if flags.resume else student_start(student, loaded)
    for role, path in (("teacher", teacher_dir), ("student", base_dir)):
        if path is not None and path.resolve() == run_dir.resolve() and not flags.resume:
            raise UserError(f"--name {name} is the {role} itself: give the new student another --name")
    workload = task_workload(reg, task_entry, data, None, options, kind=DistillWorkload, teacher=loaded,
                             ratio=ratio, temperature=temperature, student_shape=shape,
                             student_label=student or "", teacher_outputs=teacher_outputs)
    prepare_run_dir(run_dir, flags.resume, flags.force)
    request = flags.request(run_dir, name, started, base=base_dir)
    command = f"llmcli distill {task_entry.item.name} --name {shlex.quote(name)} --resume"
    outcome = run_with_display(f"distilling {teacher_dir.name} into {name} for {task_entry.item.name}", request,
                               workload, command)
    rows = {"examples": f"{len(workload.train):,} train, {len(workload.validation):,} validation"}
    if "val_kl" in outcome.summary.figures:
        kl = outcome.summary.figures["val_kl"]
        rows["KL to the teacher"] = f"{kl:.4f} nats (validation, at T={workload.temperature:g})"
    show_summary(name, outcome, rows)
    show_comparison(workload.task, teacher_dir, outcome, workload.validation, as_json=flags.as_json)
    from llmcli.cli.console import err_console

    err_console().print(f"Next: llmcli eval {task_entry.item.name} -m {name}   |   "
                        f"llmcli run {task_entry.item.name} -m {name}", markup=False)
    return outcome


def resumed_teacher(run_dir: Path, given: str | None) -> str:
    """The teacher a student was distilled from, as its run directory records it: still
    there, with the weights it had (a resumed run learns from the same teacher)."""
    from llmcli.model.loading import reference_problem
    from llmcli.paths import resolve_model
    from llmcli.training.run_config import has_config, load_config

    if not has_config(run_dir):
        raise UserError(f"there is no run named {run_dir.name!r} to resume: distill it first without --resume")
    recorded = load_config(run_dir).distilled_from
    if recorded is None:
        raise UserError(f"{run_dir.name} was not distilled from a teacher: resume it with `llmcli finetune`")
    if given and str(resolve_model(given).resolve()) != recorded.teacher:
        raise UserError(f"{run_dir.name} learns from {recorded.name!r} ({recorded.teacher}): resume it without "
                        "--teacher, or distill a new student from this one")
    problem = reference_problem(recorded.teacher, recorded.sha256)
    if problem == "missing":
        raise UserError(f"{run_dir.name} was distilled from {recorded.name!r} ({recorded.teacher}), which is missing: "
                        "put that model back there, or distill a new student with --force")
    if problem == "changed":
        raise UserError(f"the teacher {recorded.name!r} ({recorded.teacher}) has changed since {run_dir.name} was "
                        "distilled from it (its model.safetensors has another sha256): restore it, or distill a "
                        "new student with --force")
    return recorded.teacher


def teacher_and_options(teacher: str | None, options: dict) -> tuple[Path, dict]:
    """The teacher's run directory, and the task options it was fine-tuned with (a
    de->en teacher teaches de->en) under those given now."""
    from llmcli.paths import resolve_model
    from llmcli.training.run_config import load_config

    if not teacher:
        raise UserError("give the model to learn from: --teacher MODEL (one fine-tuned for the task)")
    teacher_dir = resolve_model(teacher)
    info = load_config(teacher_dir).task
    return teacher_dir, {**(info.options if info else {}), **options}


def load_teacher_for(reg, task_entry, teacher_dir: Path, options: dict, teacher_outputs: bool):
    from llmcli.training.distillation import load_teacher

    task = task_entry.item.configured(options)
    head = reg.heads.get(task.head)
    if teacher_outputs and not head.generates:
        raise UserError(f"--teacher-outputs replaces the targets a model writes; {task.name}'s head is "
                        f"{head.name}, whose targets are labels or spans: distill without it")
    return load_teacher(teacher_dir, task, head)


def student_start(student: str | None, teacher) -> tuple[dict | None, Path | None]:
    """(the shape of a new student, None) for a preset or LAYERSxWIDTH; (None, its run
    directory) for an existing model, whose tokenizer must be the teacher's."""
    from llmcli.model.config import PRESETS
    from llmcli.model.tokenizer_files import open_tokenizer
    from llmcli.paths import resolve_model
    from llmcli.training.distillation import check_same_tokenizer
    from llmcli.training.run_config import load_config

    if not student:
        raise UserError(f"give the student: --student PRESET ({', '.join(PRESETS)}), a shape such as 2x128, "
                        "or a model with the teacher's tokenizer")
    if student in PRESETS:
        return {k: v for k, v in PRESETS[student].items() if k != "context"}, None
    shape = SHAPE.match(student)
    if shape:
        layers, width = int(shape[1]), int(shape[2])
        if layers < 1 or width < HEAD_WIDTH or width % HEAD_WIDTH:
            raise UserError(f"--student {student}: give at least 1 layer and a width that is a multiple of "
                            f"{HEAD_WIDTH} (2x128, 4x256)")
        return {"n_layer": layers, "n_embd": width, "n_head": width // HEAD_WIDTH}, None
    student_dir = resolve_model(student)
    kind = load_config(student_dir).tokenizer.type
    check_same_tokenizer(teacher, open_tokenizer(student_dir, kind), kind, student_dir.name)
    return None, student_dir
