"""The one training pipeline: every command that trains goes through `run`.

    plan -> starting weights -> data -> trainer -> evaluation -> run directory

What is trained on is a workload: `CorpusWorkload` (llmcli train: a text file, a
language model) or `TaskWorkload` (llmcli finetune: a task's examples and its head). It
says what its data is, plans a tokenizer and shape for a run from scratch, attaches its
head, and turns token ids into batches and an evaluator. Where the first weights come
from is the start (training/starts.py): scratch, a base model, or the run's own
checkpoint (--resume). Budgets, Ctrl-C, checkpoints and torchrun behave the same for all.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

from llmcli.errors import UserError
from llmcli.training import distributed, rundir
from llmcli.training.run_config import RunConfig, RunSummary, TrainSettings, save_config, save_summary

SAVE_RESERVE_S = 2.0  # seconds of a time budget kept back for saving


@dataclass
class RunRequest:
    """What the user asked of a training run, whatever it trains on."""

    run_dir: Path
    name: str
    base: Path | None = None  # start from this run's weights (None: from scratch)
    resume: bool = False  # continue run_dir from its checkpoint
    steps: int | None = None
    seconds: float | None = None  # the whole command's budget
    seed: int = 0
    preset: str = "auto"
    precision: str = "auto"
    device: str = "auto"
    batch_size: int | None = None
    grad_accum: int = 1
    lr: float | None = None
    compile: bool = False
    checkpoint_activations: bool = False
    lora: object | None = None  # a run_config.LoraInfo: LoRA adapters on the frozen base
    started: float = field(default_factory=time.perf_counter)

    def remaining(self) -> float | None:
        """Seconds left of the command's budget (None: a budget in steps)."""
        if self.seconds is None:
            return None
        return self.seconds - (time.perf_counter() - self.started)


@dataclass
class Feed:
    """What the trainer is fed: batches, the validation evaluator (None: none, or not
    the main process), the loss (None: the language model's own) and summary extras."""

    batches: object
    evaluator: object | None
    final_eval_tokens: int = 0  # a time budget keeps back time to score these at the end
    loss: Callable | None = None
    weight: Callable | None = None  # a batch's number of loss terms (None: its rows)
    extra: dict = field(default_factory=dict)


class Workload(Protocol):
    """What a run trains on (see corpus_workload.py and task_workload.py)."""

    def data_info(self): ...  # CorpusData or ExampleData, with the data's digest
    def resume_from(self, previous: RunConfig) -> None: ...  # check the data, adopt its choices
    def plan_scratch(self, request: RunRequest, device, precision: str, emit): ...  # a ScratchPlan
    def task_info(self, request: RunRequest): ...  # TaskInfo, or None for a language model
    def distilled_from(self): ...  # DistillInfo of a student's teacher, or None
    def attach(self, model, config: RunConfig) -> None: ...  # give the model its head's layers
    def encode(self, tokenizer, context: int, emit): ...  # token ids of the data
    def batch_hint(self, encoded, model_config) -> int | None: ...  # a batch size the data (and memory) suggest
    def feed(self, encoded, tokenizer, settings: TrainSettings, group) -> Feed: ...


@dataclass
class TrainOutcome:
    run_dir: Path
    summary: RunSummary
    model: object
    tokenizer: object


def run(request: RunRequest, workload: Workload, on_event: Callable[[dict], None] | None = None) -> TrainOutcome:
    import torch

    from llmcli.training.devices import pick_device
    from llmcli.training.starts import first_weights

    group = distributed.join(request.device)
    emit = (on_event or (lambda event: None)) if group.main else (lambda event: None)
    device = distributed.device_for(group, pick_device(request.device))
    torch.manual_seed(request.seed)
    start = first_weights(request, workload, device, group, emit)
    config, settings = start.config, start.config.train
    encoded = workload.encode(start.tokenizer, start.model.config.context, emit)
    hint = workload.batch_hint(encoded, start.model.config)
    if not request.resume and hint is not None:
        settings.batch_size = request.batch_size or distributed.splittable_batch(hint, group)
    distributed.per_process_batch(settings.batch_size, group)  # a clear error if it does not split
    feed = workload.feed(encoded, start.tokenizer, settings, group)
    summary = train_and_save(request, start.model, feed, config, device, emit)
    return TrainOutcome(run_dir=request.run_dir, summary=summary, model=start.model, tokenizer=start.tokenizer)


