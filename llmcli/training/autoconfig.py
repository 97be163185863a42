"""Choosing the model shape, vocabulary, batch and learning rate for a corpus and a budget.

`--preset auto` walks a ladder of shapes, from tiny to large, and estimates for each how
many tokens this machine can train it on within the budget: its matrix-multiply rate
(measured once and kept, machine_rate.py), times the share of it that training reaches at that width (narrow models
spend relatively more time outside matrix multiplies), divided by the shape's FLOPs per
token. It keeps the largest shape that still sees TOKENS_PER_PARAM tokens per parameter.
Short budgets get small, fast models that see a lot of text; long budgets, bigger ones.

The constants were fitted on tinyshakespeare with 133-second budgets on a 2-core CPU
(docs/training.md lists the runs); they are rules of thumb, not laws.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from llmcli.model.config import PRESETS, ModelConfig
from llmcli.model.transformer import Transformer

# Tokens per parameter that a shape must see to be chosen. On tinyshakespeare in 133 s,
# 2x128 at 7-9 tokens per parameter (2.16-2.19 bits per byte) beat 2x64 at about 80
# (2.20) and 2x192 at about 3 (2.21); 3x128 at about 5.5 (2.12-2.14, vocabulary 1536)
# beat 2x128 again. On the 2-core AMD EPYC, a third as fast, 3x128 at 5.3 (2.141) beat
# 2x128 at 6.4-7.4 (2.153-2.170, four runs): 4 takes 3x128 there at any matmul rate
# from 300 GFLOP/s up, where 6 needed more than this machine has.
TOKENS_PER_PARAM = 4.0
# Repeating the text beyond this many passes adds little (the ladder counts passes of its
# estimate of the text's tokens, 4 bytes a token).
MAX_EPOCHS = 20
# A time budget's run stops after this many passes over its training tokens, time left or
# not: on a Xeon with AMX, 3x128 on tinyshakespeare ran 17 passes in 133 s and scored
# 2.175-2.201 bits per byte (three runs) where 12 passes (1,100 steps) scored 2.135 and
# 8.6 passes 2.152. Slower machines (the AMD EPYC: about 11.5 passes) never reach it.
MAX_PASSES = 12
BATCH_TOKENS = 4096  # 32 x 128: beat 64 x 128 at 133 s (2.163 vs 2.191 bits per byte)

# The ladder auto climbs: head size 32 while narrow, 64 from 256 wide on.
AUTO_SHAPES = [
    dict(n_layer=2, n_embd=64, n_head=2, context=128),
    dict(n_layer=2, n_embd=128, n_head=4, context=128),
    dict(n_layer=3, n_embd=128, n_head=4, context=128),
    dict(n_layer=3, n_embd=192, n_head=6, context=256),
    dict(n_layer=4, n_embd=256, n_head=4, context=256),
    dict(n_layer=6, n_embd=384, n_head=6, context=256),
    dict(n_layer=8, n_embd=512, n_head=8, context=512),
]


@dataclass
class Plan:
    shape: dict  # ModelConfig fields except the vocabulary
    batch_size: int
    lr: float
    vocab_size: int
    estimated_tokens: int | None
    reason: str
    max_passes: float | None = None  # a time budget's stop after that many passes (TrainSettings.max_passes)


FITTED_RATE = 385e9  # the bf16 matmul rate of the machine training_efficiency was fitted on


def training_efficiency(width: int, device: torch.device, rate: float = FITTED_RATE) -> float:
    """Share of the matmul rate a training step reaches at this width. Fitted to bf16
    steps with llmcli's training kernels on a 2-core AMD EPYC (bf16 matmul 380-390 GFLOP/s),
    the ladder's shapes and batches: 36% at 64 wide, 49-54% at 128, 57% at 192, 65% at 256,
    76% at 384. A token's matmul time falls as the rate rises while the passes over memory
    between them do not, so a faster machine reaches less of its rate: on a 2-core Xeon with
    AMX (1,060 GFLOP/s), 3x128 trained at 27% and 3x192 at 38%; the rate's ratio to the
    fitted one, applied to the width's offset, gives 27% and 36%."""
    if device.type == "cuda":
        return 0.4
    return 0.97 * width / (width + 120 * max(1.0, rate / FITTED_RATE))


