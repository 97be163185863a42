"""AdamW as the trainer makes and steps it, and its state as flat tensors for checkpoints."""

from __future__ import annotations

import torch

from llmcli.training.master_weights import MasterAdamW, MasterWeights
from llmcli.training.run_config import TrainSettings


def make_optimizer(model: torch.nn.Module, settings: TrainSettings,
                   masters: MasterWeights | None = None) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices and embeddings only, not on norm gains; with
    `masters`, llmcli's, which also keeps their bf16 copies."""
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": settings.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    options = dict(lr=settings.lr, betas=(settings.beta1, settings.beta2))
    if masters:
        return MasterAdamW(groups, masters, **options)
    return torch.optim.AdamW(groups, **options, fused=True)


def clip_and_step(optimizer: torch.optim.Optimizer, params, grad_clip: float, scaler=None) -> None:
    """The update after a step's backward: gradients clipped to `grad_clip` (0: not clipped),
    unscaled first with fp16's `scaler`, then the optimizer's step and the gradients let go.
    llmcli's MasterAdamW applies the clip within its own pass."""
    if isinstance(optimizer, MasterAdamW):
        optimizer.step(grad_clip=grad_clip)
    else:
        if scaler:
            scaler.unscale_(optimizer)
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(params, grad_clip)
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """The optimizer's per-parameter state as flat named tensors (for safetensors)."""
    flat = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            flat[f"state.{index}.{key}"] = torch.as_tensor(value)
    return flat


def load_optimizer_tensors(optimizer: torch.optim.Optimizer, flat: dict[str, torch.Tensor]) -> None:
    state: dict[int, dict] = {}
    for name, tensor in flat.items():
        if not name.startswith("state."):
            continue
        _, index, key = name.split(".", 2)
        state.setdefault(int(index), {})[key] = tensor
    full = optimizer.state_dict()
    full["state"] = state
    optimizer.load_state_dict(full)
