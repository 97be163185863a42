"""bf16 weights for the matrix multiplies of a bf16 training step on a CPU, with the model's
float32 weights kept as the masters that AdamW updates.

Under bf16 autocast every step casts each float32 linear weight to bf16 in forward (autocast
caches the copy for that forward only) and casts its bf16 gradient back to float32 in
backward; clipping then reads the float32 gradients twice (the norm, the scale) before
AdamW reads them again. Here each trained nn.Linear weight has a bf16 copy that the step's
linears read in its place, so the gradients autograd writes are bf16 ones; one kernel pass
(kernels/optimizer_step.cpp) scales a gradient by the clip's factor, updates the float32
weight and its moments, and writes the new bf16 copy. The numbers the matmuls see are the
same as autocast's casts, and the gradients were bf16 matmul outputs before too.

Outside a step (evaluation, checkpoints, the saved model) the model holds its float32
weights alone. Where this does not apply (another device or precision, torch.compile,
several processes, gradient accumulation, no kernels), the trainer keeps torch's fused
AdamW and autocast's casts.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from llmcli.model import training_kernels
from llmcli.training import distributed
from llmcli.training.run_config import TrainSettings

COPY_DTYPE = torch.bfloat16


class MasterWeights:
    """The bf16 copies of a model's trained linear weights, and where they go in a step."""

    def __init__(self, model: nn.Module):
        owners: dict[int, list[tuple[nn.Module, str]]] = {}
        for module in model.modules():
            for name, p in module._parameters.items():
                if p is not None:
                    owners.setdefault(id(p), []).append((module, name))
        self.places: list[tuple[nn.Parameter, nn.Parameter, list[tuple[nn.Module, str]]]] = []
        for p in model.parameters():  # each once, a tied one too
            where = owners[id(p)]
            # a tied embedding is also read by a lookup, whose output (the residual stream)
            # must stay float32: only weights that nothing but nn.Linear layers read
            if p.requires_grad and p.dtype == torch.float32 and all(type(module) is nn.Linear for module, _ in where):
                copy = nn.Parameter(p.detach().to(COPY_DTYPE))
                self.places.append((p, copy, where))
        self.copy_of = {id(master): copy for master, copy, _ in self.places}
        self.versions = [master._version for master, _, _ in self.places]

    def __bool__(self) -> bool:
        return bool(self.places)

    @contextlib.contextmanager
    def in_use(self):
        """The step's forward and backward: the layers hold the bf16 copies, refreshed first
        where a master changed outside the optimizer (a checkpoint loaded into it)."""
        for index, (master, copy, where) in enumerate(self.places):
            if master._version != self.versions[index]:
                with torch.no_grad():
                    copy.copy_(master)
                self.versions[index] = master._version
            for module, name in where:
                module._parameters[name] = copy
        try:
            yield
        finally:
            for master, _, where in self.places:
                for module, name in where:
                    module._parameters[name] = master

    def updated(self) -> None:
        """The optimizer wrote masters and copies alike."""
        self.versions = [master._version for master, _, _ in self.places]


def for_training(model: nn.Module, settings: TrainSettings, device: torch.device) -> MasterWeights | None:
    """The model's bf16 copies where a step can use them; None where the trainer keeps autocast's casts."""
    if (device.type != "cpu" or settings.precision != "bf16" or settings.compile or settings.grad_accum != 1
            or distributed.current().active or not training_kernels.load()):
        return None
    return MasterWeights(model) or None


class MasterAdamW(torch.optim.AdamW):
    """torch's AdamW (the same state, so checkpoints go either way), stepped by llmcli's kernel:
    the gradient of a weight with a bf16 copy is the copy's, and the copy is rewritten."""

    def __init__(self, groups, masters: MasterWeights, **options):
        super().__init__(groups, **options)
        self.masters = masters

    def gradient(self, p: torch.Tensor) -> torch.Tensor | None:
        copy = self.masters.copy_of.get(id(p))
        return (copy if copy is not None else p).grad

    @torch.no_grad()
    def step(self, closure=None, grad_clip: float = 0.0):
        """One update; with grad_clip, the gradients are scaled to that total norm at most,
        as torch.nn.utils.clip_grad_norm_ would, within the same pass."""
        if closure is not None:
            raise ValueError("MasterAdamW takes no closure")
        ops = training_kernels.ops()
        grads = {id(p): g for group in self.param_groups for p in group["params"] if (g := self.gradient(p)) is not None}
        scale = 1.0
        if grad_clip:
            norm = sum(ops.sum_squares(g) for g in grads.values()) ** 0.5
            scale = min(1.0, grad_clip / (norm + 1e-6))
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                grad = grads.get(id(p))
                if grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                ops.adamw_step_(p, state["exp_avg"], state["exp_avg_sq"], grad, self.masters.copy_of.get(id(p)),
                                group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                                float(state["step"]), scale)
        self.masters.updated()

    def zero_grad(self, set_to_none: bool = True) -> None:
        super().zero_grad(set_to_none)
        for _, copy, _ in self.masters.places:
            copy.grad = None