def shape_cost(shape: dict, vocab_size: int) -> tuple[int, int]:
    """(training FLOPs per token, parameters) of a shape."""
    with torch.device("meta"):
        model = Transformer(ModelConfig(vocab_size=vocab_size, **shape))
    return model.flops_per_token(), model.num_params()


def lr_for(width: int) -> float:
    """Narrower models take larger steps: 2e-3 at 128 wide (it beat 3e-3 and 5e-3 there),
    falling as 1/sqrt(width) to 1e-3 at 512."""
    return 2e-3 * (128 / width) ** 0.5


def vocab_for(width: int, corpus_default: int) -> int:
    """The corpus's default vocabulary, but no more than 12 tokens per unit of width: with
    a narrow model, a large embedding costs more than its shorter sequences save. For a
    128-wide model on tinyshakespeare, 1024 beat 2048 (2 layers), and 1536 beat 1024
    (3 layers: 2.121-2.139 bits per byte against 2.143-2.161, seeds 0, 2, 3)."""
    return max(384, min(corpus_default, 12 * width))


def batch_for(context: int) -> int:
    return max(1, BATCH_TOKENS // context)


def plan_for(shape: dict, corpus_default_vocab: int, reason: str, estimated_tokens: int | None = None,
             max_passes: float | None = None) -> Plan:
    """A shape with the batch, learning rate and vocabulary that go with it."""
    return Plan(
        shape=dict(shape),
        batch_size=batch_for(shape["context"]),
        lr=lr_for(shape["n_embd"]),
        vocab_size=vocab_for(shape["n_embd"], corpus_default_vocab),
        estimated_tokens=estimated_tokens,
        reason=reason,
        max_passes=max_passes,
    )


def plan_auto(
    corpus_tokens: int,
    corpus_default_vocab: int,
    device: torch.device,
    precision: str,
    seconds: float | None = None,
    steps: int | None = None,
) -> Plan:
    """The largest shape on the ladder that the budget trains on enough tokens. A time
    budget is read against this machine's kept matmul rate (machine_rate.py)."""
    rate, rate_note = 0.0, ""
    if seconds is not None:
        from llmcli.training.machine_rate import FILE, matmul_rate

        rate, measured = matmul_rate(device, precision)
        rate_note = f"; the machine's matmul rate {rate / 1e9:.0f} GFLOP/s (measured {measured}, kept in {FILE})"
    chosen = None
    for shape in AUTO_SHAPES:
        vocab = vocab_for(shape["n_embd"], corpus_default_vocab)
        fpt, params = shape_cost(shape, vocab)
        if seconds is not None:
            tokens = int(rate * training_efficiency(shape["n_embd"], device, rate) * seconds / fpt)
        else:
            tokens = steps * batch_for(shape["context"]) * shape["context"]
        useful = min(tokens, MAX_EPOCHS * max(corpus_tokens, 1))
        reason = (f"{shape['n_layer']} layers x {shape['n_embd']} wide, {params / 1e6:.2f}M parameters, "
                  f"about {tokens / 1e6:.1f}M tokens in the budget")
        if chosen is None or useful >= TOKENS_PER_PARAM * params:
            chosen = plan_for(shape, corpus_default_vocab, reason + rate_note, tokens)
    if seconds is not None:  # for a workload that counts its passes (a corpus's)
        chosen.max_passes = MAX_PASSES
    return chosen


def plan_preset(name: str, corpus_default_vocab: int) -> Plan:
    return plan_for(PRESETS[name], corpus_default_vocab, f"preset {name}")


def plan_run(preset: str, corpus_tokens: int, corpus_default_vocab: int, device: torch.device, precision: str,
             seconds: float | None, steps: int | None) -> Plan:
    """The plan of a from-scratch run: a named preset's, or auto's for the budget."""
    from llmcli.errors import UserError

    if preset == "auto":
        return plan_auto(corpus_tokens, corpus_default_vocab, device, precision, seconds=seconds,
                         steps=steps if seconds is None else None)
    if preset in PRESETS:
        return plan_preset(preset, corpus_default_vocab)
    raise UserError(f"unknown preset {preset!r}: choose auto or one of {', '.join(PRESETS)}")