def set_budget(request: RunRequest, settings: TrainSettings) -> None:
    """The budget: steps, or what is left of the command's time (the trainer keeps back
    enough of it for the final evaluation). A resumed run keeps its own if none is given."""
    if request.steps is not None:
        settings.max_steps, settings.max_seconds = request.steps, None
    elif request.seconds is not None:
        settings.max_steps = None
        settings.max_seconds = max(1.0, request.remaining() - SAVE_RESERVE_S)
    elif not request.resume:
        raise UserError("give a budget: --steps N or --time DURATION")


def check_room_to_train(request: RunRequest, step: int) -> None:
    """A resumed run given `--steps N` must be short of step N: one already there or past
    it is refused before config.json is written, so the file keeps the budget the run had.
    (With no new budget, a finished run is validated and saved again, as documented.)"""
    if request.steps is None or step < request.steps:
        return
    raise UserError(f"{request.name} is already at step {step:,}, past --steps {request.steps}: nothing to "
                    f"train; give a larger --steps (more than {step}) or a --time to train it further")


def train_and_save(request: RunRequest, model, feed: Feed, config: RunConfig, device, emit) -> RunSummary:
    """Train within the budget, then save the weights, the checkpoint and the summary in
    the run directory; config.json is written first."""
    from llmcli.training.trainer import Trainer, TrainingInterrupted

    from llmcli.model.lora import trained_state

    run, settings, group = request.run_dir, config.train, distributed.current()
    if device.type == "cpu":  # built the first time: before the budget is set, so the command's time holds
        from llmcli.model import training_kernels

        training_kernels.load()
    set_budget(request, settings)
    trainer = Trainer(model, feed.batches, settings, run, device, evaluate=feed.evaluator, on_event=emit,
                      loss=feed.loss, weight=feed.weight)
    trainer.final_eval_tokens = feed.final_eval_tokens
    trainer.tokens_per_pass = feed.extra.get("train_tokens_per_epoch", 0)
    if request.resume:  # every process reads the checkpoint: the run directory must be on each machine
        trainer.restore_checkpoint()
        check_room_to_train(request, trainer.state.step)
        emit({"event": "phase", "phase": "resume",
              "detail": f"from step {trainer.state.step:,} ({trainer.state.elapsed:.1f} s trained before)"})
        if request.seconds is not None:
            settings.max_seconds = trainer.state.elapsed + max(1.0, request.remaining() - SAVE_RESERVE_S)
            settings.max_passes = None  # the time asked for now, not the plan's pass limit
    if group.main:
        save_config(run, config)
        (run / rundir.SUMMARY).unlink(missing_ok=True)  # not finished until this run is
    where = f"{device}" if not group.active else f"{group.world} processes ({device.type})"
    emit({"event": "phase", "phase": "train", "detail": f"{model.num_params():,} parameters on {where}"})
    try:
        state = trainer.run()
    except TrainingInterrupted:
        if group.main:
            rundir.save_weights(run / rundir.WEIGHTS, trained_state(model))  # usable as it stands
        distributed.barrier(group)
        raise
    final = trainer.run_evaluation(final=True) if feed.evaluator else {}
    if group.main:
        rundir.save_weights(run / rundir.WEIGHTS, trained_state(model))  # a LoRA run's: adapters and head
    trainer.save_checkpoint()
    summary = finish(request, state, final, feed.extra)
    distributed.barrier(group)  # the files are written before any process leaves
    return summary


def finish(request: RunRequest, state, final: dict, extra: dict) -> RunSummary:
    """The summary of a finished run, written by the main process."""
    summary = RunSummary(
        steps=state.step,
        tokens=state.tokens,
        train_seconds=round(state.elapsed, 2),
        command_seconds=round(time.perf_counter() - request.started, 2),
        figures={**extra, **{k: v for k, v in final.items() if k != "final"}},
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    if "val_loss" in summary.figures and not math.isfinite(summary.figures["val_loss"]):
        raise UserError("validation loss is not finite: lower --lr and train again")
    if distributed.current().main:
        save_summary(request.run_dir, summary)
    return summary
