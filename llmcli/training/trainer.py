"""The training loop: AdamW, warmup then cosine decay, clipping, accumulation, bf16 autocast,
a budget in steps or seconds, periodic evaluation, and checkpoints that resume exactly.

The trainer knows nothing of terminals: it reports progress as events (plain dicts) to a
callback, and the CLI draws them.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from llmcli.errors import UserError
from llmcli.files import append_jsonl
from llmcli.model import training_kernels
from llmcli.model.lora import keep_base_in, load_trained_state, trained_state
from llmcli.training import distributed, master_weights, memory_reuse, rundir
from llmcli.training.devices import AUTOCAST_DTYPES, autocast
from llmcli.training.optimizer import clip_and_step, load_optimizer_tensors, make_optimizer, optimizer_tensors
from llmcli.training.run_config import TrainSettings


EVAL_SHARE = 0.1  # at most this share of the wall time goes to the quick evaluations


class TrainingInterrupted(Exception):
    """Ctrl-C during training, after a checkpoint was saved."""

    def __init__(self, step: int):
        super().__init__(f"interrupted at step {step}")
        self.step = step


@dataclass
class TrainState:
    step: int = 0
    elapsed: float = 0.0  # seconds of training loop so far, across resumes
    tokens: int = 0
    extra: dict = field(default_factory=dict)


def lr_at(progress: float, settings: TrainSettings) -> float:
    """Linear warmup over the first `warmup` of the budget, then cosine down to min_lr_ratio."""
    peak, floor = settings.lr, settings.lr * settings.min_lr_ratio
    if progress < settings.warmup:
        return peak * max(progress / settings.warmup, 0.01)
    frac = min(1.0, (progress - settings.warmup) / max(1e-9, 1 - settings.warmup))
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * frac))


class Trainer:
    """Trains `model` on `batches` (an object with next_batch/state_dict/load_state_dict).

    `loss(model, batch)` gives a batch's loss (by default the model's own, for language
    modelling); `evaluate(model, final) -> dict` gives validation figures; `on_event(dict)`
    receives progress.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        batches,
        settings: TrainSettings,
        run_dir: Path,
        device: torch.device,
        evaluate: Callable[[torch.nn.Module, bool], dict] | None = None,
        on_event: Callable[[dict], None] | None = None,
        loss: Callable[[torch.nn.Module, tuple], torch.Tensor] | None = None,
        weight: Callable[[tuple], int] | None = None,
    ):
        if settings.max_steps is None and settings.max_seconds is None:
            raise ValueError("a budget is needed: max_steps or max_seconds")
        self.model = model.to(device)
        model.checkpoint_activations = settings.checkpoint_activations
        if device.type == "cpu":
            training_kernels.load()  # built the first time, before the budget's clock starts
            memory_reuse.keep_freed_memory()  # no page faults each step for the same large buffers
        if settings.precision in AUTOCAST_DTYPES:
            keep_base_in(model, AUTOCAST_DTYPES[settings.precision])  # a LoRA run's frozen base
        self.batches = batches
        self.settings = settings
        self.run_dir = run_dir
        self.device = device
        self.evaluate = evaluate
        self.on_event = on_event or (lambda event: None)
        # a batch is a tuple of tensors, token ids first; a language model's is (x, y, mask)
        self.loss = loss or (lambda model, batch: model(*batch)[1])
        # how many terms a batch's mean loss averages (target tokens, examples): a step's loss
        # is their mean over all its micro-batches and processes, as one big batch's would be
        self.weight = weight or (lambda batch: len(batch[0]))
        # a bf16 step on a CPU: the linears read bf16 copies kept between steps (None elsewhere)
        self.masters = master_weights.for_training(self.model, settings, device)
        self.optimizer = make_optimizer(self.model, settings, self.masters)
        self.state = TrainState()
        self.last_eval: dict = {}
        self.stop_at_step: int | None = None  # for tests: behave as if Ctrl-C came here
        self.final_eval_tokens = 0  # a time budget keeps back time to score these at the end
        self.tokens_per_pass = 0  # tokens in one pass over the training text (0: unknown, no max_passes)
        self.group = distributed.current()
        self.step_loss = self.wrap_for_training()
        # fp16 (GPUs without bf16) needs its gradients scaled against underflow
        self.scaler = torch.amp.GradScaler(device.type) if settings.precision == "fp16" else None

    def wrap_for_training(self):
        """The module a training step calls: the loss as a module (so DistributedDataParallel
        can average its gradients over the processes, whatever the head), compiled on request."""
        module = LossModule(self.model, self.loss)
        if self.group.active:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            module = DistributedDataParallel(module, device_ids=ids)  # copies rank 0's weights to all
        if self.settings.compile:
            module = torch.compile(module)
        return module

    # -- checkpoints ---------------------------------------------------------------------

    def save_checkpoint(self) -> None:
        if not self.group.main:  # every process holds the same weights: one writes them
            return
        rng = {"rng.torch": torch.get_rng_state()}
        rng.update({f"rng.batches.{k}": v for k, v in self.batches.state_dict().items()})
        state = {
            "step": self.state.step,
            "elapsed": self.state.elapsed,
            "tokens": self.state.tokens,
            "settings": self.settings.to_dict(),
            "last_eval": self.last_eval,
        }
        rundir.write_checkpoint(
            self.run_dir,
            trained_state(self.model),  # a LoRA run's adapters and head: its base stays where it is
            {**optimizer_tensors(self.optimizer), **rng},
            state,
        )

    def restore_checkpoint(self) -> None:
        weights, tensors, state = rundir.read_checkpoint(self.run_dir)
        try:
            load_trained_state(self.model, weights)
            load_optimizer_tensors(self.optimizer, tensors)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise UserError(
                f"the checkpoint in {self.run_dir} does not match its model ({str(exc).splitlines()[0]}): "
                "the files come from different runs; train again with --force"
            ) from None
        torch.set_rng_state(tensors["rng.torch"])
        prefix = "rng.batches."
        self.batches.load_state_dict(
            {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        )
        self.state = TrainState(step=state["step"], elapsed=state["elapsed"], tokens=state["tokens"])
        self.last_eval = state.get("last_eval", {})

    # -- the loop ------------------------------------------------------------------------

    def progress(self) -> float:
        s = self.settings
        if s.max_steps is not None:
            return self.state.step / s.max_steps
        timed = self.state.elapsed / max(1e-9, s.max_seconds - self.eval_reserve())
        if s.max_passes and self.tokens_per_pass:  # whichever ends first; the schedule follows it
            return max(timed, self.state.tokens / (s.max_passes * self.tokens_per_pass))
        return timed

    def eval_reserve(self) -> float:
        """Seconds the final evaluation will take: a forward pass runs about 3x faster per
        token than a training step, at the rate seen so far."""
        if not self.final_eval_tokens or not self.state.tokens:
            return 0.0
        rate = self.state.tokens / max(1e-9, self.state.elapsed)
        return min(self.final_eval_tokens / (3 * rate), 0.25 * self.settings.max_seconds)

    def done(self) -> bool:
        return self.progress() >= 1.0

    def train_step(self, progress: float) -> float:
        """One optimizer step at `progress` through the budget (rank 0's, under torchrun)."""
        s = self.settings
        lr = lr_at(progress, s)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.model.train()
        micro_batches = [tuple(t.to(self.device) if t is not None else None for t in self.batches.next_batch())
                         for _ in range(s.grad_accum)]
        weights = [float(self.weight(batch)) for batch in micro_batches]
        # processes average their gradients: each scales its share by world / all the terms
        share = self.group.world / max(1.0, distributed.sum_over_processes(sum(weights), self.group, self.device))
        with self.masters.in_use() if self.masters else contextlib.nullcontext():
            total = self.forward_and_backward(micro_batches, weights, share)
        clip_and_step(self.optimizer, self.model.parameters(), s.grad_clip, self.scaler)
        self.state.step += 1
        return distributed.mean_over_processes(total, self.group, self.device)

    def forward_and_backward(self, micro_batches: list[tuple], weights: list[float], share: float) -> float:
        """The step's gradients, summed over its micro-batches; its loss."""
        total = 0.0
        for micro, (batch, weight) in enumerate(zip(micro_batches, weights)):
            # processes average their gradients once per step, after the last micro-batch
            last = micro == self.settings.grad_accum - 1
            sync = contextlib.nullcontext() if last or not self.group.active else self.step_loss.no_sync()
            with sync:
                with autocast(self.device, self.settings.precision):
                    loss = self.step_loss(*batch)
                scaled = loss * (weight * share)
                (self.scaler.scale(scaled) if self.scaler else scaled).backward()
            total += loss.item() * weight * share
            self.state.tokens += batch[0].numel() * self.group.world
        return total

    def run_evaluation(self, final: bool) -> dict:
        if self.evaluate is None or not self.group.main:
            return {}
        self.model.eval()
        with torch.no_grad(), autocast(self.device, self.settings.precision):
            figures = self.evaluate(self.model, final)
        self.last_eval = figures
        event = {"event": "eval", "step": self.state.step, "final": final, **figures}
        self.log(event)
        return figures

    def log(self, event: dict) -> None:
        """Report and record an event: rank 0's alone, under torchrun."""
        if self.group.main:
            self.on_event(event)
            append_jsonl(self.run_dir / rundir.METRICS, event)

    def run(self) -> TrainState:
        """Train until the budget is spent.

        Ctrl-C finishes the step under way, saves a checkpoint and raises TrainingInterrupted,
        so that a resumed run continues exactly; a second Ctrl-C stops at once, unsaved.
        """
        with StopRequest() as stop:
            try:
                return self._loop(stop)
            except RuntimeError as exc:
                if not self.group.active:
                    raise
                # under torchrun: usually another process died, and this one lost it mid-step
                first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                raise UserError(f"training stopped at step {self.state.step}: another process failed or "
                                f"could not be reached ({first}); its own message says why. The last "
                                "checkpoint is kept: fix the cause, then train again with --resume") from None

    def _loop(self, stop: "StopRequest") -> TrainState:
        s = self.settings
        self.run_dir.mkdir(parents=True, exist_ok=True)
        loop_start = last_eval = last_ckpt = time.perf_counter()
        base_elapsed = self.state.elapsed  # wall time counts, evaluations and saves included
        tokens_per_s, eval_gap = 0.0, s.eval_every_s
        while True:
            # every process takes the same decisions: rank 0's clock, anyone's Ctrl-C
            asked = stop.requested or (self.stop_at_step is not None and self.state.step >= self.stop_at_step)
            progress, done, asked = distributed.agree(self.progress(), self.done(), asked, self.group, self.device)
            if done:
                break
            if asked:
                self.save_checkpoint()
                distributed.barrier(self.group)  # nobody leaves before the checkpoint is written
                raise TrainingInterrupted(self.state.step)
            tokens_before, step_start = self.state.tokens, time.perf_counter()
            loss = self.train_step(progress)
            now = time.perf_counter()
            self.state.elapsed = base_elapsed + (now - loop_start)
            rate = (self.state.tokens - tokens_before) / max(1e-9, now - step_start)
            # a moving average, so that tokens/s follows the present
            tokens_per_s = rate if not tokens_per_s else 0.9 * tokens_per_s + 0.1 * rate
            if not math.isfinite(loss):
                raise UserError(f"the loss became {loss} at step {self.state.step}: lower --lr and train again")
            event = {
                "event": "step",
                "step": self.state.step,
                "loss": round(loss, 5),
                "lr": lr_at(self.progress(), s),
                "tokens_per_s": round(tokens_per_s, 1),
                "elapsed": round(self.state.elapsed, 3),
                "progress": min(1.0, self.progress()),
            }
            if self.device.type == "cuda":
                event["memory_gb"] = round(torch.cuda.max_memory_allocated(self.device) / 2**30, 2)
            self.log(event)
            if now - last_eval > eval_gap and not self.done():
                began = time.perf_counter()
                self.run_evaluation(final=False)
                last_eval = time.perf_counter()
                # a large model's quick evaluation takes long: keep them to a tenth of the time
                eval_gap = max(s.eval_every_s, (1 / EVAL_SHARE - 1) * (last_eval - began))
            if now - last_ckpt > s.checkpoint_every_s:
                self.save_checkpoint()
                last_ckpt = time.perf_counter()
        return self.state


class LossModule(torch.nn.Module):
    """A model and its loss function as one module: what a training step calls."""

    def __init__(self, model: torch.nn.Module, loss):
        super().__init__()
        self.model = model
        self.loss = loss

    def forward(self, *batch):
        return self.loss(self.model, batch)


class StopRequest:
    """Turns the first Ctrl-C into a request to stop between steps (main thread only).

    Under torchrun, SIGTERM too, and a signal repeated within ECHO_S seconds counts once:
    a Ctrl-C may reach a process both from its terminal and from torchrun, which passes
    signals on to its processes."""

    ECHO_S = 3.0

    def __init__(self):
        self.requested = False
        self.first = 0.0
        self._previous: dict = {}

    def _handle(self, signum, frame):
        if self.requested:
            if distributed.current().active and time.monotonic() - self.first < self.ECHO_S:
                return
            raise KeyboardInterrupt  # a second Ctrl-C: the user does not want to wait
        self.requested = True
        self.first = time.monotonic()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            signals = [signal.SIGINT]
            if distributed.current().active:
                signals.append(signal.SIGTERM)
            for number in signals:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc):
        for number, previous in self._previous.items():
            signal.signal(number, previous)
