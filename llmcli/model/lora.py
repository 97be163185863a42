"""LoRA: low-rank adapters on the linear layers of a frozen model.

An adapted layer keeps its base layer's weight and bias (frozen, under the same names, so
that a base's state dict loads into it unchanged) and adds two small trained matrices:

    y = x W^T + b + scale * (dropout(x) A^T) B^T     A: (rank, in), B: (out, rank)

with scale = alpha / rank. B starts at zero, so an adapted model starts as its base.
Merging folds scale * B A into W and gives back a plain nn.Linear. Which layers of each
block are adapted is `lora_targets`; the embedding and the output layer never are.

What a LoRA run saves (`trained_state`) is its adapters and the task head's layers only;
the base comes from the base's own run directory.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from llmcli.model.lora_targets import TARGETS

ADAPTER_NAMES = ("lora_a", "lora_b")
TASK_HEAD = "task_head."  # the head's own layers train with the adapters


class LoRALinear(nn.Module):
    """A frozen linear layer plus its low-rank update."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float):
        super().__init__()
        self.in_features, self.out_features = base.in_features, base.out_features
        self.weight = base.weight  # the base's own tensors, not copies
        self.register_parameter("bias", base.bias)
        for p in (self.weight, self.bias):
            if p is not None:
                p.requires_grad_(False)
        device = base.weight.device
        self.lora_a = nn.Parameter(torch.empty(rank, self.in_features, device=device))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))  # nn.Linear's own init
        self.lora_b = nn.Parameter(torch.zeros(self.out_features, rank, device=device))
        self.scale = alpha / rank
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()

    def forward(self, x):
        weight, bias = self.weight, self.bias
        if weight.dtype != x.dtype and not torch.is_autocast_enabled(x.device.type):
            weight = weight.to(x.dtype)  # a base kept in bf16 for training (keep_base_in), used outside it
            bias = None if bias is None else bias.to(x.dtype)
        update = F.linear(F.linear(self.dropout(x), self.lora_a), self.lora_b)
        # scaled and added in one pass: on a CPU each extra op over the activations costs
        return F.linear(x, weight, bias).add_(update, alpha=self.scale)

    def merged(self) -> nn.Linear:
        """A plain linear layer with W + scale * B A, computed in float32."""
        layer = nn.Linear(self.in_features, self.out_features, bias=self.bias is not None,
                          device=self.weight.device, dtype=self.weight.dtype)
        with torch.no_grad():
            delta = self.lora_b.float() @ self.lora_a.float()
            layer.weight.copy_((self.weight.float() + self.scale * delta).to(self.weight.dtype))
            if self.bias is not None:
                layer.bias.copy_(self.bias)
        return layer


def add_adapters(model, lora) -> None:
    """Freeze `model` (its task head aside) and adapt the `lora.targets` linears of every
    block (`lora`: a run config's LoraInfo, with targets resolved for this model)."""
    for name, p in model.named_parameters():
        if not name.startswith(TASK_HEAD):
            p.requires_grad_(False)
    for block in model.blocks:
        for target in lora.targets:
            part_name, layer_name = TARGETS[target]
            part = getattr(block, part_name)
            layer = getattr(part, layer_name)
            setattr(part, layer_name, LoRALinear(layer, lora.rank, lora.alpha, lora.dropout))


def keep_base_in(model, dtype: torch.dtype) -> None:
    """Store the adapted layers' frozen weights in the autocast dtype: the same numbers
    autocast would cast them to at every step, without the casts, in half the memory."""
    for module in model.modules():
        if isinstance(module, LoRALinear):
            module.weight.data = module.weight.data.to(dtype)
            if module.bias is not None:
                module.bias.data = module.bias.data.to(dtype)


def has_adapters(model) -> bool:
    return any(isinstance(m, LoRALinear) for m in model.modules())


def merge_adapters(model) -> None:
    """Fold every adapter into its layer, in place: the model is a plain one again."""
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, LoRALinear):
                setattr(module, name, child.merged())


def trainable_params(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def trained_state(model) -> dict[str, torch.Tensor]:
    """What a run saves of its model: everything, or for an adapted model its adapters and
    its task head's layers (the base stays in the base's run directory)."""
    state = model.state_dict()
    if not has_adapters(model):
        return state
    return {k: v for k, v in state.items() if k.rsplit(".", 1)[-1] in ADAPTER_NAMES or k.startswith(TASK_HEAD)}


def load_trained_state(model, weights: dict[str, torch.Tensor]) -> None:
    """Load what `trained_state` saved. RuntimeError (first line: what differs) when the
    tensors are not exactly those the model saves."""
    if not has_adapters(model):
        model.load_state_dict(weights)
        return
    expected = set(trained_state(model))
    missing, unexpected = sorted(expected - set(weights)), sorted(set(weights) - expected)
    if missing or unexpected:
        which = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        raise RuntimeError(f"the adapters differ from the model's ({which}, {len(missing) + len(unexpected)} in all)")
    model.load_state_dict(weights, strict=False)
