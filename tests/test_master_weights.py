"""bf16 copies of the linear weights with float32 masters (training/master_weights.py) and
the AdamW kernel that steps them (kernels/optimizer_step.cpp): the same updates as torch's
AdamW and clipping, copies that follow their masters, checkpoints that resume exactly."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch

from llmcli.model import training_kernels
from llmcli.model.config import ModelConfig
from llmcli.model.transformer import Transformer
from llmcli.training import master_weights
from llmcli.training.batches import RandomWindows
from llmcli.training.devices import autocast
from llmcli.training.run_config import TrainSettings
from llmcli.training.optimizer import make_optimizer
from llmcli.training.trainer import Trainer, TrainingInterrupted

needs_kernels = pytest.mark.skipif(not training_kernels.load(), reason="no C++ compiler here")
CPU = torch.device("cpu")
TIED = ModelConfig(vocab_size=96, n_layer=2, n_head=2, n_embd=32, context=16, family="llama", tied_output=True)
BF16 = TrainSettings(max_steps=8, batch_size=4, lr=3e-3, precision="bf16", grad_clip=1.0)


def tokens(n=2000):
    return (torch.arange(n) * 7 % 96).to(torch.int16)


@needs_kernels
@pytest.mark.parametrize("grad_dtype", [torch.float32, torch.bfloat16])
def test_the_kernel_steps_as_torchs_adamw_with_clipping(grad_dtype):
    torch.manual_seed(0)
    weights = [torch.randn(70, 33), torch.randn(5)]
    ours = [w.clone() for w in weights]
    theirs = [w.clone().requires_grad_() for w in weights]
    options = dict(lr=1e-2, betas=(0.9, 0.95), weight_decay=0.1)
    reference = torch.optim.AdamW(theirs, **options, fused=True)
    state = [(torch.zeros_like(w), torch.zeros_like(w)) for w in weights]
    copies = [torch.empty_like(w, dtype=torch.bfloat16) for w in weights]
    for step in range(1, 6):
        grads = [(torch.randn_like(w) * 3).to(grad_dtype) for w in weights]
        for p, g in zip(theirs, grads):
            p.grad = g.float().clone()  # clipping scales it in place
        norm = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
        reference.step()
        ops = training_kernels.ops()
        ours_norm = sum(ops.sum_squares(g) for g in grads) ** 0.5
        assert ours_norm == pytest.approx(norm.item(), rel=1e-5)
        for w, (m, v), g, c in zip(ours, state, grads, copies):
            ops.adamw_step_(w, m, v, g, c, 1e-2, 0.9, 0.95, 1e-8, 0.1, float(step), min(1.0, 1.0 / (ours_norm + 1e-6)))
    for w, p, c in zip(ours, theirs, copies):
        assert torch.allclose(w, p.detach(), rtol=1e-5, atol=1e-6)
        assert torch.equal(c, w.to(torch.bfloat16))  # the copy is the master rounded as torch rounds


@needs_kernels
def test_only_weights_that_linears_alone_read_get_copies():
    tied = Transformer(TIED)
    masters = master_weights.MasterWeights(tied)
    names = {id(p): name for name, p in tied.named_parameters()}
    copied = {names[id(master)] for master, _, _ in masters.places}
    assert "embed.weight" not in copied  # also a look-up, whose output must stay float32
    assert not any("norm" in name for name in copied)
    assert "blocks.0.attn.qkv.weight" in copied and "blocks.1.mlp.down.weight" in copied
    untied = Transformer(ModelConfig(**{**TIED.__dict__, "tied_output": False}))
    assert "output.weight" in {n for n, p in untied.named_parameters()
                               if id(p) in master_weights.MasterWeights(untied).copy_of}


@needs_kernels
def test_not_used_where_autocasts_casts_serve():
    model = Transformer(TIED)
    assert master_weights.for_training(model, BF16, CPU)
    for other in (dict(precision="fp32"), dict(compile=True), dict(grad_accum=2)):
        settings = dataclasses.replace(BF16, **other)
        assert master_weights.for_training(model, settings, CPU) is None, other


@needs_kernels
def test_steps_follow_autocasts_and_the_model_keeps_its_float32_weights():
    torch.manual_seed(0)
    plain = Transformer(TIED)
    kept = copy.deepcopy(plain)
    masters = master_weights.for_training(kept, BF16, CPU)
    theirs, ours = make_optimizer(plain, BF16), make_optimizer(kept, BF16, masters)
    x, y = torch.randint(0, 96, (4, 16)), torch.randint(0, 96, (4, 16))
    before = {name: p for name, p in kept.named_parameters()}
    for _ in range(3):
        with autocast(CPU, "bf16"):
            their_loss = plain(x, y)[1]
        their_loss.backward()
        torch.nn.utils.clip_grad_norm_(plain.parameters(), 1.0)
        theirs.step()
        theirs.zero_grad()
        with masters.in_use():
            assert kept.blocks[0].attn.qkv.weight.dtype == torch.bfloat16
            with autocast(CPU, "bf16"):
                our_loss = kept(x, y)[1]
            our_loss.backward()
        ours.step(grad_clip=1.0)
        ours.zero_grad()
        assert our_loss.item() == pytest.approx(their_loss.item(), rel=2e-3)
    # outside a step: the same float32 parameters as before, updated, with no gradients left
    assert {name: p for name, p in kept.named_parameters()} == before
    assert all(p.dtype == torch.float32 and p.grad is None for p in kept.parameters())
    assert all(copy.grad is None and torch.equal(copy, master.to(torch.bfloat16)) for master, copy, _ in masters.places)
    assert ours.state_dict()["state"].keys() == theirs.state_dict()["state"].keys()


@needs_kernels
def test_a_copy_follows_a_master_changed_outside_the_optimizer():
    model = Transformer(TIED)
    masters = master_weights.MasterWeights(model)
    master, copy_, _ = masters.places[0]
    with torch.no_grad():
        master.fill_(0.25)
    with masters.in_use():
        assert torch.equal(copy_, torch.full_like(copy_, 0.25))


def bf16_trainer(run_dir, steps=8):
    torch.manual_seed(0)
    settings = dataclasses.replace(BF16, max_steps=steps)
    return Trainer(Transformer(TIED), RandomWindows(tokens(), TIED.context, batch_size=4, seed=0), settings,
                   run_dir, CPU)


@needs_kernels
def test_a_bf16_run_resumes_exactly(tmp_path):
    straight = bf16_trainer(tmp_path / "a")
    assert straight.masters
    straight.run()
    first = bf16_trainer(tmp_path / "b")
    first.stop_at_step = 4
    with pytest.raises(TrainingInterrupted):
        first.run()
    second = bf16_trainer(tmp_path / "b")
    second.restore_checkpoint()
    second.run()
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), second.model.state_dict().items()):
        assert torch.equal(a, b), name
