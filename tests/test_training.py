"""The trainer: loss falls, resume is exact, checkpoints survive crashes, the schedule is sane."""

from __future__ import annotations

import pytest
import torch

from llmcli.model.config import ModelConfig
from llmcli.model.transformer import Transformer
from llmcli.training import rundir
from llmcli.training.batches import RandomWindows
from llmcli.training.run_config import TrainSettings
from llmcli.training.trainer import Trainer, TrainingInterrupted, lr_at

CONFIG = ModelConfig(vocab_size=64, n_layer=2, n_head=2, n_embd=32, context=16)


def patterned_tokens(n=4000, seed=0):
    """A learnable sequence: a repeating pattern with some noise."""
    g = torch.Generator().manual_seed(seed)
    base = torch.arange(n) % 17 + (torch.arange(n) // 170) % 3
    noise = torch.randint(0, 64, (n,), generator=g)
    keep = torch.rand(n, generator=g) < 0.9
    return torch.where(keep, base, noise).to(torch.int16)


def make_trainer(run_dir, steps, precision="fp32", seed=0, seconds=None):
    torch.manual_seed(seed)
    model = Transformer(CONFIG)
    batches = RandomWindows(patterned_tokens(), CONFIG.context, batch_size=8, seed=seed)
    settings = TrainSettings(max_steps=steps, max_seconds=seconds, batch_size=8, lr=3e-3, precision=precision, seed=seed)
    return Trainer(model, batches, settings, run_dir, torch.device("cpu"))


def test_loss_falls(tmp_path):
    trainer = make_trainer(tmp_path, steps=60)
    losses = []
    trainer.on_event = lambda e: losses.append(e["loss"]) if e["event"] == "step" else None
    trainer.run()
    assert sum(losses[-10:]) / 10 < 0.6 * sum(losses[:5]) / 5


def test_resume_gives_the_same_weights_as_one_run(tmp_path):
    straight = make_trainer(tmp_path / "a", steps=20)
    straight.run()

    first = make_trainer(tmp_path / "b", steps=20)
    first.stop_at_step = 10
    with pytest.raises(TrainingInterrupted):
        first.run()
    torch.manual_seed(123)  # a resumed process starts from other RNG state: the checkpoint restores it
    second = make_trainer(tmp_path / "b", steps=20, seed=0)
    second.restore_checkpoint()
    assert second.state.step == 10
    second.run()
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), second.model.state_dict().items()):
        assert torch.equal(a, b), name


def test_crash_during_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    trainer = make_trainer(tmp_path, steps=4)
    trainer.run()
    trainer.save_checkpoint()
    saved_step = trainer.state.step
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}

    trainer.settings.max_steps = 8
    trainer.run()
    calls = {"n": 0}
    real_save = rundir.save_weights

    def crash_on_second_file(path, state):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real_save(path, state)

    monkeypatch.setattr(rundir, "save_weights", crash_on_second_file)
    with pytest.raises(OSError):
        trainer.save_checkpoint()
    monkeypatch.setattr(rundir, "save_weights", real_save)

    weights, _, state = rundir.read_checkpoint(tmp_path)
    assert state["step"] == saved_step
    assert all(torch.equal(weights[k], before[k]) for k in before)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".checkpoint-")]


def test_crash_between_the_renames_keeps_a_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path, steps=2)
    trainer.run()
    trainer.save_checkpoint()
    (tmp_path / "checkpoint").rename(tmp_path / "checkpoint.old")  # as if killed mid-swap
    _, _, state = rundir.read_checkpoint(tmp_path)
    assert state["step"] == 2


def test_bf16_autocast_trains(tmp_path):
    trainer = make_trainer(tmp_path, steps=30, precision="bf16")
    losses = []
    trainer.on_event = lambda e: losses.append(e["loss"]) if e["event"] == "step" else None
    trainer.run()
    assert losses[-1] < losses[0]


