"""Matrix products of a CPU training step with their rows shared out among the threads,
where that is faster (kernels/row_split_matmul.cpp).

oneDNN leaves a thread idle in some of the products of a fine-tune step: on a 2-core Xeon
with AMX, a batch of 8 x 127 tokens through SmolLM2-135M's layers multiplies 1,016 rows by
weights 576 outputs wide, and (1016 x 3072) @ (3072 x 576) took 3.8 ms, against 2.0 ms as
two blocks of 508 rows, one on each thread; 4,096 rows (the `small` preset's batch) were
faster as one product. Which way is faster depends on the shape, the operands' layout and
the machine, so the first calls of each shape take the two ways in turn, timed, and the
faster is kept for the rest of the process. Both give the same numbers: each row is
computed as in the whole product.

The weight gradients (grad.T @ x) go through weight_gradient: in bf16, kernels/transpose.cpp
writes grad.T out block by block first, as oneDNN takes a transposed view at half speed.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from llmcli.model import training_kernels

ROW_BUCKET = 128  # shapes whose row counts differ by less share one choice
TRIALS = 4  # calls each way before a shape's choice is made; the fastest of each counts

_split: dict[tuple, bool] = {}  # a shape's choice: True for the blocks
_trials: dict[tuple, dict[bool, list[float]]] = {}  # the times of its first calls, each way


def product(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a (m, k) @ b (k, n), the rows in one block per thread where that was timed faster
    (on a CPU with llmcli's kernels; elsewhere torch's product)."""
    threads = torch.get_num_threads()
    if threads < 2 or a.dtype != b.dtype or not training_kernels.fits(a, b):
        return a @ b
    key = (a.shape[0] // ROW_BUCKET, a.shape[1], b.shape[1], a.stride(), b.stride(), a.dtype)
    split = _split.get(key)
    if split is not None:
        return training_kernels.ops().row_split_mm(a, b, threads) if split else a @ b
    # not decided yet: this call is one of the trials, the two ways in turn. Real products
    # over several steps, not extra ones timed at once: a run's first step is slowed by
    # memory being mapped in, and a one-off timing there chose wrongly.
    times = _trials.setdefault(key, {False: [], True: []})
    split = len(times[True]) < len(times[False])
    start = time.perf_counter()
    out = training_kernels.ops().row_split_mm(a, b, threads) if split else a @ b
    times[split].append(time.perf_counter() - start)
    if len(times[True]) >= TRIALS:
        _split[key] = min(times[True]) < min(times[False])
        del _trials[key]
    return out


class RowSplitLinear(torch.autograd.Function):
    """x @ weight.T without a bias, forward and backward through `product`."""

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        rows = x.reshape(-1, x.shape[-1])
        return product(rows, weight.t()).view(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        rows = grad.reshape(-1, grad.shape[-1])
        grad_x = product(rows, weight).view(x.shape) if ctx.needs_input_grad[0] else None
        grad_weight = weight_gradient(rows, x.reshape(-1, x.shape[-1])) if ctx.needs_input_grad[1] else None
        return grad_x, grad_weight


def weight_gradient(grad: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """grad.T @ x, a weight's gradient from the rows of its output's gradient and of its
    input. In bf16, through transposed_mm (kernels/transpose.cpp): oneDNN multiplies a
    transposed left operand at less than half its speed on a Xeon with AMX."""
    if grad.dtype == x.dtype == torch.bfloat16 and grad.stride(1) == 1 and training_kernels.fits(grad, x):
        return training_kernels.ops().transposed_mm(grad, x)
    return product(grad.t(), x)


def linear(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """layer(x), through RowSplitLinear where it can be: a plain bias-free nn.Linear whose
    weight has x's dtype (the bf16 copies of master_weights.py), training on a CPU with
    llmcli's kernels."""
    if (torch.is_grad_enabled() and type(layer) is nn.Linear and layer.bias is None
            and layer.weight.dtype == x.dtype and x.is_contiguous() and training_kernels.fits(x, layer.weight)):
        return RowSplitLinear.apply(x, layer.weight)
    return layer(x)
