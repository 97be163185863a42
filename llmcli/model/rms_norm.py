"""RMSNorm with a hand-written backward.

Autograd of the composite (F.rms_norm) makes more passes over the activations, and its
float32 output was copied to bf16 by the next linear under autocast; this one writes the
autocast dtype directly. At one token (generation) the plain kernel is the quicker one,
so no-gradient calls take it.

residual_rms_norm adds a block's branch into the residual stream and normalizes the sum
for the next layer; training on a CPU that is one pass each way (kernels/training_ops.cpp)
in place of an add, the norm, and in backward the norm's gradient, its sum with the
stream's and a cast of that for the branch.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from llmcli.model import training_kernels


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        out = _out_dtype(x)
        if torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad):
            return _RMSNormFunction.apply(x, self.weight, self.eps, out)
        if x.dtype == self.weight.dtype:
            return F.rms_norm(x, (x.shape[-1],), self.weight, self.eps).to(out)
        return _normalize(x, self.weight, self.eps)[0].to(out)  # bf16 input under autocast: in float32


def residual_rms_norm(norm: nn.Module, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(x + h, norm(x + h)); fused where training on a CPU with llmcli's kernels and norm is
    an RMSNorm, with the same values as the two operations."""
    total_dtype = torch.promote_types(x.dtype, h.dtype)
    if (type(norm) is RMSNorm and torch.is_grad_enabled() and x.dtype == total_dtype and x.shape == h.shape
            and training_kernels.fits(x, h, norm.weight)):
        return _ResidualRMSNormFunction.apply(x, h, norm.weight, norm.eps, _out_dtype(x))
    total = x + h
    return total, norm(total)


def _out_dtype(x):
    """What the norm writes: the autocast dtype under autocast, else x's."""
    autocast = torch.is_autocast_enabled(x.device.type)
    return torch.get_autocast_dtype(x.device.type) if autocast else x.dtype


def _normalize(x, weight, eps):
    """x / rms(x) * weight, in float32 at least; returned with 1 / rms(x)."""
    xf = x.to(torch.promote_types(x.dtype, torch.float32))
    rstd = torch.rsqrt(xf.square().mean(-1, keepdim=True) + eps)
    return xf * rstd * weight, rstd


class _RMSNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, eps, out_dtype):
        ctx.native = training_kernels.fits(x, weight)  # one pass each way (training_kernels.py)
        if ctx.native:
            y, rstd = training_kernels.ops().rms_norm(x, weight, eps, out_dtype)
            ctx.save_for_backward(x, weight, rstd)
            return y
        y, rstd = _normalize(x, weight, eps)
        ctx.save_for_backward(x, weight, rstd)
        return y.to(out_dtype)

    @staticmethod
    def backward(ctx, grad):
        x, weight, rstd = ctx.saved_tensors
        if ctx.native:
            dx, dw = training_kernels.ops().rms_norm_backward(grad, x, weight, rstd, ctx.needs_input_grad[1])
            return dx, dw.to(weight.dtype) if ctx.needs_input_grad[1] else None, None, None
        normed = x.to(rstd.dtype) * rstd
        g = grad.to(rstd.dtype)
        gw = g * weight
        dx = rstd * (gw - normed * (gw * normed).mean(-1, keepdim=True))
        dw = (g * normed).flatten(0, -2).sum(0) if ctx.needs_input_grad[1] else None
        return dx.to(x.dtype), None if dw is None else dw.to(weight.dtype), None, None


class _ResidualRMSNormFunction(torch.autograd.Function):
    """(x + h, its norm) in one pass; backward: the gradient of x, which is the sum's own
    (from the stream after it, None at the last norm) plus the norm's, and the same in h's
    dtype for h, in one pass."""

    @staticmethod
    def forward(ctx, x, h, weight, eps, out_dtype):
        total, y, rstd = training_kernels.ops().residual_rms_norm(x, h, weight, eps, out_dtype)
        ctx.save_for_backward(total, weight, rstd)
        ctx.h_dtype = h.dtype
        ctx.set_materialize_grads(False)  # no zeros made for an unused sum
        return total, y

    @staticmethod
    def backward(ctx, grad_total, grad_y):
        total, weight, rstd = ctx.saved_tensors
        if grad_y is None:
            grad_y = torch.zeros_like(total)
        dx, dh, dw = training_kernels.ops().residual_rms_norm_backward(
            grad_y, grad_total, total, weight, rstd, ctx.needs_input_grad[2], ctx.h_dtype)
        return (dx if ctx.needs_input_grad[0] else None, dh if ctx.needs_input_grad[1] else None,
                dw.to(weight.dtype) if ctx.needs_input_grad[2] else None, None, None)
