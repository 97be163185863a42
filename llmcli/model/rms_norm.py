"""RMSNorm with a hand-written backward.

Autograd of the composite (F.rms_norm) makes more passes over the activations, and its
float32 output was copied to bf16 by the next linear under autocast; this one writes the
autocast dtype directly. At one token (generation) the plain kernel is the quicker one,
so no-gradient calls take it.
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
        autocast = torch.is_autocast_enabled(x.device.type)
        out = torch.get_autocast_dtype(x.device.type) if autocast else x.dtype
        if torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad):
            return _RMSNormFunction.apply(x, self.weight, self.eps, out)
        if x.dtype == self.weight.dtype:
            return F.rms_norm(x, (x.shape[-1],), self.weight, self.eps).to(out)
        return _normalize(x, self.weight, self.eps)[0].to(out)  # bf16 input under autocast: in float32


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
