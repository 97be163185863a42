"""`--preset auto`: the model shape, batch and learning rate that a corpus and a budget afford.

The rule: estimate how many tokens the budget lets this machine train on for each preset
(from a quick matrix-multiply measurement and the preset's FLOPs per token), then take the
largest preset that still sees at least TOKENS_PER_PARAM tokens per parameter. Short
budgets get small, fast models that see a lot of text; long budgets get bigger ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from llmcli.model.transformer import PRESETS, Transformer, preset_config

# Tuned on short CPU runs: a model that sees fewer tokens per parameter than this
# is better replaced by the next smaller one within the same wall time.
TOKENS_PER_PARAM = 5.0
# Share of the measured matmul rate that training reaches, end to end, at these sizes.
TRAIN_EFFICIENCY = {"bf16": 0.55, "fp32": 0.45}
DEFAULT_BATCH_TOKENS = 8192
AUTO_ORDER = ["nano", "micro", "mini", "small", "medium"]


@dataclass
class Plan:
    preset: str
    batch_size: int
    lr: float
    estimated_tokens: int
    reason: str


def matmul_flops(device: torch.device, precision: str, seconds: float = 0.15) -> float:
    """Measured FLOP/s of a 1024x1024 matrix multiply in the training precision."""
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a = torch.randn(1024, 1024, device=device, dtype=dtype)
    b = torch.randn(1024, 1024, device=device, dtype=dtype)
    a @ b  # warm up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        n += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return 2 * 1024**3 * n / (time.perf_counter() - start)


def flops_per_token(preset: str, vocab_size: int) -> int:
    config = preset_config(preset, vocab_size=vocab_size)
    with torch.device("meta"):
        model = Transformer(config)
    return model.flops_per_token(), model.num_params()


def lr_for(n_embd: int) -> float:
    """Smaller models tolerate larger steps (a rough muP-like 1/width rule)."""
    return min(3e-3, 1e-3 * 384 / n_embd)


def plan_auto(
    vocab_size: int,
    corpus_tokens: int,
    device: torch.device,
    precision: str,
    seconds: float | None = None,
    steps: int | None = None,
) -> Plan:
    rate = matmul_flops(device, precision) * TRAIN_EFFICIENCY.get(precision, 0.45)
    chosen = None
    for name in AUTO_ORDER:
        context = PRESETS[name]["context"]
        batch_size = max(1, DEFAULT_BATCH_TOKENS // context)
        fpt, params = flops_per_token(name, vocab_size)
        if seconds is not None:
            tokens = int(rate * seconds / fpt)
        else:
            tokens = steps * batch_size * context
        # more tokens than the corpus holds are repeats: they count for less
        useful = min(tokens, 4 * max(corpus_tokens, 1))
        candidate = Plan(
            preset=name,
            batch_size=batch_size,
            lr=lr_for(PRESETS[name]["n_embd"]),
            estimated_tokens=tokens,
            reason=f"{params / 1e6:.1f}M parameters, about {tokens / 1e6:.1f}M tokens in the budget",
        )
        if chosen is None or useful >= TOKENS_PER_PARAM * params:
            chosen = candidate
    return chosen