def test_schedule_warms_up_then_decays():
    s = TrainSettings(max_steps=100, lr=1e-3, warmup=0.1, min_lr_ratio=0.1)
    assert lr_at(0.0, s) < lr_at(0.05, s) < lr_at(0.1, s) == pytest.approx(1e-3)
    assert lr_at(0.5, s) < lr_at(0.2, s)
    assert lr_at(1.0, s) == pytest.approx(1e-4)


def test_time_budget_stops_in_time(tmp_path):
    import time

    start = time.perf_counter()
    trainer = make_trainer(tmp_path, steps=None, seconds=1.5)
    trainer.run()
    assert time.perf_counter() - start < 3.0
    assert trainer.state.step > 5


def test_a_time_budget_stops_after_its_passes_over_the_text(tmp_path):
    """auto's pass limit: a fast machine stops once it has seen the text max_passes times,
    time left or not, and the schedule reaches its end there."""
    trainer = make_trainer(tmp_path, steps=None, seconds=60.0)
    trainer.settings.max_passes = 3
    trainer.tokens_per_pass = 4000  # patterned_tokens' length; a step is 8 x 16 tokens
    trainer.run()
    assert trainer.state.step == 4000 * 3 // (8 * 16) + 1  # the first step at or past the limit
    assert trainer.state.elapsed < 30
    assert trainer.progress() >= 1.0


def test_slow_evaluations_take_a_tenth_of_the_time_at_most(tmp_path):
    """A large model's quick evaluation may last longer than the gap between them: the gap
    grows so that evaluating never crowds out training."""
    import time

    spans = []

    def slow_evaluation(model, final):
        began = time.perf_counter()
        time.sleep(0.2)
        spans.append((began, time.perf_counter()))
        return {"val_loss": 1.0}

    trainer = make_trainer(tmp_path, steps=120)
    trainer.settings.eval_every_s = 0.01
    trainer.evaluate = slow_evaluation
    began = time.perf_counter()
    trainer.run()
    quick = spans[:-1] if len(spans) > 1 else spans
    evaluating = sum(end - start for start, end in quick)
    assert len(quick) >= 1
    assert evaluating <= 0.2 + 0.1 * (time.perf_counter() - began)  # the first, then a tenth


class FixedBatches:
    """The same rows every step, cut into micro-batches of `size` (for grad_accum)."""

    def __init__(self, x, y, mask, size):
        self.parts = [(x[i:i + size], y[i:i + size], mask[i:i + size]) for i in range(0, len(x), size)]
        self.turn = 0

    def next_batch(self):
        part = self.parts[self.turn % len(self.parts)]
        self.turn += 1
        return part

    def state_dict(self):
        return {}


def test_micro_batches_are_weighed_by_their_loss_terms(tmp_path):
    """Rows with few target tokens and rows with many, in two micro-batches or one batch:
    one step gives the same loss and the same gradient, the mean over every token's."""
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 64, (8, 16), generator=g)
    y = torch.randint(0, 64, (8, 16), generator=g)
    mask = torch.zeros(8, 16, dtype=torch.bool)
    mask[:4, :2] = True  # the first micro-batch holds 8 target tokens, the second 48
    mask[4:, :12] = True
    results = []
    for size, accum in ((8, 1), (4, 2)):
        torch.manual_seed(0)
        model = Transformer(CONFIG)
        settings = TrainSettings(max_steps=1, batch_size=size, grad_accum=accum, lr=1e-2, precision="fp32")
        trainer = Trainer(model, FixedBatches(x, y, mask, size), settings, tmp_path / str(size), torch.device("cpu"),
                          weight=lambda batch: int(batch[2].sum()))
        grads = []
        step = trainer.optimizer.step
        trainer.optimizer.step = lambda: (grads.extend(p.grad.clone() for p in model.parameters()), step())
        results.append((trainer.train_step(0.5), grads))
    (one_loss, one), (two_loss, two) = results
    assert two_loss == pytest.approx(one_loss, rel=1e-5)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(one, two))
